// SARIF 2.1.0 validation against the schema Microsoft's SARIF SDK ships (@microsoft/jest-sarif:
// the final 2.1.0 "rtm.5" schema, JSON Schema draft-04), as services/lockfiles' export tests do.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import AjvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';

const require = createRequire(import.meta.url);
// CommonJS modules that also set `.default` on themselves: `.default` works under Node and vitest.
const Ajv = AjvDraft04.default;
const addFormats = ajvFormats.default;
const schema = JSON.parse(readFileSync(require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8')) as object;
// unicodeRegExp off: the schema's `language` pattern needs non-unicode regular expressions.
const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
addFormats(ajv);
const validate = ajv.compile(schema);

/** Schema errors of a SARIF log, as readable lines; empty when it validates. */
export function sarifErrors(log: unknown): string[] {
  if (validate(log)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''}`);
}
