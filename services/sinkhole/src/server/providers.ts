import { registrableDomain } from '@vetbox/contracts/addresses';

/**
 * Where public names live: hosting providers with address blocks they announce, and which
 * provider serves well-known domains. The sinkhole answers a name with an address from its
 * provider's block, so a lookup of `registry.npmjs.org` gives a Cloudflare address and one of
 * `api.github.com` a GitHub one, as on a real network. Blocks are taken from the providers'
 * published ranges (Cloudflare https://www.cloudflare.com/ips/, AWS ip-ranges.json, GitHub
 * https://api.github.com/meta, Google's goog.json, Fastly's public-ip-list); a few /16s of each
 * are enough.
 */
export interface Provider {
  id: string;
  v4: readonly string[];
  /** A /32 (or longer) the provider announces; absent: the provider's names have no AAAA. */
  v6?: string;
  /** CNAME target style for non-apex names (`{name}`, `{apex}`, `{hash}` are filled in). */
  cname?: string;
  /** Name servers for its customers' zones. */
  ns?: readonly string[];
}

export const PROVIDERS: Readonly<Record<string, Provider>> = {
  cloudflare: { id: 'cloudflare', v4: ['104.16.0.0/13', '172.64.0.0/13', '162.159.0.0/16'], v6: '2606:4700', cname: '{name}.cdn.cloudflare.net', ns: ['dana.ns.cloudflare.com', 'rob.ns.cloudflare.com'] },
  fastly: { id: 'fastly', v4: ['151.101.0.0/16', '146.75.0.0/17'], v6: '2a04:4e42', cname: 'dualstack.{hash}.map.fastly.net' },
  github: { id: 'github', v4: ['140.82.112.0/20', '192.30.252.0/22'], ns: ['dns1.p08.nsone.net', 'ns-1707.awsdns-21.co.uk'] },
  google: { id: 'google', v4: ['142.250.0.0/15', '172.217.0.0/16', '216.58.192.0/19'], v6: '2607:f8b0', ns: ['ns1.google.com', 'ns2.google.com'] },
  aws: { id: 'aws', v4: ['52.0.0.0/11', '54.144.0.0/12', '3.208.0.0/12', '18.204.0.0/14'], v6: '2600:1f18', cname: '{hash}.elb.amazonaws.com', ns: ['ns-1338.awsdns-39.org', 'ns-412.awsdns-51.com'] },
  cloudfront: { id: 'cloudfront', v4: ['13.224.0.0/14', '18.160.0.0/15', '108.138.0.0/15'], v6: '2600:9000', cname: 'd{hash}.cloudfront.net' },
  azure: { id: 'azure', v4: ['20.36.0.0/14', '40.112.0.0/13'], v6: '2603:1030', cname: '{hash}.azureedge.net' },
  akamai: { id: 'akamai', v4: ['23.32.0.0/11', '104.64.0.0/10'], v6: '2600:1408', cname: '{apex}.edgekey.net' },
  digitalocean: { id: 'digitalocean', v4: ['159.89.0.0/16', '167.99.0.0/16', '64.225.0.0/16', '138.68.0.0/16'], v6: '2604:a880', ns: ['ns1.digitalocean.com', 'ns2.digitalocean.com'] },
  hetzner: { id: 'hetzner', v4: ['65.108.0.0/15', '95.216.0.0/15', '135.181.0.0/16'], v6: '2a01:4f9', ns: ['hydrogen.ns.hetzner.com', 'oxygen.ns.hetzner.com'] },
  ovh: { id: 'ovh', v4: ['51.68.0.0/16', '51.75.0.0/16', '141.94.0.0/16'], v6: '2001:41d0' },
  telegram: { id: 'telegram', v4: ['149.154.160.0/20', '91.108.4.0/22'], v6: '2001:67c:4e8' },
  // Services that answer over IPv4 only (their names have no AAAA).
  ipv4only: { id: 'ipv4only', v4: ['54.144.0.0/12', '3.208.0.0/12', '104.16.0.0/13'] },
};

/** Domains (and everything under them) pinned to the provider that really serves them. */
export const PINNED: Readonly<Record<string, string>> = {
  // IPv4-only "what is my IP" endpoints, before their dual-stack siblings' domains.
  'api.ipify.org': 'ipv4only',
  'api4.ipify.org': 'ipv4only',
  'ipv4.icanhazip.com': 'ipv4only',
  'checkip.amazonaws.com': 'ipv4only',
  'v4.ident.me': 'ipv4only',
  'ipv4.seeip.org': 'ipv4only',
  'ip-api.com': 'ipv4only',
  // Geolocation answers stay the residential IPv4 address (what stealers record).
  'ipinfo.io': 'ipv4only',
  'ipapi.co': 'ipv4only',
  'ipwho.is': 'ipv4only',
  'github.com': 'github',
  'githubusercontent.com': 'fastly',
  'github.io': 'fastly',
  'githubassets.com': 'fastly',
  'npmjs.org': 'cloudflare',
  'npmjs.com': 'cloudflare',
  'yarnpkg.com': 'cloudflare',
  'nodejs.org': 'cloudflare',
  'pypi.org': 'fastly',
  'pythonhosted.org': 'fastly',
  'python.org': 'fastly',
  'google.com': 'google',
  'googleapis.com': 'google',
  'gstatic.com': 'google',
  'googleusercontent.com': 'google',
  'amazonaws.com': 'aws',
  'cloudfront.net': 'cloudfront',
  'slack.com': 'aws',
  'discord.com': 'cloudflare',
  'discordapp.com': 'cloudflare',
  'telegram.org': 'telegram',
  't.me': 'telegram',
  'ipify.org': 'cloudflare',
  'ifconfig.me': 'google',
  'icanhazip.com': 'cloudflare',
  'pastebin.com': 'cloudflare',
  'microsoft.com': 'akamai',
  'azure.com': 'azure',
  'windows.net': 'azure',
  'example.com': 'akamai',
  'example.net': 'akamai',
  'example.org': 'akamai',
};

/** Providers an unknown domain is placed on (by a hash of the domain, so its names stay together). */
export const GENERAL_HOSTING = ['cloudflare', 'aws', 'cloudfront', 'digitalocean', 'hetzner', 'ovh', 'akamai', 'fastly'] as const;

export function providerOf(name: string): Provider {
  const lower = name.toLowerCase().replace(/\.$/, '');
  for (const [domain, id] of Object.entries(PINNED)) {
    if (lower === domain || lower.endsWith(`.${domain}`)) return PROVIDERS[id]!;
  }
  const apex = registrableDomain(lower);
  return PROVIDERS[GENERAL_HOSTING[hash32(apex) % GENERAL_HOSTING.length]!]!;
}

/** FNV-1a: a stable spread of names over providers and CNAME labels. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
