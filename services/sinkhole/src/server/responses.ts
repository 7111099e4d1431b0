/** A canned answer the controller can configure (tests use one to give a stage-2 script). */
export interface CannedResponse {
  /** Matches the Host header (port stripped) exactly; omitted = any host. */
  host?: string;
  /** Matches the request path (query stripped) exactly. */
  path: string;
  status?: number;
  contentType?: string;
  body: string;
}

export interface PlannedResponse {
  status: number;
  contentType: string;
  body: string;
}

/**
 * A small, plausible 200 so that a downloader goes on to its next step: a script for script
 * paths, JSON for APIs, HTML otherwise. The bodies do nothing themselves.
 */
export function plausibleResponse(host: string, path: string, canned: CannedResponse[], accept = ''): PlannedResponse {
  const bareHost = host.replace(/:\d+$/, '').toLowerCase();
  const barePath = path.split('?')[0] ?? path;
  const hit = canned.find((c) => c.path === barePath && (c.host === undefined || c.host.toLowerCase() === bareHost));
  if (hit) return { status: hit.status ?? 200, contentType: hit.contentType ?? 'application/octet-stream', body: hit.body };
  const ext = /\.([a-z0-9]+)$/i.exec(barePath)?.[1]?.toLowerCase() ?? '';
  switch (ext) {
    case 'sh':
    case 'bash':
      return { status: 200, contentType: 'text/x-shellscript', body: '#!/bin/sh\necho ok\n' };
    case 'py':
      return { status: 200, contentType: 'text/x-python', body: 'print("ok")\n' };
    case 'js':
    case 'cjs':
    case 'mjs':
      return { status: 200, contentType: 'application/javascript', body: 'console.log("ok");\n' };
    case 'ps1':
      return { status: 200, contentType: 'text/plain', body: 'Write-Output "ok"\r\n' };
    case 'json':
      return { status: 200, contentType: 'application/json', body: '{"ok":true}\n' };
    case 'txt':
      return { status: 200, contentType: 'text/plain', body: 'ok\n' };
    default:
      // API clients (registries, webhooks) ask for JSON and choke on HTML.
      if (/json/i.test(accept)) return { status: 200, contentType: 'application/json', body: '{"ok":true}\n' };
      return { status: 200, contentType: 'text/html; charset=utf-8', body: '<!doctype html><html><body>ok</body></html>\n' };
  }
}
