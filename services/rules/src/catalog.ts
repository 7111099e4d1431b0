import { VetboxError, type Severity } from '@vetbox/contracts';

/**
 * What a finding is evidence *of*. Scoring treats two high findings of different categories
 * as corroborating each other (an attack chain), and two of the same category as one signal.
 */
export type RuleCategory =
  | 'exfiltration'
  | 'collection'
  | 'egress'
  | 'execution'
  | 'persistence'
  | 'evasion'
  | 'impact'
  | 'filesystem'
  | 'identity'
  | 'change'
  | 'intel';

export interface RuleInfo {
  id: string;
  category: RuleCategory;
  /** The severity the rule reports at when nothing lowers or raises it. */
  severity: Severity;
  /** Every severity the rule can report (depends on context, see `explanation`). */
  severities: readonly Severity[];
  title: string;
  /** What it means and what a reviewer should do about it. */
  explanation: string;
}

const catalog = [
  {
    id: 'credential-exfiltration',
    category: 'exfiltration',
    severity: 'critical',
    severities: ['critical'],
    title: 'A planted credential left the sandbox',
    explanation:
      'A fake credential planted in the sandbox (environment variable or credential file) was seen, possibly encoded, in ' +
      'traffic the package sent out. Nothing legitimate does this: treat the package as credential-stealing malware, do not ' +
      'install it, and rotate any real credential present on machines where it was installed.',
  },
  {
    id: 'identity-exfiltration',
    category: 'exfiltration',
    severity: 'high',
    severities: ['critical', 'high'],
    title: "The machine's identity left the sandbox",
    explanation:
      "Values of the sandbox's randomized identity (its hostname, user name, home or project path, machine id, e-mail, " +
      'addresses) were found, possibly encoded or split across DNS names, in traffic the package sent. Dependency-confusion ' +
      'probes and stealers collect exactly this to fingerprint their victims; legitimate installers report at most the OS and ' +
      'architecture. Critical together with planted credentials or the environment. Treat the package as malicious.',
  },
  {
    id: 'environment-exfiltration',
    category: 'exfiltration',
    severity: 'high',
    severities: ['critical', 'high'],
    title: 'The process environment left the sandbox',
    explanation:
      'Most of the process environment (many of its variable names with their values, in any encoding) was sent in one ' +
      'request, name or stream. Environments hold tokens, cloud keys and CI secrets; nothing legitimate sends them whole. ' +
      'Critical together with planted credentials or the machine identity. Rotate secrets that were in the environment.',
  },
  {
    id: 'exfiltration-channel',
    category: 'egress',
    severity: 'high',
    severities: ['critical', 'high', 'medium', 'low'],
    title: 'Uses a known exfiltration channel',
    explanation:
      'The package contacted a service attackers use to receive stolen data, recognised from the decrypted request: a chat ' +
      'webhook or bot API, a paste or file-drop service, a request-inspection or out-of-band testing server, a tunnel to a ' +
      'private listener, or a public-IP/geolocation lookup (victim profiling). Critical when anything planted in the sandbox ' +
      'went there, high for any upload or out-of-band lookup, medium for a contact alone; an IP lookup is low unless data ' +
      'was also sent.',
  },
  {
    id: 'credential-store-read',
    category: 'collection',
    severity: 'high',
    severities: ['high', 'low'],
    title: 'Package code read a credential store',
    explanation:
      'A process started by the package (not the package manager itself) opened, or probed for, a file that holds secrets: SSH keys, cloud or ' +
      'registry tokens, browser profiles, crypto wallets or system password hashes. Install and import code has no reason to ' +
      'read these. Check what the cited process does with the data; together with any network activity this is theft. ' +
      'A read of package-manager configuration only (~/.npmrc, ~/.yarnrc, pip.conf: proxy and registry settings live ' +
      'there too) is low when no planted credential left and the package talked to nothing but the registry and release hosts.',
  },
  {
    id: 'network-activity',
    category: 'egress',
    severity: 'high',
    severities: ['high', 'medium', 'low'],
    title: 'Network activity during install or import',
    explanation:
      'The package looked up or contacted a host other than the package registry while being installed or imported. ' +
      'Connections and data sent to unknown hosts are high, a DNS lookup alone is medium, and a download from the ' +
      "project's own release host (e.g. a platform binary from GitHub releases) or Node.js headers for node-gyp is low. " +
      'Check that the destination belongs to the project and that nothing was sent.',
  },
  {
    id: 'downloader-execution',
    category: 'execution',
    severity: 'high',
    severities: ['high', 'medium', 'low'],
    title: 'Package code ran a downloader',
    explanation:
      'The package ran a download or raw network tool (curl, wget, nc, socat, ...) or an interpreter one-liner that fetches ' +
      'from the network. Piping a download into a shell or interpreter is high; a plain download from an unknown host is ' +
      "medium; from the project's release host it is low. Find out what was fetched and what then ran it.",
  },
  {
    id: 'shell-execution',
    category: 'execution',
    severity: 'high',
    severities: ['high'],
    title: 'Obfuscated or interactive shell execution',
    explanation:
      'The package ran a command that decodes and executes hidden code (`base64 -d | sh`, `eval $(...)`, ' +
      '`python -c "exec(...)"`, `node -e` with child_process) or started an interactive shell. Legitimate install scripts ' +
      'run plain, readable commands; decode the cited command line to see what it hides.',
  },
  {
    id: 'reverse-shell',
    category: 'execution',
    severity: 'critical',
    severities: ['critical'],
    title: 'Reverse shell',
    explanation:
      'A shell was started with its input and output attached to a network socket (`bash -i >& /dev/tcp/...`, `nc -e ' +
      '/bin/sh`, a socket duplicated onto stdin/stdout), which hands a remote party interactive control of the machine. ' +
      'This is malware; treat any machine that installed the package as compromised.',
  },
  {
    id: 'dropped-executable-run',
    category: 'execution',
    severity: 'high',
    severities: ['high'],
    title: 'A file written by the package was then executed',
    explanation:
      'Package code wrote a file outside its own directory (temp, home, system) and then executed it, or executed code from ' +
      'memory (memfd). This is how droppers stage a second-stage payload. Compiler and linker outputs and files inside the ' +
      "package's own directory (native builds, verified platform binaries) are not counted.",
  },
  {
    id: 'dropped-payload',
    category: 'execution',
    severity: 'high',
    severities: ['critical', 'high'],
    title: 'Dropped a script or executable that is a payload',
    explanation:
      "A script the package wrote outside its own install fetches and runs code, opens a reverse shell (critical) or " +
      'hides code in an encoding; or it dropped an executable for another platform (Windows PE, macOS Mach-O) and tried ' +
      'to run it. Packages ship their programs in their own directory; a stage two written elsewhere is how droppers work. ' +
      'The evidence shows the content, escaped, and its sha256.',
  },
  {
    id: 'executable-made-outside-package',
    category: 'execution',
    severity: 'medium',
    severities: ['medium'],
    title: 'A file outside the package was made executable',
    explanation:
      "Package code set the executable bit (chmod +x) on a file outside the package's own directory. Install scripts only " +
      'need that for their own binaries; elsewhere it usually prepares a payload. Check what the file is and whether it ran.',
  },
  {
    id: 'persistence',
    category: 'persistence',
    severity: 'high',
    severities: ['high'],
    title: 'Installs something that runs again later',
    explanation:
      'Package code wrote (or tried to write) a location that makes code run again later: shell start-up files, crontab, ' +
      'systemd units, XDG autostart, SSH authorized_keys, Python .pth hooks. No install script needs this; inspect the ' +
      'written content and remove it from affected machines.',
  },
  {
    id: 'persistence-cradle',
    category: 'persistence',
    severity: 'critical',
    severities: ['critical'],
    title: 'A persistence entry downloads and runs code',
    explanation:
      'A file the package wrote to a place that runs code later (shell start-up file, crontab, systemd unit, XDG ' +
      'autostart, Python .pth hook, git hook) holds a download cradle (`curl ... | sh`, `exec(urlopen(...).read())`), ' +
      'a reverse shell or code hidden in an encoding. That is malware installing itself: remove the entry from every ' +
      'machine that installed the package and treat those machines as compromised. The evidence shows the line, escaped.',
  },
  {
    id: 'write-outside-package',
    category: 'filesystem',
    severity: 'low',
    severities: ['medium', 'low'],
    title: "Writes outside the package's own directory",
    explanation:
      "Package code wrote files outside its own install directory, the project's node_modules, and the usual caches and " +
      'temp directories. Writing into the project or home is low; system directories and executable search paths ' +
      '(~/.local/bin) are medium. Check what was written and why.',
  },
  {
    id: 'sandbox-probe',
    category: 'evasion',
    severity: 'medium',
    severities: ['medium', 'low'],
    title: 'Probes for a sandbox or analysis environment',
    explanation:
      'Package code fingerprinted its environment in ways malware uses to hide from analysis: the init process cgroup, DMI ' +
      'hardware identity, hypervisor files, debugger checks (TracerPid), virtualization tools. A lone Docker-marker check ' +
      '(/.dockerenv, /run/.containerenv), as helpers like is-docker do, is low. Look for behavior that differs when the ' +
      'probe says "not analyzed".',
  },
  {
    id: 'crypto-mining',
    category: 'impact',
    severity: 'critical',
    severities: ['critical', 'high'],
    title: 'Cryptocurrency mining',
    explanation:
      'The package ran a known miner, passed a stratum pool URL, spoke the stratum mining protocol, or looked up a mining ' +
      'pool (high when only the lookup was seen). Mining in an install or import step hijacks the machine: do not install.',
  },
  {
    id: 'process-injection',
    category: 'impact',
    severity: 'high',
    severities: ['high'],
    title: 'Accesses the memory of other processes',
    explanation:
      'Code in the sandbox called ptrace or process_vm_readv/writev, or opened another process\'s `/proc/<pid>/mem`. That is ' +
      'how secrets are scraped from CI runners and how code is injected into other programs; no install script needs it.',
  },
  {
    id: 'background-process',
    category: 'persistence',
    severity: 'medium',
    severities: ['medium', 'low'],
    title: 'Left a process running after the phase',
    explanation:
      'A process started by the package was still running when the install or import finished (detached or daemonized). ' +
      'It is judged by what its process tree did: medium when it reached the network, started other programs or changed ' +
      'files outside its own package, temporary and cache directories (a process left behind can act later, unobserved); ' +
      'low when it only did what a build daemon or file watcher does. Check what the cited process runs.'
  },
  {
    id: 'trace-flood',
    category: 'evasion',
    severity: 'medium',
    severities: ['medium'],
    title: 'Flooded the tracer, or its trace is incomplete',
    explanation:
      'A process made so many calls of one kind (hundreds of thousands of failing readlink or stat calls, say) that the tracer ' +
      'stopped recording them one by one and only counted them, or the trace of a phase lost events. Floods bury what comes ' +
      'after them and try to make analysis fail; no install needs one. What the sinkhole saw still counts: read the other ' +
      'findings and the network evidence, and treat the missing part of the trace as unknown, not as clean.',
  },
  {
    id: 'anti-forensics',
    category: 'evasion',
    severity: 'high',
    severities: ['high'],
    title: 'Covers its tracks',
    explanation:
      'Package code deleted or replaced its own package.json or the script it ran, cleared shell history, or removed logs or ' +
      'trace files. This hides what ran from later inspection; compare the published archive with what is left on disk.',
  },
  {
    id: 'static-code-execution',
    category: 'execution',
    severity: 'medium',
    severities: ['critical', 'high', 'medium'],
    title: 'Code that runs decoded or downloaded data',
    explanation:
      'Install, import or command code (read statically, without running it) passes decoded data (base64, hex, zlib, ' +
      'marshal, reversed or char-code strings) or data read from the network to exec/eval/compile/Function/vm. Running ' +
      'downloaded code is critical (a loader); a decoded layer that itself names credentials or a channel out is high; ' +
      'decoded code alone is medium. The finding shows the decoded layer: read it.',
  },
  {
    id: 'static-download-execute',
    category: 'execution',
    severity: 'high',
    severities: ['high', 'medium', 'low'],
    title: 'Code that downloads and then runs something',
    explanation:
      'Install or import code fetches from a URL or address (urlopen, requests, fetch, curl) and, in the same function, ' +
      'spawns a process, runs a shell or makes a file executable. From an unknown host or a raw address it is high; from ' +
      "the registry or the project's own release host (platform binaries) it is low.",
  },
  {
    id: 'static-obfuscation',
    category: 'evasion',
    severity: 'medium',
    severities: ['medium'],
    title: 'Obfuscated code that runs at install or import',
    explanation:
      'A known obfuscator (PyArmor, Hyperion, pyobfuscate, BlankOBF, javascript-obfuscator) or a layered lambda decoder ' +
      'feeding exec. Minified or bundled code is not obfuscation and is not reported; this hides what the code does from a ' +
      'reviewer on purpose.',
  },
  {
    id: 'static-bundled-executable',
    category: 'execution',
    severity: 'low',
    severities: ['high', 'low'],
    title: 'The package ships an executable',
    explanation:
      'An ELF, PE or Mach-O program (by magic bytes, whatever its name) is in the package. Shipping one is low (CLIs ' +
      'and platform binaries do); install or import code that launches it is high, since what it does is in no readable ' +
      'code. Native libraries (.node, .so, .dll) are not reported.',
  },
  {
    id: 'static-credential-targeting',
    category: 'collection',
    severity: 'medium',
    severities: ['high', 'medium', 'low'],
    title: 'Code names credential stores stealers target',
    explanation:
      'Code that runs names browser profiles (Login Data, cookies), Discord or Telegram data, Steam, crypto wallets, SSH ' +
      'keys or cloud credentials. Stealer targets are medium; SSH and cloud paths alone are low (SDKs read them); with a ' +
      'webhook, a downloader or inside a decoded layer it is high.',
  },
  {
    id: 'static-exfil-endpoint',
    category: 'exfiltration',
    severity: 'high',
    severities: ['high'],
    title: 'A Discord webhook or Telegram bot URL in the code',
    explanation:
      'A complete webhook or bot URL (with its id and token) is written into the package: the channel stealers post ' +
      'collected data to. Libraries for those services build such URLs from parameters instead.',
  },
  {
    id: 'typosquatting',
    category: 'identity',
    severity: 'medium',
    severities: ['medium', 'low', 'info'],
    title: 'Name looks like a popular package',
    explanation:
      'The package name is a near look-alike (a typo, swapped or doubled letter, different separators, scope or a common ' +
      'suffix) of a popular package. Make sure the intended package is meant; a look-alike with any other finding is ' +
      'very likely an attack. A name that had been published for years when the analyzed version came out is an ' +
      'established project of its own: rated info.',
  },
  {
    id: 'archive-quirk',
    category: 'evasion',
    severity: 'medium',
    severities: ['medium'],
    title: 'The archive reads differently to a reviewer than to the installer',
    explanation:
      'The package archive has something its installer accepts but that hides content from whoever reads the archive: ' +
      'the same path twice (npm and pip keep the last copy, most archive viewers show the first). The package was ' +
      'analyzed as the installer reads it; compare both copies, since legitimate build tools do not produce this.',
  },
  {
    id: 'manifest-confusion',
    category: 'evasion',
    severity: 'high',
    severities: ['high'],
    title: "The registry metadata and the package's own package.json disagree",
    explanation:
      "The registry's metadata for this version, which the publisher sends and the registry never checks against the " +
      'tarball ("manifest confusion"), disagrees with the package.json inside it: it says there is no install script ' +
      'while the tarball declares preinstall, install or postinstall (npm, trusting the metadata, skips them; yarn and ' +
      'pnpm run them; the package was analyzed with them run), or it lists dependencies the tarball does not name (npm ' +
      'installs them; whoever reads the package never sees them). Normal publishing cannot produce either.',
  },
  {
    id: 'new-behavior',
    category: 'change',
    severity: 'high',
    severities: ['high', 'medium', 'low'],
    title: 'This version does something the previous one did not',
    explanation:
      'Compared with the baseline version, this one adds network, credential-store, process-spawning or persistence ' +
      'behavior. Severity follows what was added: credential reads and persistence are high, new hosts medium, new ' +
      'processes low. A trusted package that suddenly gains such behavior in a release is the classic hijacked-maintainer attack.',
  },
  {
    id: 'known-malicious',
    category: 'intel',
    severity: 'critical',
    severities: ['critical'],
    title: 'This version is on a known-malicious list',
    explanation:
      'A published record (an OSV MAL- entry imported with `vetbox intel import`, e.g. from ossf/malicious-packages) names ' +
      'this exact package version as malicious. The verdict stands even when the detonation stayed quiet: the payload may ' +
      'wait for a target this sandbox does not imitate. Do not install it; where it was installed, treat the machine as ' +
      'compromised and rotate its credentials.',
  },
] as const satisfies readonly RuleInfo[];

export type RuleId = (typeof catalog)[number]['id'];

/** The rule catalog: stable ids, default severities, titles and reviewer guidance. */
export const RULES: readonly RuleInfo[] = catalog;

const byId = new Map<string, RuleInfo>(RULES.map((r) => [r.id, r]));

export function ruleInfo(id: string): RuleInfo {
  const info = byId.get(id);
  if (!info) throw new VetboxError('INTERNAL', `unknown rule id: ${id}`);
  return info;
}
