import { z } from 'zod';
import { REPORT_SCHEMA_VERSION, Report } from './report.js';
import {
  Behavior,
  CanaryLeak,
  CanaryReport,
  Connection,
  DnsQuery,
  EvidenceRef,
  FileAccess,
  FileChange,
  Finding,
  HousekeepingSummary,
  HttpRequest,
  PackageRef,
  PhaseReport,
  ProcessEntry,
  ProcessExit,
  TlsHandshake,
} from './report.js';
import { SandboxInfo } from './sinkhole.js';

/** Named parts of the report, emitted as `$defs` so the schema reads like the contract. */
const NAMED: Array<[z.ZodType, string]> = [
  [PackageRef, 'PackageRef'],
  [Finding, 'Finding'],
  [EvidenceRef, 'EvidenceRef'],
  [PhaseReport, 'PhaseReport'],
  [Behavior, 'Behavior'],
  [ProcessEntry, 'ProcessEntry'],
  [ProcessExit, 'ProcessExit'],
  [FileAccess, 'FileAccess'],
  [FileChange, 'FileChange'],
  [DnsQuery, 'DnsQuery'],
  [Connection, 'Connection'],
  [HttpRequest, 'HttpRequest'],
  [TlsHandshake, 'TlsHandshake'],
  [HousekeepingSummary, 'HousekeepingSummary'],
  [CanaryReport, 'CanaryReport'],
  [CanaryLeak, 'CanaryLeak'],
  [SandboxInfo, 'SandboxInfo'],
];

/**
 * JSON Schema (draft 2020-12) of the analysis report, generated from the zod contract and
 * committed as docs/report.schema.json. Objects do not forbid extra properties: fields are
 * added without a version bump, so consumers must tolerate ones they do not know.
 */
export function reportJsonSchema(): Record<string, unknown> {
  const registry = z.registry<{ id: string }>();
  for (const [schema, id] of NAMED) registry.add(schema, { id });
  const generated = z.toJSONSchema(Report, { metadata: registry, target: 'draft-2020-12', io: 'input' });
  const { $schema, ...rest } = generated;
  return {
    $schema,
    title: 'vetbox analysis report',
    description: `Report schemaVersion ${REPORT_SCHEMA_VERSION}. See docs/report.md for the meaning of every field.`,
    ...rest,
  };
}
