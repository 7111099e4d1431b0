import type { LanConfig, Ports } from './netsetup.js';
import type { CannedResponse } from './responses.js';
import type { KnownCredentials, PublicIdentity } from './services.js';

/** The persona as the network sees it: its LAN, its name, its public face. */
export interface NetworkPersona extends PublicIdentity {
  lan: LanConfig;
}

export interface SinkholeServerConfig {
  caCertPem: string;
  caKeyPem: string;
  ports: Ports;
  controlSocket: string;
  canned: CannedResponse[];
  persona?: NetworkPersona;
  credentials?: KnownCredentials;
  /** Skip the namespaces, ip and iptables: serve right here (unit tests on the host loopback). */
  skipNetworkSetup?: boolean;
}

export const READY_LINE = 'VETBOX_SINKHOLE_READY';
/** Written beside the control socket when startup fails, for the controller to report. */
export const STARTUP_ERROR_FILE = 'startup-error.txt';

/** Records why startup failed where the controller looks for it, and exits. */
export function failStartup(controlSocket: string, err: unknown, write: (file: string, text: string) => void): never {
  const text = `sinkhole failed to start: ${err instanceof Error ? err.stack : String(err)}\n`;
  process.stderr.write(text);
  try {
    write(`${controlSocket.slice(0, controlSocket.lastIndexOf('/'))}/${STARTUP_ERROR_FILE}`, text);
  } catch {
    // nothing more to do: the controller times out without the detail
  }
  process.exit(1);
}
