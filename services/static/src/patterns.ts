/**
 * What the static pass looks for, as data: each pattern is matched against one string literal
 * (or decoded layer) at a time, never against a whole file, and carries a sample it must match
 * (patterns.test.ts checks every sample).
 */

export interface CredentialPattern {
  target: string;
  pattern: RegExp;
  sample: string;
}

// Separators vary (`\\`, `/`, os.path.join pieces joined later): match either.
const S = String.raw`[\\/]+`;

/** Credential stores stealers go for. Generic names (`Cookies`) only count inside a browser's path. */
export const CREDENTIAL_PATHS: readonly CredentialPattern[] = [
  { target: 'browser', pattern: new RegExp(String.raw`(Chrome|Chromium|Edge|BraveSoftware|Brave-Browser|Opera Software|Vivaldi|Yandex)${S}.*(User Data|Login Data|Local State|Web Data|Cookies)|\b(Login Data|Web Data)\b`, 'i'), sample: 'Google\\Chrome\\User Data\\Default\\Login Data' },
  { target: 'browser', pattern: /Mozilla[\\/]+Firefox[\\/]+Profiles|\b(logins\.json|key4\.db|cookies\.sqlite)\b/i, sample: 'Mozilla/Firefox/Profiles' },
  { target: 'discord', pattern: new RegExp(String.raw`(discord|discordcanary|discordptb|Lightcord)${S}Local Storage|Local Storage${S}leveldb`, 'i'), sample: 'discord\\Local Storage\\leveldb' },
  { target: 'telegram', pattern: /Telegram Desktop[\\/]+tdata|[\\/]tdata\b/i, sample: 'Telegram Desktop\\tdata' },
  { target: 'steam', pattern: /Steam[\\/]+(config|ssfn)|loginusers\.vdf/i, sample: 'Steam\\config\\loginusers.vdf' },
  { target: 'wallet', pattern: /Exodus[\\/]+exodus\.wallet|Electrum[\\/]+wallets|atomic[\\/]+Local Storage|Ethereum[\\/]+keystore|\bwallet\.dat\b|Coinomi|Armory[\\/]|com\.liberty\.jaxx|nkbihfbeogaeaoehlefnkodbefgpgknn|bfnaelmomeimhlpmgjnjophhpkkoljpa/i, sample: 'Exodus\\exodus.wallet' },
  { target: 'ssh', pattern: /\.ssh[\\/]+(id_rsa|id_ed25519|id_ecdsa|id_dsa)\b/, sample: '~/.ssh/id_rsa' },
  { target: 'cloud', pattern: /\.aws[\\/]+credentials|\.azure[\\/]+(accessTokens|msal_token_cache)|gcloud[\\/]+(credentials\.db|application_default_credentials)|\.kube[\\/]+config\b/, sample: '.aws/credentials' },
];

export interface EndpointPattern {
  what: string;
  pattern: RegExp;
  sample: string;
}

/**
 * Exfiltration endpoints written into code: a full webhook (id and token), a bot token. Route
 * templates of Discord libraries (`/webhooks/${id}/${token}`) carry no literal id and token.
 */
export const EXFIL_ENDPOINTS: readonly EndpointPattern[] = [
  { what: 'Discord webhook', pattern: /https?:\/\/[\w.-]+\/api\/(v\d+\/)?webhooks\/\d{6,}\/[\w-]{20,}/, sample: 'https://discord.com/api/webhooks/123456789012/abcdefghijklmnopqrstuvwxyz' },
  { what: 'Telegram bot', pattern: /https?:\/\/[\w.-]+\/bot\d{6,}:[\w-]{20,}/, sample: 'https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendDocument' },
];

/** A URL or a bare IPv4 address literal, for download targets. */
export const URL_LITERAL = /\bhttps?:\/\/[^\s'"`<>]+|\b(\d{1,3}\.){3}\d{1,3}(:\d{2,5})?\b/g;

export interface ObfuscatorSignature {
  name: string;
  /** Identifiers (Python or JS names) whose presence identifies the tool. */
  identifiers?: readonly string[];
  /** Matched against each string literal and comment. */
  text?: RegExp;
  sample: string;
}

export const PYTHON_OBFUSCATORS: readonly ObfuscatorSignature[] = [
  { name: 'PyArmor', identifiers: ['__pyarmor__', 'pyarmor_runtime', '__pyarmor_enter__', '__pyarmor_exit__', 'pytransform'], sample: 'from pytransform import pyarmor_runtime' },
  { name: 'Hyperion', text: /\bHyperion\b|billythegoat356/, identifiers: ['__obfuscator__'], sample: "__obfuscator__ = 'Hyperion'" },
  { name: 'pyobfuscate', identifiers: ['pyobfuscate'], text: /pyobfuscate\.com/i, sample: 'pyobfuscate=(lambda getattr:' },
  { name: 'BlankOBF', text: /BlankOBF|Blank-c\/BlankOBF/i, sample: '# Obfuscated with BlankOBF' },
  { name: 'Kramer', identifiers: ['Kramer'], text: /Kramer-Specter|Specter\(/, sample: 'Kramer(' },
];

/** Identifiers javascript-obfuscator (obfuscator.io) generates: `_0x4f2a`, `_0x3b1c2d`. */
export const JS_OBFUSCATOR_IDENTIFIER = /^_0x[0-9a-f]{4,6}$/;
/** Distinct generated identifiers that make a file javascript-obfuscator output rather than a coincidence. */
export const JS_OBFUSCATOR_MIN_IDENTIFIERS = 8;

/** Python modules that exist only on Windows. */
export const WINDOWS_MODULES = /^(winreg|_winreg|msvcrt|winsound|win32\w*|pywintypes|wmi|pythoncom|_win32typing)$/;
export const WINDOWS_ENV = /^(APPDATA|LOCALAPPDATA|USERPROFILE|PROGRAMDATA)$/;
/** Literals a platform comparison uses to test for Windows. */
export const WINDOWS_NAMES = /^(nt|win32|Windows|windows|win|cygwin)$/;
