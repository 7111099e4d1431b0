// Regenerates docs/report.schema.json from the zod contract (run after changing src/report.ts):
//   npm run -w @vetbox/contracts schema:report
// services/contracts/src/json-schema.test.ts fails while the committed file is stale.
import { writeFileSync } from 'node:fs';
import { reportJsonSchema } from '../dist/index.js';

const target = new URL('../../../docs/report.schema.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(reportJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target.pathname}`);
