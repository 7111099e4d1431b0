import { createHash, randomUUID } from 'node:crypto';

/** Who the sandbox is, as the internet sees it (the persona's public face). */
export interface PublicIdentity {
  user: string;
  fullName: string;
  email: string;
  hostname: string;
  timezone: string;
  publicAddress: string;
  /** The interface's global IPv6 address: what an IPv6 "what is my IP" answers. */
  address6?: string;
  geo: { country: string; region: string; city: string; isp: string; asn?: string; postal?: string; latitude?: number; longitude?: number };
}

/** The planted credentials that the real services would accept (see honeytokens' ValidCredentials). */
export interface KnownCredentials {
  github: string[];
  npm: string[];
  pypi: string[];
  stripe: string[];
  aws: { accessKeyId: string; account: string }[];
}

export const NO_CREDENTIALS: KnownCredentials = { github: [], npm: [], pypi: [], stripe: [], aws: [] };

export interface ServiceRequest {
  method: string;
  /** Host without port, lowercased. */
  host: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  /** The address family the client connected over (IPv6 "what is my IP" answers the IPv6 address). */
  family: 4 | 6;
}

export interface ServiceAnswer {
  status: number;
  contentType: string;
  body: string;
  headers?: Record<string, string>;
}

interface Context {
  id: PublicIdentity;
  creds: KnownCredentials;
}

/** A service the sinkhole answers as the live one would, with the persona's identity. */
interface LiveService {
  /** What it is, for reviewers reading this table. */
  name: string;
  hosts: readonly string[];
  answer(req: ServiceRequest, ctx: Context, url: URL): ServiceAnswer | undefined;
}

const COUNTRY_NAMES: Record<string, string> = { US: 'United States', DE: 'Germany', GB: 'United Kingdom', FR: 'France' };
const REGION_CODES: Record<string, string> = { Illinois: 'IL', California: 'CA', 'New York': 'NY', Berlin: 'BE', England: 'ENG', 'Ile-de-France': 'IDF' };
const CONTINENTS: Record<string, string> = { US: 'NA', DE: 'EU', GB: 'EU', FR: 'EU' };
/** Cloudflare's nearest data centre by city (the `colo` of /cdn-cgi/trace). */
const COLOS: Record<string, string> = { Chicago: 'ORD', 'San Jose': 'SJC', Brooklyn: 'EWR', Berlin: 'TXL', Manchester: 'MAN', Paris: 'CDG' };

const json = (value: unknown, status = 200, headers?: Record<string, string>): ServiceAnswer => ({
  status,
  contentType: 'application/json; charset=utf-8',
  body: JSON.stringify(value),
  ...(headers ? { headers } : {}),
});
const text = (body: string, status = 200): ServiceAnswer => ({ status, contentType: 'text/plain; charset=utf-8', body });

function ipOf(req: ServiceRequest, ctx: Context, v6Allowed = true): string {
  return v6Allowed && req.family === 6 && ctx.id.address6 ? ctx.id.address6 : ctx.id.publicAddress;
}

/** Offset of the persona's zone now, as `-0600` / `+0100`. */
function utcOffset(timezone: string): string {
  const part = new Intl.DateTimeFormat('en-US', { timeZone: timezone, timeZoneName: 'longOffset' })
    .formatToParts(new Date())
    .find((p) => p.type === 'timeZoneName')?.value;
  const m = /GMT([+-])(\d{2}):(\d{2})/.exec(part ?? '');
  return m ? `${m[1]}${m[2]}${m[3]}` : '+0000';
}

/** A stable number from the persona (account ids, user ids): the same on every request. */
function stableNumber(seed: string, digits: number): number {
  const n = createHash('sha256').update(seed).digest().readUIntBE(0, 6);
  return 10 ** (digits - 1) + (n % (9 * 10 ** (digits - 1)));
}

function asNumber(asn: string | undefined): number {
  return Number((asn ?? 'AS0').slice(2)) || 0;
}

function org(ctx: Context): string {
  return `${ctx.id.geo.asn ?? 'AS0'} ${ctx.id.geo.isp}`;
}

function loc(ctx: Context): string {
  return `${(ctx.id.geo.latitude ?? 0).toFixed(4)},${(ctx.id.geo.longitude ?? 0).toFixed(4)}`;
}

/** The bearer/token/basic credential of a request, whatever scheme carries it. */
export function presentedToken(headers: Record<string, string>): string | undefined {
  const auth = headers.authorization ?? '';
  const m = /^(?:bearer|token)\s+(\S+)/i.exec(auth);
  if (m) return m[1];
  const basic = /^basic\s+(\S+)/i.exec(auth);
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const [user = '', pass = ''] = decoded.split(':');
    return pass || user;
  }
  return headers['private-token'] ?? headers['x-api-key'];
}

