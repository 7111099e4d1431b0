import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Persona } from '@vetbox/contracts';

/**
 * A randomized, plausible developer workstation per analysis: malware has been seen checking for
 * fixed sandbox hostnames and user names, for an empty home, for reserved addresses. Every value
 * is long and varied enough that seeing it in the sinkhole's capture means it left this sandbox
 * (identity canaries): no bare `dev` user, no `ubuntu-desktop` host.
 */
export type SandboxIdentity = Omit<Persona, 'kernelRelease' | 'os' | 'python' | 'node' | 'npm'>;
export type Hardware = NonNullable<Persona['hardware']>;

const FIRST = ['alexis', 'samuel', 'jordan', 'maria', 'chris', 'priya', 'lucas', 'emma', 'daniel', 'sofia', 'kevin', 'anna', 'ryan', 'mei', 'omar', 'julia', 'tomas', 'nina', 'hannah', 'mateo', 'yuki', 'fatima', 'lars', 'irene'];
const LAST = ['chen', 'smith', 'kowalski', 'garcia', 'nguyen', 'mueller', 'patel', 'rossi', 'kim', 'johnson', 'silva', 'novak', 'tanaka', 'berg', 'okafor', 'lindqvist', 'moreau', 'haddad', 'ivanova', 'fischer'];
const PROJECTS = ['webapp', 'api-server', 'dashboard', 'billing-service', 'backend', 'frontend', 'cli-tool', 'data-pipeline', 'side-project', 'monorepo', 'checkout-ui', 'etl-jobs'];
const MAIL_DOMAINS = ['gmail.com', 'outlook.com', 'proton.me', 'fastmail.com'];

/**
 * Where the machine sits: time zone, residential ISP (name and origin AS, as geolocation APIs
 * report them), an IPv4 block and the IPv6 /32 that ISP hands its customers, and the city's
 * coordinates and a postal code.
 */
const LOCATIONS = [
  { timezone: 'America/Chicago', country: 'US', region: 'Illinois', city: 'Chicago', isp: 'Comcast Cable Communications, LLC', asn: 'AS7922', block: [73, 44], v6: '2601:240', postal: '60614', latitude: 41.9214, longitude: -87.6513 },
  { timezone: 'America/Los_Angeles', country: 'US', region: 'California', city: 'San Jose', isp: 'Comcast Cable Communications, LLC', asn: 'AS7922', block: [98, 207], v6: '2601:646', postal: '95126', latitude: 37.3249, longitude: -121.9153 },
  { timezone: 'America/New_York', country: 'US', region: 'New York', city: 'Brooklyn', isp: 'Verizon Business', asn: 'AS701', block: [108, 46], v6: '2600:4041', postal: '11215', latitude: 40.6681, longitude: -73.9806 },
  { timezone: 'Europe/Berlin', country: 'DE', region: 'Berlin', city: 'Berlin', isp: 'Deutsche Telekom AG', asn: 'AS3320', block: [79, 207], v6: '2003:e5', postal: '10437', latitude: 52.5396, longitude: 13.4159 },
  { timezone: 'Europe/London', country: 'GB', region: 'England', city: 'Manchester', isp: 'British Telecommunications PLC', asn: 'AS2856', block: [86, 146], v6: '2a00:23c7', postal: 'M14', latitude: 53.4491, longitude: -2.2247 },
  { timezone: 'Europe/Paris', country: 'FR', region: 'Ile-de-France', city: 'Paris', isp: 'Orange S.A.', asn: 'AS3215', block: [90, 63], v6: '2a01:cb00', postal: '75011', latitude: 48.8591, longitude: 2.3806 },
] as const;

/** Interface names and vendor prefixes of real laptops' network cards (Intel wireless and wired). */
const INTERFACES = ['wlp0s20f3', 'wlp2s0', 'enp0s31f6', 'wlp3s0'];
const OUIS = ['3c:58:c2', 'a4:c3:f0', 'f8:ac:65', '7c:b2:7d', '48:a4:72'];
const LANS = [
  { base: '192.168.1', gateway: '192.168.1.1' },
  { base: '192.168.0', gateway: '192.168.0.1' },
  { base: '192.168.178', gateway: '192.168.178.1' },
  { base: '10.0.0', gateway: '10.0.0.1' },
];

/**
 * Laptops developers buy, by CPU vendor: the CPU must match the host's (its flags and family show
 * in /proc/cpuinfo and to the CPUID instruction). DMI strings as those machines report them.
 */
