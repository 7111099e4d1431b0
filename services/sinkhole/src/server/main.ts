/**
 * The sinkhole's listeners. Run inside the router namespace by the launcher (`node sinkhole.cjs
 * --serve <config.json>`), or in place on the host loopback by unit tests (`serve()` with
 * `skipNetworkSetup`).
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { AddressBook } from './addresses.js';
import { READY_LINE, failStartup, type SinkholeServerConfig } from './config.js';
import { OriginalDestinations } from './conntrack.js';
import { startDnsServers } from './dns.js';
import { Recorder } from './recorder.js';
import { NO_CREDENTIALS } from './services.js';
import { CatchAll } from './streams.js';
import { LeafMinter } from './tls.js';

export type { NetworkPersona, SinkholeServerConfig } from './config.js';

/** The listeners and the capture (runs in the router namespace, or in place for unit tests). */
export async function serve(config: SinkholeServerConfig): Promise<{ recorder: Recorder; book: AddressBook; close: () => void }> {
  const recorder = new Recorder();
  const persona = config.persona;
  const book = new AddressBook(persona ? { hostname: persona.hostname, address: persona.lan.address, address6: persona.lan.address6, gateway: persona.lan.gateway } : undefined);
  const catchAll = new CatchAll({
    recorder,
    book,
    originals: new OriginalDestinations(),
    minter: new LeafMinter(config.caCertPem, config.caKeyPem),
    canned: config.canned,
    ...(persona ? { identity: persona } : {}),
    credentials: config.credentials ?? NO_CREDENTIALS,
  });
  await startDnsServers(config.ports.dns, book, recorder);
  await catchAll.listenTcp(config.ports.tcp);
  await catchAll.listenUdp(config.ports.udp);
  rmSync(config.controlSocket, { force: true });
  const control = net.createServer((socket) => {
    socket.on('error', () => socket.destroy());
    socket.end(JSON.stringify(recorder.snapshot()));
  });
  await new Promise<void>((resolve) => control.listen(config.controlSocket, resolve));
  return { recorder, book, close: () => control.close() };
}

export function main(argv: string[]): void {
  const configPath = (argv[0] === '--serve' ? argv[1] : argv[0]) ?? '';
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as SinkholeServerConfig;
  process.on('SIGTERM', () => process.exit(0));
  // Last line of defence against hostile input: log and keep recording.
  process.on('uncaughtException', (err) => process.stderr.write(`sinkhole error: ${err.stack ?? err.message}\n`));
  process.on('unhandledRejection', (err) => process.stderr.write(`sinkhole rejection: ${String(err)}\n`));
  serve(config).then(
    () => process.stdout.write(`${READY_LINE}\n`),
    (err: unknown) => failStartup(config.controlSocket, err, writeFileSync),
  );
}
