/**
 * A pool thread of the static pass: decodes and analyzes one code file per message and answers
 * with what it found. It reads no file and keeps no state between messages.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { parentPort } from 'node:worker_threads';
import { RecordingCollector, analyzeFile, decodeSource } from './file-analysis.js';
import { HEAD_BYTES } from './magic.js';
import type { FileJob, FileReply, HeadsJob } from './pool.js';

/** Every file's first bytes in one buffer (`HEAD_BYTES` per file) and how many each file had. */
function readHeads({ dir, files }: HeadsJob['headsOf']): { heads: Uint8Array; lengths: Uint8Array } {
  const heads = new Uint8Array(files.length * HEAD_BYTES);
  const lengths = new Uint8Array(files.length);
  for (let i = 0; i < files.length; i++) {
    const fd = openSync(path.join(dir, files[i]!), 'r');
    try {
      lengths[i] = readSync(fd, heads, i * HEAD_BYTES, HEAD_BYTES, 0);
    } finally {
      closeSync(fd);
    }
  }
  return { heads, lengths };
}

parentPort!.on('message', (job: FileJob | HeadsJob) => {
  try {
    if ('headsOf' in job) {
      const { heads, lengths } = readHeads(job.headsOf);
      parentPort!.postMessage({ id: job.id, heads, lengths } satisfies FileReply, [heads.buffer as ArrayBuffer, lengths.buffer as ArrayBuffer]);
      return;
    }
    const out = new RecordingCollector(job.budget);
    const text = job.text ?? decodeSource(job.bytes!);
    const reply: FileReply = { id: job.id, ...analyzeFile(job.file, text, out, job.budget), calls: out.calls };
    parentPort!.postMessage(reply);
  } catch (err) {
    // Our own failure (a result that cannot be cloned, memory): the pass analyzes the file itself.
    parentPort!.postMessage({ id: job.id, error: String((err as Error)?.message ?? err) } satisfies FileReply);
  }
});