const LAPTOPS: Record<'intel' | 'amd', Hardware[]> = {
  intel: [
    { vendor: 'LENOVO', product: '20XWCTO1WW', version: 'ThinkPad X1 Carbon Gen 9', board: '20XWCTO1WW', bios: 'N32ET86W (1.62 )', biosDate: '10/31/2023', cpu: '11th Gen Intel(R) Core(TM) i7-1165G7 @ 2.80GHz' },
    { vendor: 'Dell Inc.', product: 'XPS 13 9310', version: '', board: '0MRT12', bios: '3.21.0', biosDate: '03/14/2024', cpu: '11th Gen Intel(R) Core(TM) i7-1185G7 @ 3.00GHz' },
    { vendor: 'Framework', product: 'Laptop (12th Gen Intel Core)', version: 'A6', board: 'FRANMACP06', bios: '03.19', biosDate: '05/29/2023', cpu: '12th Gen Intel(R) Core(TM) i7-1260P' },
    { vendor: 'HP', product: 'HP EliteBook 840 G8 Notebook PC', version: 'SBKPF', board: '880D', bios: 'T37 Ver. 01.16.00', biosDate: '11/02/2023', cpu: '11th Gen Intel(R) Core(TM) i5-1145G7 @ 2.60GHz' },
  ],
  amd: [
    { vendor: 'LENOVO', product: '20XK0015US', version: 'ThinkPad T14 Gen 2a', board: '20XK0015US', bios: 'R1MET53W (1.23 )', biosDate: '08/09/2023', cpu: 'AMD Ryzen 7 PRO 5850U with Radeon Graphics' },
    { vendor: 'HP', product: 'HP EliteBook 845 G8 Notebook PC', version: 'SBKPF', board: '8895', bios: 'T82 Ver. 01.14.00', biosDate: '09/18/2023', cpu: 'AMD Ryzen 7 PRO 5850U with Radeon Graphics' },
    { vendor: 'LENOVO', product: '21EB0041US', version: 'ThinkPad E14 Gen 4', board: '21EB0041US', bios: 'R1SET49W (1.28 )', biosDate: '12/06/2023', cpu: 'AMD Ryzen 5 5625U with Radeon Graphics' },
    { vendor: 'ASUSTeK COMPUTER INC.', product: 'Zenbook UM425QA_UM425QA', version: '1.0', board: 'UM425QA', bios: 'UM425QA.310', biosDate: '07/21/2023', cpu: 'AMD Ryzen 7 5800H with Radeon Graphics' },
  ],
};

export function randomHardware(cpuVendor: 'intel' | 'amd'): Hardware {
  return pick(LAPTOPS[cpuVendor]);
}

const pick = <T>(list: readonly T[]): T => list[randomInt(list.length)]!;
const hex = (n: number): string => randomBytes(Math.ceil(n / 2)).toString('hex').slice(0, n);
const capital = (s: string): string => s[0]!.toUpperCase() + s.slice(1);

/**
 * User names of at least 8 characters in the styles people pick (`priya.patel`, `mchen1984`,
 * ...): long enough to be an unambiguous identity canary (the canary search needs 8 bytes).
 */
export function plausibleUser(): { user: string; fullName: string } {
  const first = pick(FIRST);
  const last = pick(LAST);
  const styles = [`${first}.${last}`, `${first}${last}`, `${first[0]}${last}${randomInt(70, 99)}`, `${first}-${last}`, `${first}${last[0]}${randomInt(10, 99)}`];
  const long = styles.filter((s) => s.length >= 8);
  return { user: long.length ? pick(long) : `${first}${last}${randomInt(1975, 2003)}`, fullName: `${capital(first)} ${capital(last)}` };
}

/** Hostnames in the styles real laptops and desktops use, always with something of their own. */
export function plausibleHostname(user = plausibleUser().user): string {
  const base = user.replace(/[^a-z0-9-]/g, '').slice(0, 20);
  const styles = [
    () => `dev-laptop-${hex(4)}`,
    () => `${base}-thinkpad`,
    () => `${base}-laptop`,
    () => `${base}-xps-${randomInt(13, 17)}`,
    () => `ws-${base}-${randomInt(2, 60)}`,
    () => `${base}-framework`,
  ];
  return pick(styles)();
}

/** The host's CPU vendor (the laptop's CPU must be of the same make). */
export function hostCpuVendor(cpuinfo = readCpuinfo()): 'intel' | 'amd' {
  return /^vendor_id\s*:\s*AuthenticAMD/m.test(cpuinfo) ? 'amd' : 'intel';
}

function readCpuinfo(): string {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return '';
  }
}

