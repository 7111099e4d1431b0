/**
 * Canary detection benchmark: a synthetic sinkhole capture of BENCH_CAPTURE_MB (default 32) of
 * HTTP bodies, raw TCP and DNS names, searched for a full set of planted canaries (every
 * encoding). Prints figures only.
 *
 *   npm run bench:canaries
 *
 * Last line: `canaries: <N> MB/s`. Goal: a worst-case capture (the sinkhole's 48 MiB cap) in
 * well under a second.
 */
import crypto from 'node:crypto';
import type { SinkholeCapture } from '@vetbox/contracts';
import { detectLeaks, generateCanaries } from '@vetbox/honeytokens';
import { measure } from './harness.js';

const MB = 1024 * 1024;
const targetMb = Number(process.env.BENCH_CAPTURE_MB ?? 32);
const canaries = generateCanaries({ home: '/home/bench', workdir: '/home/bench/projects/app' });

function syntheticCapture(): SinkholeCapture {
  const capture: SinkholeCapture = { dns: [], streams: [] };
  let bytes = 0;
  let i = 0;
  while (bytes < targetMb * MB) {
    // Printable noise: base64 text is the worst case (every needle's first bytes recur often).
    const body = crypto.randomBytes(12 * 1024).toString('base64');
    capture.streams.push({
      t: Date.now(),
      protocol: 'tcp',
      srcPort: 30000 + (i % 30000),
      dst: { address: '198.18.0.10', port: 80 },
      kind: 'http',
      http: [{ method: 'POST', host: `h${i}.example`, path: `/p/${i}?q=${crypto.randomBytes(16).toString('hex')}`, headers: { host: `h${i}.example`, 'user-agent': 'node' }, bodyBase64: Buffer.from(body).toString('base64'), bodyBytes: body.length }],
      dataBase64: '',
      bytes: body.length,
    });
    capture.dns.push({ t: Date.now(), name: `${crypto.randomBytes(20).toString('hex')}.${i}.example`, type: 'A' });
    bytes += body.length + 200;
    i++;
  }
  // One real leak so the search is not all misses.
  const token = canaries.env.NPM_TOKEN!;
  capture.streams.push({ t: Date.now(), protocol: 'tcp', srcPort: 1, dst: { address: '198.51.100.1', port: 1 }, kind: 'raw', http: [], dataBase64: Buffer.from(Buffer.from(token).toString('hex')).toString('base64'), bytes: 80 });
  return capture;
}

const capture = syntheticCapture();
const size = capture.streams.reduce((n, s) => n + (s.http[0]?.bodyBytes ?? 0), 0) / MB;
let leaked = 0;
const sample = await measure(`detectLeaks ${size.toFixed(1)} MB, ${canaries.canaries.length} canaries`, () => {
  leaked = detectLeaks(canaries.canaries, capture).filter((r) => r.leaked).length;
}, { runs: 5, warmup: 1 });
console.log(JSON.stringify(sample));
console.log(`leaked canaries found: ${leaked}`);
console.log(`canaries: ${Math.round(size / (sample.meanMs / 1000))} MB/s`);
