// What vetbox shares: indicators (JSON, CSV) and OSV records of what it judged malicious or suspicious.
export { extractIndicators } from './indicators.js';
export { SandboxInternals } from './internal.js';
export { csvField, indicatorCsvHeader, indicatorCsvRows, INDICATOR_CSV_COLUMNS } from './csv.js';
export { buildOsvRecord, hasOsvRecord, OSV_SCHEMA_VERSION, type OsvInput, type OsvLinks, type OsvRecord } from './osv.js';
export { osvIdFor, type OsvId } from './ids.js';
export { analysisIndicators, osvRecordOf, storedReport, storedReports, type ExportRange, type StoredReport } from './export.js';