export function randomIdentity(opts: { cpuVendor?: 'intel' | 'amd' } = {}): SandboxIdentity {
  const { user, fullName } = plausibleUser();
  const home = `/home/${user}`;
  const place = pick(LOCATIONS);
  const lan = pick(LANS);
  return {
    user,
    fullName,
    email: `${user.replace(/[^a-z0-9.]/g, '')}@${pick(MAIL_DOMAINS)}`,
    hostname: plausibleHostname(user),
    home,
    workdir: `${home}/projects/${pick(PROJECTS)}`,
    machineId: hex(32),
    timezone: place.timezone,
    lan: {
      interface: pick(INTERFACES),
      address: `${lan.base}.${randomInt(20, 250)}`,
      prefix: 24,
      gateway: lan.gateway,
      mac: `${pick(OUIS)}:${hex(2)}:${hex(2)}:${hex(2)}`,
      // The ISP's prefix for this line, and a privacy (random) interface id as Linux picks by default.
      address6: `${place.v6}:${hex(4)}:${hex(4)}:${hex(4)}:${hex(4)}:${hex(4)}:${hex(4)}`.replace(/:0+(?=[0-9a-f])/g, ':'),
    },
    publicAddress: `${place.block[0]}.${place.block[1]}.${randomInt(1, 255)}.${randomInt(2, 254)}`,
    geo: {
      country: place.country,
      region: place.region,
      city: place.city,
      isp: place.isp,
      asn: place.asn,
      postal: place.postal,
      latitude: place.latitude,
      longitude: place.longitude,
    },
    hardware: randomHardware(opts.cpuVendor ?? hostCpuVendor()),
  };
}

export interface SkeletonFile {
  /** Relative to the home directory. */
  path: string;
  content: string | Buffer;
  mode?: number;
}

/**
 * Files that make the home look lived-in (on top of /etc/skel's .bashrc/.profile): git identity,
 * shell history, other projects, cache and config folders.
 */
export function homeSkeleton(id: SandboxIdentity): SkeletonFile[] {
  const other = PROJECTS.filter((p) => !id.workdir.endsWith(`/${p}`)).slice(0, 2 + randomInt(2));
  const project = id.workdir.slice(id.home.length + 1);
  const files: SkeletonFile[] = [
    { path: '.gitconfig', content: `[user]\n\tname = ${id.fullName}\n\temail = ${id.email}\n[core]\n\teditor = vim\n[init]\n\tdefaultBranch = main\n[pull]\n\trebase = false\n` },
    {
      path: '.bash_history',
      content: [
        `cd ${project}`, 'git status', 'git pull', 'npm install', 'npm test', 'code .', 'ls -la', 'docker ps',
        'python3 -m venv .venv', 'source .venv/bin/activate', 'pip install -r requirements.txt', 'git log --oneline | head',
        `cd ~/projects/${other[0]}`, 'npm run dev', 'git checkout -b fix/login', 'git commit -am "wip"', 'git push',
      ].join('\n') + '\n',
      mode: 0o600,
    },
    // Debian's .bashrc sources ~/.bash_aliases: the editor and the usual aliases.
    { path: '.bash_aliases', content: "alias ll='ls -alF'\nalias gs='git status'\nalias gl='git log --oneline --graph'\nexport EDITOR=vim\nexport VISUAL=vim\n" },
    { path: '.selected_editor', content: '# Generated by /usr/bin/select-editor\nSELECTED_EDITOR="/usr/bin/vim.basic"\n' },
    { path: '.vimrc', content: 'set number\nset expandtab\nset shiftwidth=2\nset tabstop=2\nsyntax on\nfiletype plugin indent on\n' },
    { path: '.config/Code/User/settings.json', content: '{\n  "editor.fontSize": 14,\n  "files.autoSave": "afterDelay"\n}\n' },
    { path: '.cache/.keep', content: '' },
    { path: '.local/share/.keep', content: '' },
    { path: '.local/bin/.keep', content: '' },
    { path: '.ssh/known_hosts', content: 'github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n', mode: 0o644 },
    { path: `${project}/README.md`, content: `# ${project.split('/').pop()}\n` },
  ];
  for (const name of other) {
    files.push({ path: `projects/${name}/README.md`, content: `# ${name}\n\nInternal tool. See docs/.\n` });
    files.push({ path: `projects/${name}/package.json`, content: JSON.stringify({ name, version: '0.3.1', private: true, scripts: { dev: 'node index.js', test: 'node --test' } }, null, 2) + '\n' });
    files.push({ path: `projects/${name}/index.js`, content: "console.log('hello');\n" });
  }
  return files;
}
