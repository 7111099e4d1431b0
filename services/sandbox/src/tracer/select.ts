import { loadEnv } from '@vetbox/config';
import { VetboxError } from '@vetbox/contracts';
import type { Logger } from '../log.js';
import { EbpfLoader } from './loader.js';

export type TracerSetting = 'auto' | 'ebpf' | 'strace';

export interface TracerChoice {
  name: 'ebpf' | 'strace';
  loader?: EbpfLoader;
  /** Why the preferred tracer is not the one used (reported in SandboxInfo.tracer.note). */
  note?: string;
}

let shared: { setting: TracerSetting; choice: Promise<TracerChoice> } | undefined;

/**
 * The tracer this worker uses (SANDBOX_TRACER): one eBPF loader per process, started on first
 * use and shared by every sandbox. `auto` falls back to strace, saying why, when eBPF cannot
 * load here (not root, no BTF, another kernel); `ebpf` throws TRACER_UNAVAILABLE instead.
 */
export async function selectTracer(logger: Logger, setting: TracerSetting = loadEnv().SANDBOX_TRACER): Promise<TracerChoice> {
  if (setting === 'strace') return { name: 'strace', note: 'SANDBOX_TRACER=strace' };
  if (shared?.setting === setting) {
    const choice = await shared.choice;
    if (choice.loader === undefined || choice.loader.alive) return choice;
  }
  const choice = EbpfLoader.start({ logger }).then(
    (loader): TracerChoice => ({ name: 'ebpf', loader }),
    (err: unknown): TracerChoice => {
      if (setting === 'ebpf') throw err;
      const why = err instanceof Error ? err.message : String(err);
      logger.warn({ err: why }, 'eBPF tracer unavailable: tracing with strace');
      return { name: 'strace', note: `eBPF unavailable: ${why}` };
    },
  );
  shared = { setting, choice };
  try {
    return await choice;
  } catch (e) {
    shared = undefined;
    throw e instanceof VetboxError ? e : new VetboxError('TRACER_UNAVAILABLE', String(e));
  }
}
