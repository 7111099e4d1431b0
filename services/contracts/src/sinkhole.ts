import { z } from 'zod';

/**
 * What the per-analysis sinkhole recorded, as it hands it to the behavior model and the
 * canary detector. Times are epoch milliseconds (the trace uses epoch seconds, `-ttt`).
 * Payloads are base64 so binary data survives JSON.
 */
export const SinkholeEndpoint = z.object({ address: z.string(), port: z.number().int() });

export const SinkholeDns = z.object({
  t: z.number(),
  name: z.string(),
  type: z.string(),
  /** Client's UDP/TCP source port: joins the query to the process in the trace. */
  srcPort: z.number().int().optional(),
  answer: z.string().optional(),
});
export type SinkholeDns = z.infer<typeof SinkholeDns>;

export const SinkholeHttp = z.object({
  method: z.string(),
  host: z.string(),
  path: z.string(),
  headers: z.record(z.string(), z.string()),
  /** Body as received, first 64 KiB, base64. */
  bodyBase64: z.string(),
  bodyBytes: z.number().int(),
});
export type SinkholeHttp = z.infer<typeof SinkholeHttp>;

export const SinkholeStream = z.object({
  t: z.number(),
  protocol: z.enum(['tcp', 'udp']),
  srcPort: z.number().int(),
  /** Original destination before the redirect (SO_ORIGINAL_DST / conntrack). */
  dst: SinkholeEndpoint,
  /** What was recognised on the stream. */
  kind: z.enum(['http', 'tls', 'raw', 'dns']),
  /** TLS client hello server name. */
  sni: z.string().optional(),
  /** Name the sinkhole's DNS answered with `dst.address` (each name gets its own address). */
  hostname: z.string().optional(),
  /** HTTP requests on the stream (decrypted when kind is tls). */
  http: z.array(SinkholeHttp).default([]),
  /** First bytes the client sent (raw: 4 KiB; udp: the datagram), base64. */
  dataBase64: z.string().default(''),
  bytes: z.number().int().default(0),
});
export type SinkholeStream = z.infer<typeof SinkholeStream>;

export const SinkholeCapture = z.object({
  dns: z.array(SinkholeDns),
  streams: z.array(SinkholeStream),
  /** Address the sinkhole answers DNS queries with. */
  answerAddress: z.string().optional(),
  /** CIDR the DNS answers are drawn from: one address per distinct name, so dst → name. */
  answerRange: z.string().optional(),
  /** Records not kept because a cap was reached (flood protection). */
  dropped: z.number().int().optional(),
});
export type SinkholeCapture = z.infer<typeof SinkholeCapture>;

/** Facts about the sandbox a report needs to interpret paths (randomized per analysis). */
export const SandboxInfo = z.object({
  image: z.string(),
  hostname: z.string(),
  user: z.string(),
  home: z.string(),
  /** Project directory the package is installed into. */
  workdir: z.string(),
  /** Directories that belong to the package under analysis (its own install dir). */
  packageDirs: z.array(z.string()),
  network: z.enum(['none', 'sinkhole']),
});
export type SandboxInfo = z.infer<typeof SandboxInfo>;
