import { describe, expect, it } from 'vitest';
import { mapCatalogColumnsToText, poolConfigFromUrl } from './migration-adapter.js';

describe('poolConfigFromUrl', () => {
  it('splits the URL so the shadow database can override `database`', () => {
    expect(poolConfigFromUrl('postgresql://vet%40box:s3cr%2Ft@db.internal:6543/vetbox?schema=app')).toEqual({
      host: 'db.internal',
      port: 6543,
      user: 'vet@box',
      password: 's3cr/t',
      database: 'vetbox',
      options: '-c search_path=app',
      allowExitOnIdle: true,
    });
  });

  it('defaults the port', () => {
    expect(poolConfigFromUrl('postgresql://u@localhost/d').port).toBe(5432);
  });
});

describe('mapCatalogColumnsToText', () => {
  it('turns name and "char" columns (and their arrays) into text the adapter can read', () => {
    const result = {
      fields: [{ dataTypeID: 19 }, { dataTypeID: 18 }, { dataTypeID: 1003 }, { dataTypeID: 1002 }, { dataTypeID: 23 }],
      rows: [['pg_class', 'r', '{a,b}', '{x}', 7]],
    };
    mapCatalogColumnsToText(result);
    expect(result.fields.map((f) => f.dataTypeID)).toEqual([25, 25, 1009, 1009, 23]);
    expect(result.rows[0]).toEqual(['pg_class', 'r', ['a', 'b'], ['x'], 7]);
  });

  it('accepts multi-statement and field-less results', () => {
    expect(() => mapCatalogColumnsToText([{}, { fields: [{ dataTypeID: 19 }], rows: [['x']] }])).not.toThrow();
  });
});
