// Address classes the rules and the diff both need: what stays inside the sandbox.
import { getDomain, parse } from 'tldts';

export function isLoopback(address: string): boolean {
  return /^127\./.test(address) || address === '::1' || address === 'localhost' || address === '0.0.0.0' || address === '::';
}

/** RFC 1918, loopback, link-local and unique-local addresses: inside the sandbox, never a destination out. */
export function isPrivateAddress(address: string): boolean {
  return (
    isLoopback(address) ||
    /^10\./.test(address) ||
    /^192\.168\./.test(address) ||
    /^172\.(1[6-9]|2\d|3[01])\./.test(address) ||
    /^169\.254\./.test(address) ||
    /^f[cd][0-9a-f]{2}:/i.test(address) ||
    /^fe80:/i.test(address)
  );
}

/**
 * The registrable domain of a host name, from the Public Suffix List: `a.b.example.co.uk` →
 * `example.co.uk`; a tenant of a hosting service is its own domain (`abc.ngrok-free.app`).
 * Addresses and single labels come back as they are (lowercased, without a trailing dot).
 */
export function registrableDomain(host: string): string {
  const name = host.trim().toLowerCase().replace(/\.$/, '');
  return getDomain(name, { allowPrivateDomains: true }) ?? name;
}

/** Whether a name ends in a suffix the public suffix list knows (a top-level domain that exists). */
export function hasKnownSuffix(host: string): boolean {
  const parsed = parse(host.trim().toLowerCase().replace(/\.$/, ''), { allowPrivateDomains: true });
  return parsed.isIcann === true || parsed.isPrivate === true;
}
