import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

let cached: Promise<string> | null = null;

/**
 * The sinkhole server as one CommonJS file, so it can be copied into a container from the
 * sandbox image with putArchive: no install, no network. Built once per process.
 */
export function sinkholeBundle(): Promise<string> {
  cached ??= (async () => {
    // From source (tests) the entry is entry.ts; from dist it is the compiled entry.js.
    const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
    const entry = fileURLToPath(new URL(`./server/entry.${ext}`, import.meta.url));
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node18',
      write: false,
      legalComments: 'none',
      logLevel: 'silent',
    });
    return result.outputFiles[0]!.text;
  })().catch((err: unknown) => {
    cached = null;
    throw err;
  });
  return cached;
}
