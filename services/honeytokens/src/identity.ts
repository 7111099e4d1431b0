import { isPrivateAddress, registrableDomain, type Behavior, type CanaryReport, type SandboxInfo, type SinkholeCapture } from '@vetbox/contracts';
import type { Segment } from './corpus.js';
import { detectLeaks } from './detect.js';
import { detectEnvironmentLeaks } from './environment.js';
import type { PlantedCanary } from './generate.js';

/** One value of the persona, searched for like a planted credential. */
export interface IdentityCanary extends PlantedCanary {
  kind: 'identity';
  /**
   * Shared by many machines (a kernel release, a LAN address like 192.168.1.57): a leak counts
   * only when something unambiguous from the machine went to the same destination.
   */
  weak: boolean;
}

/** Where a report's identity canaries come from: the sandbox facts every report has, and the persona. */
export type IdentitySource = Pick<SandboxInfo, 'hostname' | 'user' | 'home' | 'workdir' | 'persona'>;

/** Shorter values are not searched: the canary search needs 8 bytes to be unambiguous. */
const MIN_LENGTH = 8;

/**
 * The persona's values as canaries: the machine's name, the user, the home and project paths,
 * the machine id, e-mail and full name, its addresses and MAC, and the kernel release. Spellings
 * a payload produces on its way out count too (a user name without its dot, a MAC without colons).
 */
export function identityCanaries(source: IdentitySource): IdentityCanary[] {
  const p = source.persona;
  const out: IdentityCanary[] = [];
  const add = (planted: string, value: string | undefined, weak = false, spellings: string[] = []) => {
    if (!value) return;
    const values = [...new Set([value, ...spellings])].filter((v) => v.length >= MIN_LENGTH);
    if (values.length === 0) return;
    out.push({ kind: 'identity', planted, values, preview: value, weak });
  };
  const bare = (v: string) => v.replace(/[.\-_]/g, '');
  add('hostname', source.hostname, false, [bare(source.hostname)]);
  add('user name', source.user, false, [bare(source.user)]);
  add('home directory', source.home);
  add('project directory', source.workdir);
  add('machine id', p?.machineId);
  add('e-mail address', p?.email);
  add('full name', p?.fullName);
  add('MAC address', p?.lan.mac, false, p ? [p.lan.mac.replace(/:/g, ''), p.lan.mac.replace(/:/g, '-'), p.lan.mac.toUpperCase()] : []);
  add('public address', p?.publicAddress);
  add('IPv6 address', p?.lan.address6);
  add('LAN address', p?.lan.address, true);
  add('kernel release', p?.kernelRelease, true);
  return out;
}

const LOCAL_SUFFIXES = ['', '.lan', '.local', '.localdomain', '.home', '.fritz.box', '.home.arpa', '.internal'];

/**
 * Hits that are not leaks: the machine resolving its own name (glibc and Python's getfqdn do),
 * and traffic to the LAN or multicast (mDNS announcing the host name), which never leaves the
 * network.
 */
function localUse(capture: SinkholeCapture, hostname: string): (segment: Segment) => boolean {
  const own = new Set(LOCAL_SUFFIXES.map((s) => `${hostname.toLowerCase()}${s}`));
  return (segment) => {
    if (segment.capture.list === 'dns') {
      if (segment.dnsRuns) return false;
      const name = capture.dns[segment.capture.index]?.name.toLowerCase().replace(/\.$/, '') ?? '';
      return own.has(name);
    }
    const stream = capture.streams[segment.capture.index];
    return !!stream && !stream.hostname && !stream.sni && (isPrivateAddress(stream.dst.address) || /^(22[4-9]|23\d)\.|^ff/i.test(stream.dst.address));
  };
}

export interface MachineLeakInput {
  capture: SinkholeCapture;
  behavior?: Behavior;
  sandbox: IdentitySource;
  /** The planted-credential reports of the same analysis (their env variable names, where they leaked). */
  credentials: CanaryReport[];
}

/**
 * What left about the machine itself, beyond planted credentials: each persona value found in
 * the capture (an `identity` report per value that leaked), and the process environment as a
 * whole (one `environment` report). Depends only on what a stored report keeps (its capture,
 * behavior, sandbox and credential reports), so a rescore reaches the same result.
 */
export function detectMachineLeaks(input: MachineLeakInput): CanaryReport[] {
  const canaries = identityCanaries(input.sandbox);
  const ignore = localUse(input.capture, input.sandbox.hostname);
  const found = detectLeaks(canaries, input.capture, input.behavior, { ignore: (_c, segment) => ignore(segment) });
  const envNames = input.credentials.filter((c) => c.kind.startsWith('env-')).map((c) => c.planted);
  const environment = detectEnvironmentLeaks(input.capture, input.behavior, envNames, ignore);
  // Destinations that got something unambiguous: a strong identity value, the environment, a credential.
  const strong = new Set<string>();
  const note = (r: CanaryReport) => r.evidence.forEach((e) => strong.add(registrableDomain(e.destination.replace(/:\d+$/, ''))));
  found.forEach((r, i) => !canaries[i]!.weak && note(r));
  environment.forEach(note);
  input.credentials.forEach(note);
  const reports = found.map((r, i) => {
    if (!canaries[i]!.weak) return r;
    const evidence = r.evidence.filter((e) => strong.has(registrableDomain(e.destination.replace(/:\d+$/, ''))));
    return { ...r, evidence, leaked: evidence.length > 0 };
  });
  return [...reports.filter((r) => r.leaked), ...environment];
}
