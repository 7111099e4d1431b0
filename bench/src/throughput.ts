// npm run bench:throughput: not written yet. The issue that owns this stage fills it in using
// ./harness.ts (measure, measureConcurrent, report): print figures, never assert.
console.error('bench:throughput has no measurements yet');
process.exitCode = 1;
