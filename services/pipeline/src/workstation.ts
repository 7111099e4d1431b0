import { generateCanaries } from '@vetbox/honeytokens';
import type { SandboxIdentity } from '@vetbox/sandbox';
import type { Sinkhole } from '@vetbox/sinkhole';

export type Canaries = ReturnType<typeof generateCanaries>;

/** The canaries planted on one workstation (named after its user, host, home and project). */
export function canariesFor(identity: SandboxIdentity): Canaries {
  return generateCanaries({ home: identity.home, workdir: identity.workdir, user: identity.user, hostname: identity.hostname });
}

/**
 * What a sandbox takes from its workstation: the identity, the planted canaries, and its
 * sinkhole's network and CA. One mapping for a sandbox opened per analysis and one prepared ahead.
 */
export function workstationOptions(identity: SandboxIdentity, canaries: Canaries, sinkhole: Pick<Sinkhole, 'network' | 'caCertPem'>) {
  return { identity, network: sinkhole.network, env: canaries.env, homeFiles: canaries.files, caCertPem: sinkhole.caCertPem };
}
