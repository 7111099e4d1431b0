import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RULES } from './catalog.js';
import { CATALOG_BEGIN, CATALOG_END, replaceCatalog, ruleCatalogMarkdown } from './docs.js';

const DOC = new URL('../../../docs/report.md', import.meta.url);

describe('docs/report.md', () => {
  const doc = readFileSync(DOC, 'utf8');

  it('embeds the current rule catalog (regenerate: npm run -w @vetbox/rules docs)', () => {
    const section = doc.slice(doc.indexOf(CATALOG_BEGIN), doc.indexOf(CATALOG_END) + CATALOG_END.length);
    expect(section).toBe(ruleCatalogMarkdown());
    expect(replaceCatalog(doc)).toBe(doc);
  });

  it('lists every rule id with its severities, and describes each rule', () => {
    for (const rule of RULES) {
      expect(doc).toContain(`| \`${rule.id}\` | ${rule.category} | ${rule.severities.join(', ')} |`);
      expect(doc).toContain(`- **${rule.id}** —`);
    }
  });
});

describe('RULES', () => {
  it('has unique kebab-case ids, a default severity among its severities, and real guidance', () => {
    const ids = RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of RULES) {
      expect(r.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(r.severities).toContain(r.severity);
      expect(r.title.length).toBeGreaterThan(10);
      expect(r.explanation.length).toBeGreaterThan(120);
    }
  });
});
