import type { PhaseName, Severity } from '@vetbox/contracts';
import { shortArgv, programName, type Draft, type Evidence, type RuleContext } from '../context.js';
import { isMiningPool, normalizeHost } from '../hosts.js';

const MINER_NAMES = /^(xmrig|xmr-stak|xmr-stak-cpu|minerd|cpuminer|cpuminer-multi|cgminer|bfgminer|ethminer|nbminer|t-rex|lolminer|phoenixminer|gminer|teamredminer|srbminer|srbminer-multi|nanominer|ccminer|kawpowminer)$/i;
const MINER_ARGS = /stratum\+(tcp|ssl|tls):\/\/|--donate-level\b|--cpu-max-threads-hint\b|--randomx-|-a\s+(cryptonight|randomx|rx\/0|kawpow|ethash)\b/i;
// Stratum / XMRig JSON-RPC as the first bytes on a stream or in a request body.
const STRATUM_PROTOCOL = /mining\.(subscribe|authorize|submit)|"method"\s*:\s*"login"[\s\S]*"(agent|algo|pass)"|XMRig\//;

/** crypto-mining: miners, stratum URLs, the mining protocol, pool lookups. */
export function cryptoMining(ctx: RuleContext): Draft[] {
  const byPhase = new Map<PhaseName, { severity: Severity; evidence: Evidence[] }>();
  const add = (phase: PhaseName, severity: Severity, ev: Evidence) => {
    const g = byPhase.get(phase) ?? { severity: 'high' as Severity, evidence: [] };
    if (severity === 'critical') g.severity = 'critical';
    g.evidence.push(ev);
    byPhase.set(phase, g);
  };

  for (const { entry, index } of ctx.packageProcesses()) {
    const text = entry.argv.join(' ');
    if (MINER_NAMES.test(programName(entry)) || MINER_ARGS.test(text)) {
      add(entry.phase, 'critical', ctx.processEvidence(index, `runs a miner: ${shortArgv(entry.argv, 200)}`));
    }
  }

  const net = ctx.behavior.network;
  net.connections.forEach((c, index) => {
    if (c.sent && STRATUM_PROTOCOL.test(c.sent)) {
      add(c.phase, 'critical', { kind: 'connection', index, summary: `stratum mining protocol sent to ${c.hostname ?? c.address}:${c.port}`, key: `stratum:${c.hostname ?? c.address}:${c.port}` });
    }
  });
  net.http.forEach((h, index) => {
    if (STRATUM_PROTOCOL.test(h.bodyPreview) || /stratum\+/.test(h.path)) {
      add(h.phase, 'critical', { kind: 'http', index, summary: `mining protocol in a request to ${h.host}`, key: `stratum-http:${normalizeHost(h.host)}` });
    }
  });
  const pools = new Set<string>();
  net.dns.forEach((q, index) => {
    const host = normalizeHost(q.name);
    if (!isMiningPool(host) || pools.has(`${q.phase}:${host}`)) return;
    pools.add(`${q.phase}:${host}`);
    add(q.phase, 'high', { kind: 'dns', index, summary: `looked up the mining pool ${host}`, key: `pool:${host}` });
  });
  net.connections.forEach((c, index) => {
    const host = c.hostname ? normalizeHost(c.hostname) : undefined;
    if (!host || !isMiningPool(host) || pools.has(`${c.phase}:${host}`)) return;
    pools.add(`${c.phase}:${host}`);
    add(c.phase, 'critical', { kind: 'connection', index, summary: `connected to the mining pool ${host}:${c.port}`, key: `pool:${host}` });
  });

  return [...byPhase].map(([phase, g]) => ({ rule: 'crypto-mining', severity: g.severity, phase, evidence: g.evidence }));
}
