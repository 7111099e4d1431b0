/** Host vocabulary: registry, release and toolchain hosts, exfiltration services, mining pools. */
import { channelOf } from './channels.js';

export function normalizeHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[')) h = h.slice(1, h.indexOf(']') === -1 ? undefined : h.indexOf(']'));
  else if (/^[^:]+:\d+$/.test(h)) h = h.slice(0, h.lastIndexOf(':'));
  return h.replace(/\.$/, '');
}

export function hostMatches(host: string, domain: string): boolean {
  return host === domain || host.endsWith(`.${domain}`);
}

export function isIpLiteral(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.includes(':');
}

// Shared with the diff, which also has to tell the sandbox's resolver from a destination.
export { isLoopback, isPrivateAddress } from '@vetbox/contracts';

/** Where platform binaries are published: a download from here is at most low. */
export const RELEASE_HOSTS: readonly string[] = [
  'github.com',
  'objects.githubusercontent.com',
  'release-assets.githubusercontent.com',
  'github-releases.githubusercontent.com',
  'codeload.github.com',
  'raw.githubusercontent.com',
  'gitlab.com',
  'bitbucket.org',
];

/**
 * Download hosts popular packages fetch their platform binaries from at install time (browsers
 * for puppeteer/playwright/cypress, engines for prisma, CLIs). A GET from them is at most low;
 * what the downloaded file then does is judged by the other rules.
 */
export const BINARY_HOSTS: Readonly<Record<string, string>> = {
  'storage.googleapis.com': 'Chrome for Testing / Google-hosted binaries (puppeteer, chromedriver, grpc)',
  'edgedl.me.gvt1.com': 'Chrome for Testing (puppeteer)',
  'googlechromelabs.github.io': 'Chrome for Testing version index (puppeteer)',
  'cdn.playwright.dev': 'Playwright browsers',
  'playwright.download.prss.microsoft.com': 'Playwright browsers',
  'playwright.azureedge.net': 'Playwright browsers',
  'download.cypress.io': 'Cypress binary',
  'cdn.cypress.io': 'Cypress binary',
  'binaries.prisma.sh': 'Prisma engines',
  'downloads.sentry-cdn.com': 'Sentry CLI',
  'registry.npmmirror.com': 'npmmirror binary mirror',
  'cdn.npmmirror.com': 'npmmirror binary mirror',
};

export function binaryHost(host: string): string | undefined {
  const match = Object.keys(BINARY_HOSTS).find((d) => hostMatches(host, d));
  return match ? BINARY_HOSTS[match] : undefined;
}

// What a platform binary download asks for: an archive or binary, its checksum or signature, or
// anything under a releases/download directory.
const RELEASE_ARTIFACT = /\/releases?\/|\/downloads?\/|\.(tar\.gz|tgz|tar\.xz|txz|tar\.bz2|tbz2?|tar|zip|gz|xz|bz2|zst|7z|node|exe|bin|msi|deb|rpm|apk|whl|jar|so|dylib|dll|wasm|sha256|sha512|sha256sum|sig|asc|minisig)$/i;

/**
 * A request path for a release artifact. Hosts a package declares itself are only trusted for
 * these: `GET /stage2.js` from the package's "homepage" is a payload, not a platform binary.
 */
export function isReleaseArtifactPath(path: string): boolean {
  const clean = path.split(/[?#]/)[0] ?? path;
  return RELEASE_ARTIFACT.test(clean);
}

/** Build toolchain downloads (node-gyp fetching Node.js headers). */
export const TOOLCHAIN_HOSTS: readonly string[] = ['nodejs.org', 'unofficial-builds.nodejs.org', 'electronjs.org'];

export const MINING_POOLS: readonly string[] = [
  'minexmr.com',
  'supportxmr.com',
  'nanopool.org',
  'moneroocean.stream',
  '2miners.com',
  'f2pool.com',
  'ethermine.org',
  'hashvault.pro',
  'c3pool.com',
  'herominers.com',
  'nicehash.com',
  'minergate.com',
  'xmrpool.eu',
  'dwarfpool.com',
  'unmineable.com',
  'zpool.ca',
  'viabtc.com',
  'antpool.com',
  'slushpool.com',
  'poolin.com',
  'miningpoolhub.com',
  'kryptex.network',
];

export function isMiningPool(host: string): boolean {
  return MINING_POOLS.some((d) => hostMatches(host, d)) || /(^|[.-])(xmr|stratum|monero)[.-]/.test(host);
}

/**
 * Services attackers use to receive stolen data (chat webhooks, paste and file drops, request
 * bins, out-of-band servers, tunnels): the channel list, without the IP-lookup services.
 */
export function isExfilService(host: string): boolean {
  const channel = channelOf(host);
  return !!channel && channel.kind !== 'ip-lookup' && channel.kind !== 'geolocation';
}

/** A label of 30+ hex/base32/base64-ish characters: data smuggled in the query name. */
export function looksLikeDnsTunnel(name: string): boolean {
  return name.split('.').some((label) => label.length >= 30 && /^[a-z0-9_-]+$/i.test(label) && /\d/.test(label));
}
