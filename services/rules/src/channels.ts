/**
 * Exfiltration channels: services stolen data is sent through, recognised from the decrypted
 * request (method, host, path). A reviewed list, kept as data: every entry cites where the
 * shape comes from (the service's own API documentation, or the tool that runs it). Add an
 * entry with its source; `channels.test.ts` checks every entry is well-formed.
 */
export type ChannelKind =
  | 'chat-webhook'
  | 'bot-api'
  | 'paste'
  | 'file-drop'
  | 'request-inspection'
  | 'out-of-band'
  | 'tunnel'
  | 'ip-lookup'
  | 'geolocation';

export interface ChannelPattern {
  id: string;
  /** What a reviewer reads in the finding (`a Discord webhook`). */
  name: string;
  kind: ChannelKind;
  /** Domains the service answers on (and their subdomains). */
  hosts: readonly string[];
  /** Request path (regular expression source, matched against the path without its query). */
  path?: string;
  methods?: readonly string[];
  /**
   * The path alone identifies the channel on any host (a webhook path copied to a look-alike or
   * self-hosted relay): `/api/webhooks/<id>/<token>` on `hooks.example` is still a Discord webhook.
   */
  pathOnAnyHost?: boolean;
  /** Where the shape was taken from. */
  source: string;
}

export const CHANNELS: readonly ChannelPattern[] = [
  // Chat webhooks and bot APIs: a message (with an attachment) to a channel the attacker reads.
  { id: 'discord-webhook', name: 'a Discord webhook', kind: 'chat-webhook', hosts: ['discord.com', 'discordapp.com'], path: '^/api/(v\\d+/)?webhooks/\\d{15,21}/[\\w-]{20,}', pathOnAnyHost: true, source: 'https://discord.com/developers/docs/resources/webhook#execute-webhook' },
  { id: 'slack-webhook', name: 'a Slack incoming webhook', kind: 'chat-webhook', hosts: ['hooks.slack.com'], path: '^/(services|workflows|triggers)/T[A-Z0-9]{6,}/[A-Z0-9]{6,}/[A-Za-z0-9]{12,}', pathOnAnyHost: true, source: 'https://api.slack.com/messaging/webhooks' },
  { id: 'teams-webhook', name: 'a Microsoft Teams webhook', kind: 'chat-webhook', hosts: ['webhook.office.com', 'logic.azure.com'], path: '^/(webhookb2|IncomingWebhook|workflows)/', source: 'https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook' },
  { id: 'mattermost-webhook', name: 'a Mattermost/Rocket.Chat incoming webhook', kind: 'chat-webhook', hosts: [], path: '^/hooks/[a-z0-9]{26}$', pathOnAnyHost: true, methods: ['POST'], source: 'https://developers.mattermost.com/integrate/webhooks/incoming/' },
  { id: 'telegram-bot', name: 'the Telegram Bot API', kind: 'bot-api', hosts: ['api.telegram.org'], path: '^/bot\\d{6,12}:[\\w-]{30,}/', pathOnAnyHost: true, source: 'https://core.telegram.org/bots/api#making-requests' },
  { id: 'slack-api', name: 'the Slack Web API', kind: 'bot-api', hosts: ['slack.com'], path: '^/api/(chat\\.postMessage|files\\.upload|files\\.getUploadURLExternal)', source: 'https://api.slack.com/methods/chat.postMessage' },
  // Paste and file-drop services: anonymous uploads that return a link.
  { id: 'pastebin', name: 'Pastebin', kind: 'paste', hosts: ['pastebin.com'], path: '^/api/api_post\\.php', source: 'https://pastebin.com/doc_api' },
  { id: 'hastebin', name: 'a Hastebin paste', kind: 'paste', hosts: ['hastebin.com', 'hastebin.skyra.pw', 'toptal.com'], path: '^/(hastebin/)?documents', methods: ['POST'], source: 'https://www.toptal.com/developers/hastebin/documentation' },
  { id: 'paste-services', name: 'a paste service', kind: 'paste', hosts: ['paste.ee', 'dpaste.org', 'dpaste.com', 'rentry.co', 'rentry.org', 'ghostbin.cloud', 'paste.rs', 'termbin.com', 'ix.io', 'sprunge.us'], source: 'https://github.com/lorien/awesome-pastebin (paste services list)' },
  { id: 'file-drop', name: 'an anonymous file-drop service', kind: 'file-drop', hosts: ['transfer.sh', 'file.io', '0x0.st', 'bashupload.com', 'temp.sh', 'gofile.io', 'catbox.moe', 'litterbox.catbox.moe', 'tmpfiles.org', 'oshi.at', 'filebin.net', 'uguu.se', 'anonfiles.com', 'keep.sh'], source: 'https://github.com/dutchcoders/transfer.sh#usage (transfer.sh; the others are its common substitutes)' },
  // Request inspection: endpoints that record whatever is sent for a web page to show.
  { id: 'webhook-site', name: 'webhook.site (request inspection)', kind: 'request-inspection', hosts: ['webhook.site'], source: 'https://docs.webhook.site/' },
  { id: 'requestbin', name: 'a RequestBin / Pipedream endpoint', kind: 'request-inspection', hosts: ['requestbin.com', 'requestbin.net', 'pipedream.net', 'm.pipedream.net', 'requestcatcher.com', 'hookbin.com', 'beeceptor.com', 'postb.in', 'ptsv2.com', 'ptsv3.com', 'mockbin.org', 'webhook.cool', 'requestinspector.com', 'reqbin.com', 'typedwebhook.tools'], source: 'https://pipedream.com/docs/workflows/building-workflows/triggers#http' },
  // Out-of-band testing: a name or request reaching it proves the code ran (and carries data in labels).
  { id: 'interactsh', name: 'an interactsh out-of-band server', kind: 'out-of-band', hosts: ['interact.sh', 'interactsh.com', 'oast.fun', 'oast.live', 'oast.me', 'oast.online', 'oast.pro', 'oast.site'], source: 'https://github.com/projectdiscovery/interactsh#interactsh-server' },
  { id: 'burp-collaborator', name: 'a Burp Collaborator server', kind: 'out-of-band', hosts: ['oastify.com', 'burpcollaborator.net'], source: 'https://portswigger.net/burp/documentation/collaborator' },
  { id: 'dnslog', name: 'a DNS-logging service', kind: 'out-of-band', hosts: ['dnslog.cn', 'dnslog.link', 'ceye.io', 'requestrepo.com', 'dnsbin.zhack.ca', 'bxss.me', 'xss.ht', 'canarytokens.com'], source: 'http://ceye.io/ (ceye API); https://github.com/BugScanTeam/DNSLog' },
  // Tunnels: a public name for a listener on the attacker's own machine.
  { id: 'tunnel', name: 'a tunnel to a private listener', kind: 'tunnel', hosts: ['ngrok.io', 'ngrok-free.app', 'ngrok.app', 'ngrok-free.dev', 'trycloudflare.com', 'serveo.net', 'serveousercontent.com', 'loca.lt', 'localtunnel.me', 'lhr.life', 'localhost.run', 'pinggy.link', 'bore.pub', 'tunnelmole.net'], source: 'https://ngrok.com/docs/universal-gateway/domains/ ; https://developers.cloudflare.com/cloudflare-one/connections/connect-networks/do-more-with-tunnels/trycloudflare/' },
  // Public-IP and geolocation lookups: harmless alone, a tell of victim profiling before a send.
  { id: 'ip-echo', name: 'a public-IP lookup', kind: 'ip-lookup', hosts: ['ipify.org', 'icanhazip.com', 'ifconfig.me', 'ifconfig.co', 'ifconfig.io', 'checkip.amazonaws.com', 'ident.me', 'ipecho.net', 'myexternalip.com', 'wtfismyip.com', 'api.myip.com', 'seeip.org', 'ip.me'], source: 'https://www.ipify.org/ (API); https://checkip.amazonaws.com' },
  { id: 'geo-ip', name: 'an IP geolocation lookup', kind: 'geolocation', hosts: ['ipinfo.io', 'ip-api.com', 'ipapi.co', 'ipwho.is', 'ipwhois.app', 'geolocation-db.com', 'ipgeolocation.io', 'extreme-ip-lookup.com', 'freeipapi.com', 'ip.sb'], source: 'https://ipinfo.io/developers ; https://ip-api.com/docs/api:json' },
];

function hostIn(host: string, domains: readonly string[]): boolean {
  return domains.some((d) => host === d || host.endsWith(`.${d}`));
}

const compiled = CHANNELS.map((c) => ({ channel: c, path: c.path ? new RegExp(c.path) : undefined }));

/**
 * The channel a request (or, without method and path, a lookup) goes to, if any. A pattern with
 * a path needs the path to match; `pathOnAnyHost` patterns match their path on any host.
 */
export function channelOf(host: string, request?: { method: string; path: string }): ChannelPattern | undefined {
  const h = host.toLowerCase().replace(/\.$/, '');
  const path = request ? (request.path.split('?')[0] ?? request.path) : undefined;
  for (const { channel, path: re } of compiled) {
    const onHost = hostIn(h, channel.hosts);
    if (!request) {
      // A lookup or handshake says which service, not which endpoint: name it by host.
      if (onHost) return channel;
      continue;
    }
    if (channel.methods && !channel.methods.includes(request.method.toUpperCase())) continue;
    if (re) {
      if (re.test(path!) && (onHost || channel.pathOnAnyHost)) return channel;
    } else if (onHost) return channel;
  }
  return undefined;
}

