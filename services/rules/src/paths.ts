/**
 * Path vocabulary the rules share. Patterns match a *display path*: a path inside a home
 * directory is rewritten to `~/...` first (see `RuleContext.displayPath`), so one pattern
 * covers the sandbox user's randomized home, `/root` and `/home/<anyone>`.
 */

export interface PathClass {
  re: RegExp;
  /** What a reviewer should read the path as ("SSH keys", "crontab"). */
  label: string;
}

export function classify(path: string, classes: readonly PathClass[]): PathClass | undefined {
  return classes.find((c) => c.re.test(path));
}

const BROWSER_DIRS =
  '(?:google-chrome(?:-beta|-unstable)?|chromium|BraveSoftware/Brave-Browser|microsoft-edge(?:-beta|-dev)?|opera|vivaldi|yandex-browser)';

// Well-known wallet browser extensions (MetaMask, Phantom, Coinbase Wallet, Trust Wallet, Ronin).
const WALLET_EXTENSIONS =
  '(?:nkbihfbeogaeaoehlefnkodbefgpgknn|bfnaelmomeimhlpmgjnjophhpkkoljpa|hnfanknocfeofbddgcijnmhnfnkdnaad|egjidjbpglichdcondbcbdnbeeppgdph|fnjhmkhhmkbjkkabndcnnogagogbneec)';

export const CREDENTIAL_STORES: readonly PathClass[] = [
  { re: /^~\/\.ssh(\/|$)/, label: 'SSH keys and config' },
  { re: /^~\/\.aws(\/|$)/, label: 'AWS credentials' },
  { re: /^~\/\.azure(\/|$)/, label: 'Azure credentials' },
  { re: /^~\/\.config\/gcloud(\/|$)/, label: 'Google Cloud credentials' },
  { re: /^~\/\.kube\/config$/, label: 'Kubernetes credentials' },
  { re: /^~\/\.docker\/config\.json$/, label: 'Docker registry credentials' },
  { re: /^~\/\.npmrc$/, label: 'npm auth token (~/.npmrc)' },
  { re: /^~\/\.yarnrc(\.yml)?$/, label: 'Yarn auth token' },
  { re: /^~\/\.pypirc$/, label: 'PyPI upload credentials (~/.pypirc)' },
  { re: /^~\/\.netrc$/, label: 'netrc passwords' },
  { re: /^~\/\.git-credentials$/, label: 'git stored credentials' },
  { re: /^~\/\.config\/git\/credentials$/, label: 'git stored credentials' },
  { re: /^~\/\.config\/gh(\/|$)/, label: 'GitHub CLI token' },
  { re: /^~\/\.gnupg(\/|$)/, label: 'GnuPG keys' },
  { re: /^~\/\.password-store(\/|$)/, label: 'pass password store' },
  { re: /^~\/\.local\/share\/keyrings(\/|$)/, label: 'desktop keyring' },
  { re: /^~\/\.vault-token$/, label: 'Vault token' },
  { re: /^~\/\.terraform\.d\/credentials\.tfrc\.json$/, label: 'Terraform Cloud token' },
  { re: /^~\/\.(bash|zsh|sh|python|node_repl|mysql|psql)_?history$/, label: 'shell history (often holds secrets)' },
  { re: new RegExp(`^~/\\.config/${BROWSER_DIRS}(/|$)`), label: 'browser profile' },
  { re: /^~\/\.mozilla\/firefox(\/|$)/, label: 'Firefox profile' },
  { re: /\/(Cookies|Login Data|Web Data|Local State|key[34]\.db|logins\.json|cookies\.sqlite)$/, label: 'browser secrets' },
  { re: new RegExp(`/${WALLET_EXTENSIONS}(/|$)`), label: 'crypto wallet browser extension' },
  { re: /^~\/\.(bitcoin|ethereum|litecoin|dogecoin|monero|electrum|electron-cash|zcash|dashcore)(\/|$)/, label: 'crypto wallet' },
  { re: /^~\/\.config\/(Exodus|Electrum|atomic|Ledger Live|solana)(\/|$)/i, label: 'crypto wallet' },
  { re: /(^|\/)wallet\.dat$/, label: 'crypto wallet' },
  { re: /^\/etc\/(g?shadow)-?$/, label: 'system password hashes' },
  { re: /^\/etc\/ssh\/ssh_host_[a-z0-9]+_key$/, label: 'SSH host private key' },
];