function githubLogin(ctx: Context): string {
  return ctx.id.user.replace(/[^A-Za-z0-9-]/g, '-');
}

function githubUser(ctx: Context): Record<string, unknown> {
  const login = githubLogin(ctx);
  const id = stableNumber(`gh:${login}`, 8);
  return {
    login,
    id,
    node_id: Buffer.from(`04:User${id}`).toString('base64'),
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    gravatar_id: '',
    url: `https://api.github.com/users/${login}`,
    html_url: `https://github.com/${login}`,
    type: 'User',
    site_admin: false,
    name: ctx.id.fullName,
    company: null,
    blog: '',
    location: ctx.id.geo.city,
    email: null,
    hireable: null,
    bio: null,
    twitter_username: null,
    public_repos: 7 + (id % 23),
    public_gists: id % 5,
    followers: 3 + (id % 41),
    following: 5 + (id % 17),
    created_at: `20${14 + (id % 7)}-0${1 + (id % 9)}-1${id % 9}T1${id % 10}:2${id % 10}:0${id % 10}Z`,
    updated_at: new Date(Date.now() - 86_400_000 * (1 + (id % 20))).toISOString().replace(/\.\d+Z$/, 'Z'),
    private_gists: 2,
    total_private_repos: 4,
    owned_private_repos: 4,
    two_factor_authentication: true,
  };
}

const GITHUB_HEADERS = {
  'x-oauth-scopes': 'gist, read:org, repo, workflow',
  'x-accepted-oauth-scopes': '',
  'x-github-media-type': 'github.v3; format=json',
  'x-ratelimit-limit': '5000',
  'x-ratelimit-remaining': '4987',
  'x-ratelimit-used': '13',
  'x-ratelimit-resource': 'core',
  server: 'github.com',
};

function githubApi(req: ServiceRequest, ctx: Context, url: URL): ServiceAnswer | undefined {
  const path = url.pathname.replace(/\/+$/, '');
  if (!/^\/user(\/|$)|^\/rate_limit$/.test(path)) return undefined;
  const token = presentedToken(req.headers);
  const docs = 'https://docs.github.com/rest';
  if (!token) return json({ message: 'Requires authentication', documentation_url: docs, status: '401' }, 401, { server: 'github.com' });
  if (!ctx.creds.github.includes(token)) return json({ message: 'Bad credentials', documentation_url: docs, status: '401' }, 401, { server: 'github.com' });
  if (path === '/rate_limit') {
    const core = { limit: 5000, used: 13, remaining: 4987, reset: Math.floor(Date.now() / 1000) + 2400 };
    return json({ resources: { core }, rate: core }, 200, GITHUB_HEADERS);
  }
  if (path === '/user') return json(githubUser(ctx), 200, GITHUB_HEADERS);
  if (path === '/user/emails') return json([{ email: ctx.id.email, primary: true, verified: true, visibility: 'private' }], 200, GITHUB_HEADERS);
  return json([], 200, GITHUB_HEADERS);
}

function npmRegistry(req: ServiceRequest, ctx: Context, url: URL): ServiceAnswer | undefined {
  if (url.pathname !== '/-/whoami' && url.pathname !== '/-/npm/v1/user') return undefined;
  const token = presentedToken(req.headers);
  if (!token || !ctx.creds.npm.includes(token)) return json({ error: 'Unauthorized' }, 401, { 'www-authenticate': 'Bearer' });
  const username = ctx.id.user.replace(/[^a-z0-9-._]/g, '');
  if (url.pathname === '/-/whoami') return json({ username });
  return json({ tfa: { pending: false, mode: 'auth-and-writes' }, name: username, email: ctx.id.email, email_verified: true, created: '2019-03-11T17:42:06.233Z', updated: new Date().toISOString(), cidr_whitelist: null, fullname: ctx.id.fullName });
}

const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

