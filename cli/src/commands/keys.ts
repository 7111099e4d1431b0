import type { Command } from 'commander';
import type { ApiRole } from '@vetbox/contracts';
import { usageErrorsExit } from '../exit-codes.js';
import type { CliContext } from '../context.js';

const ROLES: readonly ApiRole[] = ['read', 'submit', 'admin'];

/** Opens the database for one command (keys are managed where they live, not through the API). */
async function withStore<T>(ctx: CliContext, fn: (prisma: import('@vetbox/db').PrismaClient, store: typeof import('@vetbox/store')) => Promise<T>): Promise<T> {
  const [{ createPrismaClient }, store] = await Promise.all([import('@vetbox/db'), import('@vetbox/store')]);
  const prisma = createPrismaClient({ databaseUrl: ctx.env.DATABASE_URL });
  try {
    return await fn(prisma, store);
  } finally {
    await prisma.$disconnect();
  }
}

/** `vetbox keys create|list|revoke`: API keys (stored as sha256; a key is shown once). */
export function register(program: Command, ctx: CliContext): void {
  // Usage errors exit 2, like a bad --role; a key that is not there exits 1.
  const keys = usageErrorsExit(program.command('keys').description('manage API keys (needs DATABASE_URL)'), 2);

  usageErrorsExit(keys.command('create'), 2)
    .description('create an API key and print it (it is not shown again)')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .option('--name <name>', 'a label for the key', 'cli')
    .option('--webhook <url>', 'URL called (HMAC-signed) when this key\'s analyses end')
    .option('--json', 'print id, key and webhook secret as JSON')
    .action(async (opts: { role: string; name: string; webhook?: string; json?: boolean }) => {
      if (!ROLES.includes(opts.role as ApiRole)) {
        ctx.stderr.write(`--role must be one of ${ROLES.join(', ')}\n`);
        process.exitCode = 2;
        return;
      }
      const created = await withStore(ctx, (prisma, store) =>
        store.createApiKey(prisma, { name: opts.name, role: opts.role as ApiRole, webhookUrl: opts.webhook ?? null }),
      );
      if (opts.json) {
        ctx.stdout.write(`${JSON.stringify({ id: created.record.id, role: created.record.role, key: created.key, webhookSecret: created.record.webhookSecret }, null, 2)}\n`);
        return;
      }
      ctx.stdout.write(`${created.key}\n`);
      ctx.stderr.write(`created ${created.record.role} key ${created.record.id} (${created.record.prefix}…); store it now, it is not shown again\n`);
      if (created.record.webhookSecret) ctx.stderr.write(`webhook secret: ${created.record.webhookSecret}\n`);
    });

  usageErrorsExit(keys.command('list'), 2)
    .description('list API keys (never their secrets)')
    .action(async () => {
      const rows = await withStore(ctx, (prisma, store) => store.listApiKeys(prisma));
      for (const k of rows) {
        const state = k.revokedAt ? `revoked ${k.revokedAt.toISOString()}` : `last used ${k.lastUsedAt?.toISOString() ?? 'never'}`;
        ctx.stdout.write(`${k.id}  ${k.role.padEnd(6)}  ${k.prefix}…  ${k.name}  (${state})\n`);
      }
    });

  usageErrorsExit(keys.command('revoke <id>'), 2)
    .description('revoke an API key')
    .action(async (id: string) => {
      const ok = await withStore(ctx, (prisma, store) => (store.isUuid(id) ? store.revokeApiKey(prisma, id) : Promise.resolve(false)));
      if (!ok) {
        ctx.stderr.write(`no active key ${id}\n`);
        process.exitCode = 1;
        return;
      }
      ctx.stdout.write(`revoked ${id}\n`);
    });
}
