import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { reportJsonSchema } from './json-schema.js';
import { Report } from './report.js';

const COMMITTED = new URL('../../../docs/report.schema.json', import.meta.url);

describe('reportJsonSchema', () => {
  it('matches the committed docs/report.schema.json (regenerate: npm run -w @vetbox/contracts schema:report)', () => {
    const committed = JSON.parse(readFileSync(COMMITTED, 'utf8')) as unknown;
    expect(committed).toEqual(reportJsonSchema());
  });

  it('lists every top-level report field and names the nested parts in $defs', () => {
    const schema = reportJsonSchema() as { properties: Record<string, unknown>; required: string[]; $defs: Record<string, unknown> };
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(Report.shape).sort());
    expect(schema.required).toEqual(expect.arrayContaining(['schemaVersion', 'package', 'verdict', 'score', 'findings', 'phases', 'behavior', 'canaries']));
    expect(Object.keys(schema.$defs)).toEqual(expect.arrayContaining(['Finding', 'EvidenceRef', 'ProcessEntry', 'Connection', 'CanaryReport']));
  });

  it('lets consumers tolerate fields added later (no additionalProperties: false)', () => {
    expect(JSON.stringify(reportJsonSchema())).not.toContain('"additionalProperties":false');
  });
});