export const PERSISTENCE_LOCATIONS: readonly PathClass[] = [
  { re: /^~\/\.(bashrc|bash_profile|bash_login|bash_logout|profile|zshrc|zprofile|zshenv|zlogin|kshrc|mkshrc)$/, label: 'shell startup file' },
  { re: /^~\/\.config\/fish\/(config\.fish|conf\.d\/)/, label: 'shell startup file' },
  { re: /^\/etc\/(profile|bash\.bashrc|zsh\/zshrc|environment)$/, label: 'system shell startup file' },
  { re: /^\/etc\/profile\.d\//, label: 'system shell startup file' },
  { re: /^\/var\/spool\/cron(\/|$)/, label: 'crontab' },
  { re: /^\/etc\/(crontab|cron\.(d|hourly|daily|weekly|monthly)\/)/, label: 'crontab' },
  { re: /^\/etc\/anacrontab$/, label: 'crontab' },
  { re: /^~\/\.config\/systemd\/user\//, label: 'systemd user unit' },
  { re: /^~\/\.local\/share\/systemd\/user\//, label: 'systemd user unit' },
  { re: /^\/(etc|lib|usr\/lib|run)\/systemd\/(system|user)\//, label: 'systemd unit' },
  { re: /^~\/\.config\/autostart\//, label: 'XDG autostart entry' },
  { re: /^\/etc\/xdg\/autostart\//, label: 'XDG autostart entry' },
  { re: /^~\/\.ssh\/authorized_keys2?$/, label: 'SSH authorized_keys (remote login)' },
  { re: /^\/etc\/(rc\.local|init\.d\/)/, label: 'init script' },
  { re: /^\/etc\/ld\.so\.preload$/, label: 'dynamic linker preload' },
  { re: /^\/etc\/sudoers(\.d\/|$)/, label: 'sudoers' },
  // Python runs every .pth line starting with `import` at each interpreter start.
  { re: /\/(site|dist)-packages\/[^/]+\.pth$/, label: 'Python .pth start-up hook' },
  { re: /\/(site|dist)-packages\/(sitecustomize|usercustomize)\.py$/, label: 'Python start-up hook' },
];

/** Container and VM fingerprinting that only analysis-aware code does. */
export const STRONG_PROBES: readonly PathClass[] = [
  { re: /^\/proc\/1\/(cgroup|sched|environ|mountinfo|cmdline)$/, label: 'init process (container detection)' },
  // Vendor, product and BIOS strings name a hypervisor; serials and the UUID are identity (below).
  { re: /^\/sys\/(class|devices\/virtual)\/dmi\/id\/(?!(product_uuid|product_serial|board_serial|chassis_serial)$)/, label: 'DMI hardware identity (VM detection)' },
  { re: /^\/sys\/hypervisor(\/|$)/, label: 'hypervisor detection' },
  { re: /^\/proc\/scsi\/scsi$/, label: 'virtual disk model (VM detection)' },
  { re: /^\/proc\/(xen|vz|bc)(\/|$)/, label: 'virtualization detection' },
];

/**
 * Container checks popular helpers (is-docker, is-inside-container) make, and machine ids
 * telemetry reads: weak alone.
 * /proc/self/cgroup and /proc/self/status are not here: Node (libuv) and Python read them at start.
 */
export const WEAK_PROBES: readonly PathClass[] = [
  { re: /^\/\.dockerenv$/, label: 'Docker marker file' },
  { re: /^\/run\/\.containerenv$/, label: 'Podman marker file' },
  // A machine id for licensing or telemetry (cypress, systeminformation's uuid()): VM detection
  // reads the vendor strings, not these.
  { re: /^\/sys\/(class|devices\/virtual)\/dmi\/id\/(product_uuid|product_serial|board_serial|chassis_serial)$/, label: 'hardware serial or UUID (machine fingerprint)' },
];

/** Package managers' and build tools' caches in the home. */
export const CACHE_AREAS: readonly RegExp[] = [
  /^~\/\.(npm|cache|node-gyp|yarn|pnpm-store|electron-gyp|cargo\/registry|rustup\/tmp)(\/|$)/,
  /^~\/\.local\/share\/pnpm(\/|$)/,
];

/** Where install scripts may write without it meaning anything: caches, temp, devices. */
export const SCRATCH_AREAS: readonly RegExp[] = [
  ...CACHE_AREAS,
  /^\/(tmp|var\/tmp|dev\/shm)(\/|$)/,
  /^\/dev\/(null|zero|tty|stdout|stderr|full|ptmx|pts\/|fd\/)/,
  /^\/proc\/(self|thread-self)\//,
];

export const SHELL_HISTORY = /^~\/\.(bash|zsh|sh|python|node_repl|mysql|psql)_?history$/;

/** Directories whose modification is more than tidiness: the system or somebody else's home. */
export const SYSTEM_AREAS = /^\/(etc|usr|bin|sbin|lib|lib32|lib64|libx32|opt|boot|srv|var|root|home)(\/|$)/;
