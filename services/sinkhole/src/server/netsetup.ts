import { execFileSync } from 'node:child_process';

export interface Ports {
  dns: number;
  tcp: number;
  udp: number;
}

/**
 * The namespace has only `lo`. A default route on `lo` lets connect() to any address get as far
 * as netfilter, where every TCP/UDP flow not meant for the namespace's own loopback is
 * redirected to a sinkhole listener. Nothing has a path out: there is no other interface.
 */
export function networkCommands(ports: Ports): string[][] {
  const nat = ['iptables', '-w', '-t', 'nat', '-A', 'OUTPUT'];
  return [
    ['ip', 'link', 'set', 'lo', 'up'],
    // Without `src`, clients bind 0.0.0.0 and the listeners' replies never reach them.
    ['ip', 'route', 'add', 'default', 'dev', 'lo', 'src', '127.0.0.1'],
    [...nat, '-d', '127.0.0.0/8', '-j', 'RETURN'],
    [...nat, '-p', 'udp', '--dport', '53', '-j', 'REDIRECT', '--to-ports', String(ports.dns)],
    [...nat, '-p', 'tcp', '--dport', '53', '-j', 'REDIRECT', '--to-ports', String(ports.dns)],
    [...nat, '-p', 'tcp', '-j', 'REDIRECT', '--to-ports', String(ports.tcp)],
    [...nat, '-p', 'udp', '-j', 'REDIRECT', '--to-ports', String(ports.udp)],
  ];
}

export function setupNetwork(ports: Ports): void {
  for (const [cmd, ...args] of networkCommands(ports)) {
    execFileSync(cmd!, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  }
}
