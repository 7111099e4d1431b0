import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export interface SinkholeBundles {
  /** The container's first process: namespaces, then the listeners; also `--dump`. Small. */
  launcher: string;
  /** The listeners (DNS, TCP/TLS/HTTP, UDP) and the capture. */
  server: string;
}

let cached: Promise<SinkholeBundles> | null = null;

async function bundle(entryName: string): Promise<string> {
  // From source (tests) the entry is a .ts file; from dist it is the compiled .js.
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  const entry = fileURLToPath(new URL(`./server/${entryName}.${ext}`, import.meta.url));
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
}

/**
 * The sinkhole as two CommonJS files, so it can be copied into a container from the sandbox
 * image with putArchive: no install, no network. Two, because a loaded machine parses a large
 * bundle slowly and the launcher and `--dump` need little. Built once per process.
 */
export function sinkholeBundles(): Promise<SinkholeBundles> {
  cached ??= Promise.all([bundle('launcher-entry'), bundle('entry')])
    .then(([launcher, server]) => ({ launcher, server }))
    .catch((err: unknown) => {
      cached = null;
      throw err;
    });
  return cached;
}
