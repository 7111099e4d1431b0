/**
 * A pool thread of the static pass: decodes and analyzes one code file per message and answers
 * with what it found. It reads no file and keeps no state between messages.
 */
import { parentPort } from 'node:worker_threads';
import { RecordingCollector, analyzeFile, decodeSource } from './file-analysis.js';
import type { FileJob, FileReply } from './pool.js';

parentPort!.on('message', (job: FileJob) => {
  try {
    const out = new RecordingCollector(job.budget);
    const text = job.text ?? decodeSource(job.bytes!);
    const reply: FileReply = { id: job.id, ...analyzeFile(job.file, text, out, job.budget), calls: out.calls };
    parentPort!.postMessage(reply);
  } catch (err) {
    // Our own failure (a result that cannot be cloned, memory): the pass analyzes the file itself.
    parentPort!.postMessage({ id: job.id, error: String((err as Error)?.message ?? err) } satisfies FileReply);
  }
});