function awsSts(req: ServiceRequest, ctx: Context, url: URL): ServiceAnswer | undefined {
  const params = new URLSearchParams(req.body.toString('utf8'));
  const action = params.get('Action') ?? url.searchParams.get('Action');
  if (action !== 'GetCallerIdentity') return undefined;
  const credential = /Credential=([A-Z0-9]{16,128})\//.exec(req.headers.authorization ?? '')?.[1] ?? url.searchParams.get('X-Amz-Credential')?.split('/')[0];
  const key = ctx.creds.aws.find((k) => k.accessKeyId === credential);
  const requestId = randomUUID();
  const xml = (status: number, body: string): ServiceAnswer => ({ status, contentType: 'text/xml', body, headers: { 'x-amzn-requestid': requestId } });
  if (!key) {
    return xml(
      403,
      `<ErrorResponse xmlns="${STS_NS}">\n  <Error>\n    <Type>Sender</Type>\n    <Code>InvalidClientTokenId</Code>\n    <Message>The security token included in the request is invalid.</Message>\n  </Error>\n  <RequestId>${requestId}</RequestId>\n</ErrorResponse>\n`,
    );
  }
  const userId = `AIDA${createHash('sha256').update(key.accessKeyId).digest('base64').replace(/[^A-Z2-7]/g, '').padEnd(17, 'Q').slice(0, 17)}`;
  return xml(
    200,
    `<GetCallerIdentityResponse xmlns="${STS_NS}">\n  <GetCallerIdentityResult>\n    <Arn>arn:aws:iam::${key.account}:user/${ctx.id.user}</Arn>\n    <UserId>${userId}</UserId>\n    <Account>${key.account}</Account>\n  </GetCallerIdentityResult>\n  <ResponseMetadata>\n    <RequestId>${requestId}</RequestId>\n  </ResponseMetadata>\n</GetCallerIdentityResponse>\n`,
  );
}

function stripeApi(req: ServiceRequest, ctx: Context, url: URL): ServiceAnswer | undefined {
  if (!/^\/v1\/(account|balance)$/.test(url.pathname)) return undefined;
  const token = presentedToken(req.headers);
  if (!token || !ctx.creds.stripe.includes(token)) {
    const shown = token ? `${token.slice(0, 8)}${'*'.repeat(12)}${token.slice(-4)}` : '';
    return json({ error: { message: `Invalid API Key provided: ${shown}`, type: 'invalid_request_error' } }, 401);
  }
  const acct = `acct_1${createHash('sha256').update(token).digest('base64').replace(/[^A-Za-z0-9]/g, '').slice(0, 15)}`;
  if (url.pathname === '/v1/balance') {
    return json({ object: 'balance', available: [{ amount: 184_230, currency: 'usd', source_types: { card: 184_230 } }], livemode: true, pending: [{ amount: 12_040, currency: 'usd', source_types: { card: 12_040 } }] });
  }
  return json({ id: acct, object: 'account', business_type: 'company', charges_enabled: true, country: ctx.id.geo.country, default_currency: 'usd', details_submitted: true, email: ctx.id.email, payouts_enabled: true, type: 'standard' });
}

function discord(req: ServiceRequest, _ctx: Context, url: URL): ServiceAnswer | undefined {
  const m = /^\/api\/(?:v\d+\/)?webhooks\/(\d+)\/([\w-]+)/.exec(url.pathname);
  if (!m) return undefined;
  const hook = { type: 1, id: m[1], name: 'Spidey Bot', avatar: null, channel_id: String(BigInt(m[1]!) + 7n), guild_id: String(BigInt(m[1]!) - 1113n), application_id: null, token: m[2] };
  if (req.method === 'GET') return json(hook);
  if (url.searchParams.get('wait') === 'true') {
    return json({ id: String(BigInt(m[1]!) * 3n), type: 0, content: '', channel_id: hook.channel_id, author: { bot: true, id: m[1], username: hook.name }, attachments: [], embeds: [], timestamp: new Date().toISOString(), webhook_id: m[1] });
  }
  return { status: 204, contentType: 'text/plain', body: '' };
}

function telegram(_req: ServiceRequest, ctx: Context, url: URL): ServiceAnswer | undefined {
  const m = /^\/bot(\d+):[\w-]+\/(\w+)/.exec(url.pathname);
  if (!m) return undefined;
  const botId = Number(m[1]);
  if (m[2] === 'getMe') return json({ ok: true, result: { id: botId, is_bot: true, first_name: 'notify', username: `notify${botId % 10000}_bot`, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false } });
  const chatId = Number(url.searchParams.get('chat_id')) || stableNumber(`tg:${ctx.id.user}`, 10);
  return json({ ok: true, result: { message_id: 100 + (Date.now() % 9000), from: { id: botId, is_bot: true, first_name: 'notify' }, chat: { id: chatId, type: 'private' }, date: Math.floor(Date.now() / 1000) } });
}

function slack(req: ServiceRequest): ServiceAnswer | undefined {
  return req.method === 'POST' ? { status: 200, contentType: 'text/html', body: 'ok' } : undefined;
}

