import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router, type Request, type Response } from 'express';

/** web/dist as seen from api/src (tests) and api/dist (production): both sit two levels down. */
export const DEFAULT_WEB_DIST_DIR = fileURLToPath(new URL('../../web/dist', import.meta.url));

/**
 * The report viewer's client-side routes (web/src/router.tsx). Only these get index.html, so a
 * mistyped API path or a missing asset still answers a problem+json 404 instead of a page.
 */
const UI_ROUTE = /^\/(?:analyses(?:\/[^/]+)?\/?|packages\/(?:npm|pypi)\/.+|batches\/[^/]+\/?|gate\/?|registry\/why\/(?:npm|pypi)\/.+)?$/;

/** Paths that belong to the API: never a UI page, even for a browser (problem+json 404 stays). */
const API_PATH = /^\/(?:v1|openapi\.json|docs|healthz|readyz|metrics|assets)(?:[/.]|$)/;

/**
 * A browser navigating to a page the UI does not have (it asks for text/html first): the UI's own
 * not-found page (index.html, whose router shows "Nothing here") with status 404, rather than API
 * problem JSON. Scripts and API clients (Accept: application/json, or no Accept) still get
 * problem+json from the not-found handler.
 */
function wantsPage(req: Request): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if (API_PATH.test(req.path)) return false;
  const accept = req.headers.accept ?? '';
  return accept.includes('text/html') && req.accepts(['html', 'json']) === 'html';
}

const NOT_BUILT_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>vetbox: web UI not built</title></head>
<body>
<h1>The vetbox web UI is not built</h1>
<p>The API is running (see <a href="/docs">/docs</a> and <a href="/healthz">/healthz</a>), but
<code>web/dist</code> does not exist. Build it with <code>npm run setup</code>, or with
<code>npx turbo run build --filter=@vetbox/web</code>, then reload this page.</p>
</body></html>
`;

/**
 * Serves the built web UI (Vite output) at `/`: hashed assets with a long cache, index.html for
 * every UI route (deep links such as /analyses/{id} work on reload). Mounted after the API, so
 * /v1, /openapi.json, /docs and the health routes never reach it.
 */
export function webUiRouter(distDir: string = DEFAULT_WEB_DIST_DIR): Router {
  const router = Router();
  const indexHtml = path.join(distDir, 'index.html');
  // File names under assets/ carry a content hash: they never change in place.
  router.use('/assets', express.static(path.join(distDir, 'assets'), { immutable: true, maxAge: '365d', index: false, fallthrough: true }));
  // Unhashed files at the root (favicon.svg, from web/public).
  router.use(express.static(distDir, { index: false, maxAge: '1h', fallthrough: true }));
  const sendIndex = (res: Response, status: number) => {
    // Checked per request: building the UI while the API runs needs no restart.
    if (!existsSync(indexHtml)) {
      res.status(503).type('html').setHeader('Cache-Control', 'no-store').send(NOT_BUILT_HTML);
      return;
    }
    // Always revalidated, so a rebuilt UI (new asset hashes) is picked up at once.
    res.status(status).setHeader('Cache-Control', 'no-cache');
    res.sendFile(indexHtml);
  };
  router.get(UI_ROUTE, (_req, res) => sendIndex(res, 200));
  router.use((req, res, next) => (wantsPage(req) ? sendIndex(res, 404) : next()));
  return router;
}
