import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readlinkSync } from 'node:fs';

export interface Ports {
  dns: number;
  tcp: number;
  udp: number;
}

/** The workstation's side of the network, from the persona (`Persona.lan`). */
export interface LanConfig {
  interface: string;
  address: string;
  prefix: number;
  gateway: string;
  mac: string;
  address6?: string;
}

/** Name of the router's end of the link, inside the sinkhole's own namespace (never seen by the sandbox). */
export const ROUTER_IF = 'lan0';
/** Routers advertise themselves on the link-local address; clients route IPv6 through it. */
export const ROUTER_LINK_LOCAL = 'fe80::1';

/**
 * Two network namespaces, like a laptop on a home network:
 *
 * - the **workstation** namespace (the sinkhole container's own, which the sandbox joins): `lo`
 *   and the persona's interface (`wlp0s20f3`, its MAC, its LAN address and IPv6 address), a
 *   default route to the router, and nothing else: no firewall rules for the package to find;
 * - the **router** namespace (private to the sinkhole process, made with `unshare --net`): the
 *   other end of that link and nothing else. Every packet arriving from the workstation is
 *   redirected to the sinkhole's listeners (netfilter PREROUTING, IPv4 and IPv6), so the router
 *   answers for the whole internet. It has no other interface and no route: nothing can leave.
 *
 * The link is a veth pair. Its workstation end reads as a virtual device where anyone looks
 * closely (`/sys/class/net/<if>` → `devices/virtual`, `ip link` shows `@if<n>`): the rest
 * of the machine reads as a laptop on Wi-Fi.
 */
export function workstationBatch(lan: LanConfig, routerPid: number): string {
  const lines = [
    'link set lo up',
    `link add ${lan.interface} type veth peer name ${ROUTER_IF} netns ${routerPid}`,
    `link set ${lan.interface} address ${lan.mac}`,
    `addr add ${lan.address}/${lan.prefix} dev ${lan.interface}`,
    ...(lan.address6 ? [`addr add ${lan.address6}/64 dev ${lan.interface} nodad`] : []),
    `link set ${lan.interface} up`,
    `route add default via ${lan.gateway} dev ${lan.interface}`,
    ...(lan.address6 ? [`route add default via ${ROUTER_LINK_LOCAL} dev ${lan.interface}`] : []),
  ];
  return lines.join('\n') + '\n';
}

/**
 * The router's end of the link: the LAN gateway address, IPv6 link-local fe80::1, and the
 * router's own address in the LAN's /64 (IPv6 REDIRECT needs a global address to redirect to).
 */
export function routerBatch(lan: LanConfig): string {
  const lines = ['link set lo up', `addr add ${lan.gateway}/${lan.prefix} dev ${ROUTER_IF}`, `addr add ${ROUTER_LINK_LOCAL}/64 dev ${ROUTER_IF} nodad`];
  if (lan.address6) lines.push(`addr add ${lan.address6.split(':').slice(0, 4).join(':')}::1/64 dev ${ROUTER_IF} nodad`);
  lines.push(`link set ${ROUTER_IF} up`);
  return lines.join('\n') + '\n';
}

/** The router's NAT table (iptables-restore input): every flow from the workstation onto a listener. */
export function natRules(lan: LanConfig, ports: Ports, family: 4 | 6): string {
  const rule = (r: string) => `-A PREROUTING -i ${ROUTER_IF} ${r}`;
  const rules = [
    // Cloud metadata (169.254.169.254) does not answer on a laptop: leave it unanswered.
    ...(family === 4 ? [rule('-d 169.254.0.0/16 -j RETURN')] : []),
    // Pings to anywhere are answered by the router itself (the reply carries the original address).
    ...(family === 4 ? [rule(`-p icmp --icmp-type echo-request -j DNAT --to-destination ${lan.gateway}`)] : []),
    rule(`-p udp --dport 53 -j REDIRECT --to-ports ${ports.dns}`),
    rule(`-p tcp --dport 53 -j REDIRECT --to-ports ${ports.dns}`),
    rule(`-p tcp -j REDIRECT --to-ports ${ports.tcp}`),
    rule(`-p udp -j REDIRECT --to-ports ${ports.udp}`),
  ];
  return ['*nat', ...rules, 'COMMIT', ''].join('\n');
}

function run(cmd: string[], input: string): void {
  execFileSync(cmd[0]!, cmd.slice(1), { input, stdio: ['pipe', 'ignore', 'inherit'] });
}

/** `nsenter` into the router namespace held by `pid`. */
export function inRouter(pid: number): string[] {
  return ['nsenter', `--net=/proc/${pid}/ns/net`, '--'];
}

/**
 * Makes the router namespace (held by a sleeping process) and wires both ends. Returns the
 * holder: the sinkhole server is then started inside its namespace.
 */
export async function setupNetwork(lan: LanConfig, ports: Ports): Promise<ChildProcess> {
  const holder = spawn('unshare', ['--net', '--', 'sleep', 'infinity'], { stdio: 'ignore' });
  await new Promise<void>((resolve, reject) => {
    holder.once('error', reject);
    holder.once('spawn', () => resolve());
  });
  const pid = holder.pid!;
  // unshare(1) execs sleep once the namespace exists: wait until the pid's namespace changed.
  const self = readNs('self');
  for (let i = 0; i < 200 && readNs(String(pid)) === self; i++) await new Promise((r) => setTimeout(r, 10));
  if (readNs(String(pid)) === self) throw new Error('router namespace was not created');
  // Four commands in all: each exec is slow on a loaded machine.
  run(['ip', '-batch', '-'], workstationBatch(lan, pid));
  run([...inRouter(pid), 'ip', '-batch', '-'], routerBatch(lan));
  run([...inRouter(pid), 'iptables-restore', '-w'], natRules(lan, ports, 4));
  run([...inRouter(pid), 'ip6tables-restore', '-w'], natRules(lan, ports, 6));
  return holder;
}

function readNs(pid: string): string {
  try {
    return readlinkSync(`/proc/${pid}/ns/net`);
  } catch {
    return '';
  }
}