/** Plain-text "what is my IP" services: the address and a newline. */
function plainIp(v6Allowed = true): LiveService['answer'] {
  return (req, ctx, url) => {
    const ip = ipOf(req, ctx, v6Allowed);
    if (url.searchParams.get('format') === 'json') return json({ ip });
    const callback = url.searchParams.get('callback');
    if (url.searchParams.get('format') === 'jsonp') return { status: 200, contentType: 'application/javascript', body: `${callback ?? 'callback'}(${JSON.stringify({ ip })});` };
    if (/\.json$|^\/json$/.test(url.pathname)) return json({ ip });
    return text(`${ip}\n`);
  };
}

function ipinfo(req: ServiceRequest, ctx: Context, url: URL): ServiceAnswer | undefined {
  const ip = ipOf(req, ctx);
  const g = ctx.id.geo;
  const full = { ip, city: g.city, region: g.region, country: g.country, loc: loc(ctx), org: org(ctx), postal: g.postal ?? '', timezone: ctx.id.timezone, readme: 'https://ipinfo.io/missingauth' };
  const field = url.pathname.replace(/^\/(?:[\d.:a-f]+\/)?/, '').replace(/\/$/, '');
  if (field === '' || field === 'json') return json(full);
  if (field in full) return text(`${String(full[field as keyof typeof full])}\n`);
  return undefined;
}

function ipApi(req: ServiceRequest, ctx: Context): ServiceAnswer {
  const g = ctx.id.geo;
  return json({
    status: 'success',
    country: COUNTRY_NAMES[g.country] ?? g.country,
    countryCode: g.country,
    region: REGION_CODES[g.region] ?? g.region.slice(0, 2).toUpperCase(),
    regionName: g.region,
    city: g.city,
    zip: g.postal ?? '',
    lat: g.latitude ?? 0,
    lon: g.longitude ?? 0,
    timezone: ctx.id.timezone,
    isp: g.isp,
    org: g.isp,
    as: org(ctx),
    query: ipOf(req, ctx, false),
  });
}

function ipapiCo(req: ServiceRequest, ctx: Context, url: URL): ServiceAnswer | undefined {
  const ip = ipOf(req, ctx);
  if (/^\/ip\/?$/.test(url.pathname)) return text(ip);
  const g = ctx.id.geo;
  return json({
    ip,
    network: `${ip.split('.').slice(0, 2).join('.')}.0.0/16`,
    version: ip.includes(':') ? 'IPv6' : 'IPv4',
    city: g.city,
    region: g.region,
    region_code: REGION_CODES[g.region] ?? '',
    country: g.country,
    country_name: COUNTRY_NAMES[g.country] ?? g.country,
    country_code: g.country,
    continent_code: CONTINENTS[g.country] ?? 'EU',
    in_eu: g.country === 'DE' || g.country === 'FR',
    postal: g.postal ?? '',
    latitude: g.latitude ?? 0,
    longitude: g.longitude ?? 0,
    timezone: ctx.id.timezone,
    utc_offset: utcOffset(ctx.id.timezone),
    asn: g.asn ?? '',
    org: g.isp,
  });
}

function ipwho(req: ServiceRequest, ctx: Context): ServiceAnswer {
  const g = ctx.id.geo;
  const ip = ipOf(req, ctx, false);
  const offset = utcOffset(ctx.id.timezone);
  return json({
    ip,
    success: true,
    type: 'IPv4',
    continent_code: CONTINENTS[g.country] ?? 'EU',
    country: COUNTRY_NAMES[g.country] ?? g.country,
    country_code: g.country,
    region: g.region,
    region_code: REGION_CODES[g.region] ?? '',
    city: g.city,
    latitude: g.latitude ?? 0,
    longitude: g.longitude ?? 0,
    postal: g.postal ?? '',
    connection: { asn: asNumber(g.asn), org: g.isp, isp: g.isp },
    timezone: { id: ctx.id.timezone, utc: `${offset.slice(0, 3)}:${offset.slice(3)}` },
  });
}

