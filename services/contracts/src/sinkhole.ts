import { z } from 'zod';
import { ClockInfo } from './phases.js';

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

/**
 * Who the sandbox pretends to be: one developer workstation per analysis, randomized. Every
 * value a package could read about the machine it runs on is here, so a reviewer knows what the
 * package saw, and so the values themselves can be searched for in what left (identity
 * canaries): they are generated long and unique enough that finding one in a capture means it
 * came from this sandbox.
 */
export const Persona = z.object({
  user: z.string(),
  fullName: z.string(),
  email: z.string(),
  hostname: z.string(),
  home: z.string(),
  workdir: z.string(),
  /** /etc/machine-id (32 hex). */
  machineId: z.string(),
  /** IANA zone the clock and /etc/localtime agree on. */
  timezone: z.string(),
  /** Address of the sandbox's LAN interface, its gateway and MAC (a home or office network). */
  lan: z.object({
    interface: z.string(),
    address: z.string(),
    prefix: z.number().int(),
    gateway: z.string(),
    mac: z.string(),
    /** Global IPv6 address the ISP's prefix gives the interface (no NAT: it is also the public one). */
    address6: z.string().optional(),
  }),
  /** The residential address "what is my IP" services answer with; consistent within an analysis. */
  publicAddress: z.string(),
  /** Where that address places the machine (geolocation APIs answer with it; agrees with `timezone`). */
  geo: z.object({
    country: z.string(),
    region: z.string(),
    city: z.string(),
    isp: z.string(),
    /** `AS7922`-style origin AS of the address (ipinfo's `org`, ip-api's `as`). */
    asn: z.string().optional(),
    postal: z.string().optional(),
    latitude: z.number().optional(),
    longitude: z.number().optional(),
  }),
  /** The laptop the machine claims to be: DMI (/sys/class/dmi/id) and /proc/cpuinfo agree with it. */
  hardware: z
    .object({ vendor: z.string(), product: z.string(), version: z.string(), board: z.string(), bios: z.string(), biosDate: z.string(), cpu: z.string() })
    .optional(),
  /** When the machine claims it booted (ISO 8601); /proc/uptime, /proc/stat and `who -b` agree with it. */
  bootedAt: z.string().optional(),
  /** What the sandbox reports, filled in when the container is up (`uname -r`, os-release, versions). */
  kernelRelease: z.string().optional(),
  os: z.string().optional(),
  python: z.string().optional(),
  node: z.string().optional(),
  npm: z.string().optional(),
});
export type Persona = z.infer<typeof Persona>;

/** Which tracer recorded the phases, whether package code could see it, and what it lost. */
export const TracerInfo = z.object({
  name: z.enum(['ebpf', 'strace']),
  /** strace shows as TracerPid and a process; eBPF does not. */
  visibleToPackage: z.boolean(),
  /** Events the tracer could not deliver (ring buffer full); a phase with losses is incomplete. */
  lostEvents: z.number().int().nonnegative().optional(),
  /** Why the preferred tracer was not used (eBPF failed to load, SANDBOX_TRACER=strace, ...). */
  note: z.string().optional(),
});
export type TracerInfo = z.infer<typeof TracerInfo>;

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
  /** The workstation the package saw (absent in reports made before personas). */
  persona: Persona.optional(),
  tracer: TracerInfo.optional(),
  /** The idle phase's fast clock and date jump (absent before that phase existed). */
  clock: ClockInfo.optional(),
  /**
   * Directories of packages that are not the analyzed one (the project's other dependencies, the
   * global CLIs): reading their files is module loading, writing them is the package's behavior.
   */
  bystanderDirs: z.array(z.string()).optional(),
});
export type SandboxInfo = z.infer<typeof SandboxInfo>;
