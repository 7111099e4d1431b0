// Regenerates the rule-catalog section of docs/report.md from the catalog:
//   npm run -w @vetbox/rules docs
// services/rules/src/docs.test.ts fails while the committed section is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { replaceCatalog } from '../dist/docs.js';

const target = new URL('../../../docs/report.md', import.meta.url);
writeFileSync(target, replaceCatalog(readFileSync(target, 'utf8')));
console.log(`updated ${target.pathname}`);
