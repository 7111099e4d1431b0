import { registrableDomain } from './addresses.js';
import type { CanaryReport } from './report.js';

export interface CanaryRoute {
  channel: CanaryReport['evidence'][number]['channel'];
  /** Registrable domain (or address) the canary reached. */
  domain: string;
  /** Lookups or requests that carried it there. */
  count: number;
  encodings: string[];
}

/**
 * Where a canary went, one route per channel and registrable domain, in order of first use: a
 * hostname hex-chunked over 200 names under one domain is one route counted 200 times, so the
 * CLI and the report page stay readable however many lookups carried it.
 */
export function canaryRoutes(canary: Pick<CanaryReport, 'evidence'>): CanaryRoute[] {
  const routes = new Map<string, CanaryRoute>();
  for (const e of canary.evidence) {
    const domain = registrableDomain(e.destination);
    const key = `${e.channel} ${domain}`;
    const route = routes.get(key) ?? { channel: e.channel, domain, count: 0, encodings: [] };
    route.count += 1;
    if (!route.encodings.includes(e.encoding)) route.encodings.push(e.encoding);
    routes.set(key, route);
  }
  return [...routes.values()];
}
