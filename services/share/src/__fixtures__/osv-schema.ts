// The OSV 1.6 JSON schema (schema/osv-1.6.schema.json, written from the published spec) as an
// ajv validator: tests validate exports with it, offline.
import { readFileSync } from 'node:fs';
import Ajv2020 from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';

const schema = JSON.parse(readFileSync(new URL('../../schema/osv-1.6.schema.json', import.meta.url), 'utf8')) as Record<string, unknown>;
const ajv = new Ajv2020.default({ allErrors: true, strict: false });
ajvFormats.default(ajv);

export const validateOsv = ajv.compile(schema);
