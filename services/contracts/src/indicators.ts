import { z } from 'zod';
import { Ecosystem, PhaseName, Severity } from './enums.js';

/**
 * What an analysis shares with detection tools (`GET /v1/analyses/{id}/indicators`, the OSV
 * record's `database_specific.indicators`): observed values that back a finding, never the
 * sandbox's own addresses or names.
 */
export const IndicatorType = z.enum(['domain', 'ip', 'url', 'sha256', 'path']);
export type IndicatorType = z.infer<typeof IndicatorType>;

export const Indicator = z.object({
  type: IndicatorType,
  /** Domain name, IP address, URL, sha256 (hex) or a path (the sandbox user's home written `~`). */
  value: z.string(),
  /** For `ip`: the port contacted and the protocol. */
  port: z.number().int().optional(),
  protocol: z.enum(['tcp', 'udp']).optional(),
  /** The phase the package did it in (install, import, execute, idle, next-login). */
  phase: PhaseName,
  /** Rule ids of the findings it backs, most severe first. */
  findings: z.array(z.string()).min(1),
  /** The most severe of those findings. */
  severity: Severity,
  /** What it is about: the file a sha256 is of, the method of a URL, the process that did it. */
  context: z.string().optional(),
});
export type Indicator = z.infer<typeof Indicator>;

export const AnalysisIndicators = z.object({
  analysisId: z.string(),
  package: z.object({ ecosystem: Ecosystem, name: z.string(), version: z.string() }),
  verdict: z.string(),
  indicators: z.array(Indicator),
});
export type AnalysisIndicators = z.infer<typeof AnalysisIndicators>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `GET /v1/analyses/{id}/indicators`: JSON by default, CSV on `format=csv` (or `Accept: text/csv`). */
export const IndicatorFormatQuery = z.object({ format: z.enum(['json', 'csv']).optional() });

/**
 * Bulk exports (`GET /v1/indicators`, `GET /v1/osv`): analyses that finished in [since, until),
 * optionally those of one batch. Indicators cover malicious and suspicious analyses unless
 * `verdict` names one.
 */
export const ExportQuery = z.object({
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  batch: z.string().regex(UUID, 'not a batch id').optional(),
  verdict: z.enum(['malicious', 'suspicious', 'benign']).optional(),
  format: z.enum(['json', 'csv']).optional(),
});
export type ExportQuery = z.infer<typeof ExportQuery>;
