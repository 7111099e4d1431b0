import { RULES } from './catalog.js';
import { SEVERITY_POINTS, VERDICT_BANDS } from './scoring.js';

export const CATALOG_BEGIN = '<!-- rule-catalog:begin (generated from services/rules/src/catalog.ts) -->';
export const CATALOG_END = '<!-- rule-catalog:end -->';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The rule catalog as the Markdown table docs/report.md embeds between the markers. */
export function ruleCatalogMarkdown(): string {
  const rows = RULES.map((r) => `| \`${r.id}\` | ${r.category} | ${r.severities.join(', ')} | ${cell(r.title)} | ${cell(r.explanation)} |`);
  const points = Object.entries(SEVERITY_POINTS).map(([s, p]) => `${s} ${p}`).join(', ');
  const bands = Object.entries(VERDICT_BANDS).map(([v, [lo, hi]]) => `${v} ${lo}–${hi}`).join(', ');
  return [
    CATALOG_BEGIN,
    '| rule | category | severities | title | what it means / what to do |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `Points per severity: ${points}. Score bands: ${bands}.`,
    CATALOG_END,
  ].join('\n');
}

/** Replaces the generated section of a Markdown document (markers included). */
export function replaceCatalog(markdown: string): string {
  const start = markdown.indexOf(CATALOG_BEGIN);
  const end = markdown.indexOf(CATALOG_END);
  if (start === -1 || end === -1) return markdown;
  return markdown.slice(0, start) + ruleCatalogMarkdown() + markdown.slice(end + CATALOG_END.length);
}
