import { z } from 'zod';
import { PhaseName } from './enums.js';

/**
 * What the static pass (services/static) reads in a package's own files without running them.
 * Signals are facts with a location; rules (services/rules, evidence kind `static`) decide what
 * they mean, joined with behavior, so `rescore` re-judges them without the archive.
 */
export const StaticSignalKind = z.enum([
  /** exec/eval/Function/vm over data decoded in place (base64, hex, zlib, marshal, rot13, reversed...). */
  'exec-decoded',
  /** exec/eval/Function/vm over data read from the network. */
  'exec-fetched',
  /** Code that downloads (URL or address + urlopen/requests/fetch/curl) and then runs, spawns or chmods. */
  'download-run',
  /** A known obfuscator's signature or layered obfuscation (a lambda decoder, a huge blob run). */
  'obfuscated',
  /** An ELF, PE or Mach-O file in the package (by magic bytes, not by name). */
  'bundled-executable',
  /** Install or import code that launches a file of the package that is an executable. */
  'launches-bundled-executable',
  /** Paths of browser profiles, Discord/Telegram/Steam data, crypto wallets, SSH or cloud credentials. */
  'credential-path',
  /** A Discord webhook or Telegram bot URL written into the code. */
  'exfil-endpoint',
  /** Windows-only modules or environment (`winreg`, `ctypes.windll`, `APPDATA`, `os.name == 'nt'`). */
  'platform-gate',
]);
export type StaticSignalKind = z.infer<typeof StaticSignalKind>;

/** Why a file was read: it runs at install, at import, as a command (bin, console script), a traced phase opened it, or (executables) it is in the package. */
export const StaticReach = z.enum(['install', 'import', 'execute', 'opened', 'package']);
export type StaticReach = z.infer<typeof StaticReach>;

/** One transform peeled statically (never by running anything), outermost call first. */
export const StaticTransform = z.enum(['base64', 'base32', 'base85', 'hex', 'zlib', 'gzip', 'bz2', 'lzma', 'marshal', 'rot13', 'reverse', 'charcodes', 'uri', 'unknown']);
export type StaticTransform = z.infer<typeof StaticTransform>;

export const DecodedLayer = z.object({
  /** Transforms applied to reach this layer, in the order they were undone. */
  transforms: z.array(StaticTransform),
  /** Size of the decoded layer in bytes. */
  bytes: z.number().int().nonnegative(),
  /** The decoded layer's first characters, escaped (control and non-ASCII characters as \\xNN / \\uNNNN). */
  preview: z.string(),
  /** Set when a transform could not be undone statically (lzma, an unknown key): the layer is the last one reached. */
  stoppedAt: z.string().optional(),
});
export type DecodedLayer = z.infer<typeof DecodedLayer>;

export const StaticSignal = z.object({
  kind: StaticSignalKind,
  /** Path inside the package (`setup.py`, `lib/install.js`), or `node_modules/<dep>/...` for a dependency's file a phase opened. */
  file: z.string(),
  /** 1-based line of the construct in that file (of the outer blob when found in a decoded layer). */
  line: z.number().int().positive(),
  /** The source text at that place, escaped and cut to a few hundred characters. */
  snippet: z.string(),
  /** What was seen, in one line (`exec() of zlib(base64(…)) payload`, `webhook https://…`). */
  detail: z.string(),
  reach: z.array(StaticReach),
  /** Set when the construct was found inside a statically decoded layer (1 = first layer). */
  layerDepth: z.number().int().positive().optional(),
  /** The decoded payload, for exec-decoded and obfuscated signals. */
  decoded: DecodedLayer.optional(),
  /** Hosts or URLs the construct names (download-run, exec-fetched, exfil-endpoint). */
  urls: z.array(z.string()).optional(),
  /** credential-path: what is targeted (`browser`, `discord`, `wallet`, `ssh`, `cloud`, ...). */
  target: z.string().optional(),
  /** bundled-executable: `elf`, `elf-shared`, `pe`, `mach-o`. obfuscated: the obfuscator's name. */
  format: z.string().optional(),
});
export type StaticSignal = z.infer<typeof StaticSignal>;

export const StaticAnalysis = z.object({
  /** Files parsed as code (install/import closure and files the phases opened). */
  filesAnalyzed: z.number().int().nonnegative(),
  bytesAnalyzed: z.number().int().nonnegative(),
  /** Every file of the package looked at for executables by magic bytes. */
  filesInPackage: z.number().int().nonnegative(),
  /** The install/import entry points the closure started from. */
  entryPoints: z.array(z.string()),
  signals: z.array(StaticSignal),
  /** Files that failed to parse (their signals may be missing). */
  unparsed: z.array(z.string()).optional(),
  /** What the pass left unread because a bound was reached (files, bytes, time, depth). */
  limits: z.array(z.string()).optional(),
  /** Why the pass could not run at all, when it could not (the analysis goes on without it). */
  error: z.string().optional(),
  durationMs: z.number().nonnegative(),
});
export type StaticAnalysis = z.infer<typeof StaticAnalysis>;

/** A phase that failed before the package's code could act, and what stopped it. */
export const IncompletePhase = z.object({
  phase: PhaseName,
  reason: z.string(),
});
export type IncompletePhase = z.infer<typeof IncompletePhase>;
