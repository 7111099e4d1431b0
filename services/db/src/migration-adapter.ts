import { randomUUID } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';

/**
 * The driver adapter Prisma's JS schema engine uses for `migrate deploy` and `migrate diff`.
 * It works around three defects of @prisma/adapter-pg 6.19 (docs: ../../shared ENVIRONMENT notes,
 * README "Prisma offline"):
 *  1. `name` and `"char"` columns (and their arrays), which the engine reads from the catalogs,
 *     cannot be deserialized: they are handed over as text.
 *  2. With a `connectionString`, the shadow-database pool still connects to the main database:
 *     the pool config is built from host/port/user/database instead.
 *  3. The shadow database is dropped while its pool is still open: the pool closes first.
 */

const PG_OID = {
  CHAR: 18,
  NAME: 19,
  TEXT: 25,
  CHAR_ARRAY: 1002,
  NAME_ARRAY: 1003,
  TEXT_ARRAY: 1009,
} as const;

// Array oids are missing from pg's TypeId union, though getTypeParser knows text[].
const getTypeParser = pg.types.getTypeParser as (oid: number) => (value: string) => unknown;
const parseTextArray = getTypeParser(PG_OID.TEXT_ARRAY) as (value: string) => string[];

interface PgField {
  dataTypeID: number;
}
interface PgResult {
  fields?: PgField[];
  rows?: unknown[][];
}
interface Queryable {
  performIO(query: unknown): Promise<PgResult | PgResult[]>;
  startTransaction?(isolationLevel?: string): Promise<Queryable>;
}

/** Rewrites catalog-only column types to the text types the adapter understands. */
export function mapCatalogColumnsToText<R extends PgResult | PgResult[]>(result: R): R {
  // A multi-statement script yields one result per statement; DDL yields no fields at all.
  if (Array.isArray(result)) {
    result.forEach((one) => mapCatalogColumnsToText(one));
    return result;
  }
  const { fields = [], rows = [] } = result as PgResult;
  fields.forEach((field, column) => {
    if (field.dataTypeID === PG_OID.NAME || field.dataTypeID === PG_OID.CHAR) {
      field.dataTypeID = PG_OID.TEXT;
    } else if (field.dataTypeID === PG_OID.NAME_ARRAY || field.dataTypeID === PG_OID.CHAR_ARRAY) {
      field.dataTypeID = PG_OID.TEXT_ARRAY;
      // pg leaves these arrays unparsed ("{a,b}") because it has no parser for their oids.
      for (const row of rows) {
        if (typeof row[column] === 'string') row[column] = parseTextArray(row[column] as string);
      }
    }
  });
  return result;
}

/** Patch one adapter (or transaction) instance; the runtime client is left untouched. */
function withCatalogTypes<T>(queryable: T): T {
  const target = queryable as unknown as Queryable;
  const performIO = target.performIO.bind(target);
  target.performIO = async (query) => mapCatalogColumnsToText(await performIO(query));
  const startTransaction = target.startTransaction?.bind(target);
  if (startTransaction) {
    target.startTransaction = async (isolationLevel) => withCatalogTypes(await startTransaction(isolationLevel));
  }
  return queryable;
}

/** A pg pool config from discrete fields, so that overriding `database` really switches database. */
export function poolConfigFromUrl(databaseUrl: string): pg.PoolConfig {
  const url = new URL(databaseUrl);
  const schema = url.searchParams.get('schema');
  return {
    host: decodeURIComponent(url.hostname),
    port: url.port ? Number(url.port) : 5432,
    user: decodeURIComponent(url.username),
    password: url.password ? decodeURIComponent(url.password) : undefined,
    database: decodeURIComponent(url.pathname.replace(/^\//, '')) || undefined,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
    // Prisma never closes the main pool; idle connections must not keep the CLI process alive.
    allowExitOnIdle: true,
  };
}

type Adapter = Awaited<ReturnType<PrismaPg['connect']>>;

export class MigrationPgAdapterFactory extends PrismaPg {
  private readonly poolConfig: pg.PoolConfig;

  constructor(databaseUrl: string) {
    const poolConfig = poolConfigFromUrl(databaseUrl);
    super(poolConfig);
    this.poolConfig = poolConfig;
  }

  override async connect(): Promise<Adapter> {
    return withCatalogTypes(await super.connect());
  }

  override async connectToShadowDb(): Promise<Adapter> {
    const main = await this.connect();
    const database = `prisma_migrate_shadow_db_${randomUUID().replaceAll('-', '_')}`;
    try {
      await main.executeScript(`CREATE DATABASE "${database}"`);
    } catch (err) {
      await main.dispose();
      throw err;
    }
    const shadow = await withCatalogTypes(await new PrismaPg({ ...this.poolConfig, database }).connect());
    const disposeShadow = shadow.dispose.bind(shadow);
    shadow.dispose = async () => {
      // Close the shadow pool before dropping: PostgreSQL refuses to drop a database in use.
      await disposeShadow();
      try {
        await main.executeScript(`DROP DATABASE IF EXISTS "${database}"`);
      } finally {
        await main.dispose();
      }
    };
    return shadow;
  }
}
