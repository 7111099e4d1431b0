import type { AnalysisIndicators, Indicator } from '@vetbox/contracts';

export const INDICATOR_CSV_COLUMNS = [
  'analysis_id',
  'ecosystem',
  'package',
  'version',
  'verdict',
  'type',
  'value',
  'port',
  'protocol',
  'phase',
  'findings',
  'severity',
  'context',
] as const;

/**
 * One RFC 4180 field. Values come from package behavior (attacker-chosen names, paths, URLs):
 * a cell a spreadsheet would read as a formula (= + - @, tab, CR) gets a leading `'`.
 */
export function csvField(value: string | number | undefined): string {
  let s = value === undefined ? '' : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function indicatorCsvHeader(): string {
  return `${INDICATOR_CSV_COLUMNS.join(',')}\r\n`;
}

/** The CSV rows of one analysis's indicators (no header). */
export function indicatorCsvRows(a: AnalysisIndicators): string {
  return a.indicators
    .map((i: Indicator) =>
      [a.analysisId, a.package.ecosystem, a.package.name, a.package.version, a.verdict, i.type, i.value, i.port, i.protocol, i.phase, i.findings.join(';'), i.severity, i.context]
        .map(csvField)
        .join(','),
    )
    .map((row) => `${row}\r\n`)
    .join('');
}