function cloudflareTrace(req: ServiceRequest, ctx: Context, url: URL): ServiceAnswer | undefined {
  if (url.pathname !== '/cdn-cgi/trace') return undefined;
  const lines = {
    fl: `${100 + (ctx.id.publicAddress.length * 7) % 800}f${ctx.id.publicAddress.length % 9}`,
    h: req.host,
    ip: ipOf(req, ctx),
    ts: (Date.now() / 1000).toFixed(3),
    visit_scheme: 'https',
    uag: req.headers['user-agent'] ?? '',
    colo: COLOS[ctx.id.geo.city] ?? 'FRA',
    sliver: 'none',
    http: 'http/1.1',
    loc: ctx.id.geo.country,
    tls: 'TLSv1.3',
    sni: 'plaintext',
    warp: 'off',
    gateway: 'off',
    rbi: 'off',
    kex: 'X25519',
  };
  return text(Object.entries(lines).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
}

/**
 * The services a payload asks before it acts: "what is my IP" and geolocation (is this a
 * residential machine, in which country?), token validation (is this stolen token live?), and
 * the chat APIs it sends through (did the message go?). Each answers as the live one does.
 */
export const LIVE_SERVICES: readonly LiveService[] = [
  { name: 'ipify (IPv4 only)', hosts: ['api.ipify.org', 'api4.ipify.org'], answer: plainIp(false) },
  { name: 'ipify (dual stack)', hosts: ['api6.ipify.org', 'api64.ipify.org'], answer: plainIp() },
  { name: 'icanhazip', hosts: ['icanhazip.com', 'ipv6.icanhazip.com'], answer: plainIp() },
  { name: 'icanhazip (IPv4 only)', hosts: ['ipv4.icanhazip.com'], answer: plainIp(false) },
  { name: 'ifconfig.me / ifconfig.co', hosts: ['ifconfig.me', 'ifconfig.co', 'ifconfig.io'], answer: plainIp() },
  { name: 'AWS checkip', hosts: ['checkip.amazonaws.com'], answer: plainIp(false) },
  { name: 'other plain IP echoes', hosts: ['ident.me', 'v4.ident.me', 'ipecho.net', 'myexternalip.com', 'wtfismyip.com', 'ip.me', 'api.seeip.org', 'ipv4.seeip.org', 'ip4.seeip.org'], answer: plainIp() },
  { name: 'httpbin', hosts: ['httpbin.org'], answer: (r, c, u) => (u.pathname === '/ip' ? json({ origin: ipOf(r, c, false) }) : undefined) },
  { name: 'ipinfo.io', hosts: ['ipinfo.io'], answer: ipinfo },
  { name: 'ip-api.com', hosts: ['ip-api.com', 'pro.ip-api.com'], answer: (r, c) => ipApi(r, c) },
  { name: 'ipapi.co', hosts: ['ipapi.co'], answer: ipapiCo },
  { name: 'ipwho.is', hosts: ['ipwho.is', 'ipwhois.app'], answer: (r, c) => ipwho(r, c) },
  { name: 'myip.com', hosts: ['api.myip.com'], answer: (r, c) => json({ ip: ipOf(r, c, false), country: COUNTRY_NAMES[c.id.geo.country] ?? c.id.geo.country, cc: c.id.geo.country }) },
  { name: 'Cloudflare trace', hosts: ['1.1.1.1', '1.0.0.1', 'one.one.one.one', 'cloudflare.com', 'www.cloudflare.com'], answer: cloudflareTrace },
  { name: 'GitHub API (token check)', hosts: ['api.github.com'], answer: githubApi },
  { name: 'npm registry whoami', hosts: ['registry.npmjs.org', 'registry.npmjs.com'], answer: npmRegistry },
  { name: 'AWS STS GetCallerIdentity', hosts: ['sts.amazonaws.com', 'sts.*.amazonaws.com'], answer: awsSts },
  { name: 'Stripe API (key check)', hosts: ['api.stripe.com'], answer: stripeApi },
  { name: 'Discord webhooks', hosts: ['discord.com', 'discordapp.com', 'canary.discord.com', 'ptb.discord.com'], answer: discord },
  { name: 'Telegram Bot API', hosts: ['api.telegram.org'], answer: telegram },
  { name: 'Slack incoming webhooks', hosts: ['hooks.slack.com'], answer: (r) => slack(r) },
];

function hostMatches(host: string, pattern: string): boolean {
  if (!pattern.includes('*')) return host === pattern;
  const [head, tail] = pattern.split('*') as [string, string];
  return host.startsWith(head) && host.endsWith(tail) && host.length > head.length + tail.length && !host.slice(head.length, -tail.length).includes('.');
}

/** The live-service answer for a request, or undefined when no listed service covers it. */
export function liveServiceAnswer(req: ServiceRequest, id: PublicIdentity | undefined, creds: KnownCredentials): ServiceAnswer | undefined {
  if (!id) return undefined;
  const service = LIVE_SERVICES.find((s) => s.hosts.some((h) => hostMatches(req.host, h)));
  if (!service) return undefined;
  let url: URL;
  try {
    url = new URL(req.path.startsWith('/') ? req.path : `/${req.path}`, 'http://h');
  } catch {
    return undefined;
  }
  return service.answer(req, { id, creds }, url);
}
