/**
 * The sinkhole process. Runs inside the sinkhole container (bundled to one file, no install):
 * `node sinkhole.cjs <config.json>` sets up the namespace and serves; `node sinkhole.cjs --dump
 * <control.sock>` prints the capture recorded so far (used through `docker exec`).
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { OriginalDestinations } from './conntrack.js';
import { ANSWER_RANGE, FakeAddressPool, startDnsServers } from './dns.js';
import { setupNetwork, type Ports } from './netsetup.js';
import { Recorder } from './recorder.js';
import type { CannedResponse } from './responses.js';
import { CatchAll } from './streams.js';
import { LeafMinter } from './tls.js';

export interface SinkholeServerConfig {
  caCertPem: string;
  caKeyPem: string;
  ports: Ports;
  controlSocket: string;
  canned: CannedResponse[];
  /** Skip ip/iptables (unit tests on the host loopback). */
  skipNetworkSetup?: boolean;
}

export const READY_LINE = 'VETBOX_SINKHOLE_READY';
/** Written beside the control socket when startup fails, for the controller to report. */
export const STARTUP_ERROR_FILE = 'startup-error.txt';

export async function serve(config: SinkholeServerConfig): Promise<{ recorder: Recorder; close: () => void }> {
  if (!config.skipNetworkSetup) setupNetwork(config.ports);
  const recorder = new Recorder(ANSWER_RANGE);
  const pool = new FakeAddressPool();
  const catchAll = new CatchAll({
    recorder,
    pool,
    originals: new OriginalDestinations(),
    minter: new LeafMinter(config.caCertPem, config.caKeyPem),
    canned: config.canned,
  });
  await startDnsServers(config.ports.dns, pool, recorder);
  await catchAll.listenTcp(config.ports.tcp);
  await catchAll.listenUdp(config.ports.udp);
  rmSync(config.controlSocket, { force: true });
  const control = net.createServer((socket) => {
    socket.on('error', () => socket.destroy());
    socket.end(JSON.stringify(recorder.snapshot()));
  });
  await new Promise<void>((resolve) => control.listen(config.controlSocket, resolve));
  return { recorder, close: () => control.close() };
}

function dump(socketPath: string): void {
  const socket = net.connect(socketPath);
  socket.pipe(process.stdout);
  socket.on('error', (err) => {
    process.stderr.write(`dump failed: ${err.message}\n`);
    process.exitCode = 1;
  });
}

export function main(argv: string[]): void {
  if (argv[0] === '--dump') return dump(argv[1] ?? '');
  const config = JSON.parse(readFileSync(argv[0] ?? '', 'utf8')) as SinkholeServerConfig;
  process.on('SIGTERM', () => process.exit(0));
  // Last line of defence against hostile input: log and keep recording.
  process.on('uncaughtException', (err) => process.stderr.write(`sinkhole error: ${err.stack ?? err.message}\n`));
  process.on('unhandledRejection', (err) => process.stderr.write(`sinkhole rejection: ${String(err)}\n`));
  serve(config).then(
    () => process.stdout.write(`${READY_LINE}\n`),
    (err: unknown) => {
      const text = `sinkhole failed to start: ${err instanceof Error ? err.stack : String(err)}\n`;
      process.stderr.write(text);
      try {
        writeFileSync(path.join(path.dirname(config.controlSocket), STARTUP_ERROR_FILE), text);
      } catch {
        // nothing more to do: the controller times out without the detail
      }
      process.exit(1);
    },
  );
}
