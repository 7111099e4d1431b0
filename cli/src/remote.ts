import fs from 'node:fs';
import path from 'node:path';
import { AnalysisDiff, Report, VetboxError, type AnalysisStatus, type AnalysisSummary, type ProgressEvent, type SubmitAnalysisResponse } from '@vetbox/contracts';
import type { Target } from './target.js';

/** The server's diff of two analyses of one package (GET /v1/analyses/{id}/diff). */
export type ServedDiff = AnalysisDiff;

const TERMINAL: readonly AnalysisStatus[] = ['completed', 'failed', 'cancelled'];

/** An answer from the server that is not what the CLI asked for (its problem+json detail, when any). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

async function problemText(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { title?: string; detail?: string; code?: string };
    const parts = [body.code, body.detail ?? body.title].filter(Boolean);
    if (parts.length > 0) return parts.join(': ');
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.slice(0, 300) || res.statusText;
}

export interface SubmitOptions {
  baseline?: 'previous';
  force?: boolean;
}

export interface WaitOptions {
  signal?: AbortSignal;
  onProgress?: (e: ProgressEvent) => void;
  /** Polling interval when the event stream is unavailable (default 2 s). */
  pollMs?: number;
}

/**
 * The --server value as a base URL. `new URL('127.0.0.1:3100')` fails with a bare "Invalid URL"
 * and `localhost:3100` parses with "localhost:" as its scheme, so both are refused here.
 */
export function serverUrl(server: string): URL {
  let url: URL | undefined;
  try {
    url = new URL(server);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new VetboxError('INVALID_INPUT', `--server must be an http(s) URL, e.g. http://127.0.0.1:3000 (got ${JSON.stringify(server)})`);
  }
  return url;
}

/** The few API calls `analyze` and `diff` make (contracts in @vetbox/contracts, docs/api). */
export class ApiClient {
  constructor(
    readonly server: string,
    private readonly apiKey: string | undefined,
  ) {
    serverUrl(server);
  }

  private async request(pathname: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.apiKey) headers.set('authorization', `Bearer ${this.apiKey}`);
    const url = new URL(pathname, this.server);
    try {
      return await fetch(url, { ...init, headers });
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new ApiError(0, `cannot reach ${this.server}: ${cause?.code ?? cause?.message ?? (err as Error).message}`);
    }
  }

  private async json<T>(pathname: string, init: RequestInit = {}): Promise<T> {
    const res = await this.request(pathname, init);
    if (!res.ok) throw new ApiError(res.status, `${init.method ?? 'GET'} ${pathname} answered ${res.status}: ${await problemText(res)}`);
    return (await res.json()) as T;
  }

  /** POST /v1/analyses: JSON for registry packages, multipart `file` for archives. Returns the analysis id. */
  async submit(target: Target, opts: SubmitOptions = {}): Promise<SubmitAnalysisResponse> {
    let init: RequestInit;
    if (target.kind === 'registry') {
      const body = { ecosystem: target.ecosystem, name: target.name, version: target.version, ...opts };
      init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
    } else {
      const form = new FormData();
      if (opts.force) form.append('force', 'true');
      if (opts.baseline) form.append('baseline', opts.baseline);
      form.append('file', await fs.openAsBlob(target.path), path.basename(target.path));
      init = { method: 'POST', body: form };
    }
    return this.json<SubmitAnalysisResponse>('/v1/analyses', init);
  }

  async summary(id: string, signal?: AbortSignal): Promise<AnalysisSummary> {
    return this.json<AnalysisSummary>(`/v1/analyses/${encodeURIComponent(id)}`, { signal });
  }

  /** DELETE /v1/analyses/{id}: the summary after cancelling (404 no such analysis, 409 already ended). */
  async cancel(id: string): Promise<AnalysisSummary> {
    return this.json<AnalysisSummary>(`/v1/analyses/${encodeURIComponent(id)}`, { method: 'DELETE' });
  }

  /** GET a JSON document (OSV records, indicators) as the server sent it. */
  async getJson(pathname: string): Promise<unknown> {
    return this.json<unknown>(pathname);
  }

  /** GET a text document (CSV exports). */
  async getText(pathname: string, accept: string): Promise<string> {
    const res = await this.request(pathname, { headers: { accept } });
    if (!res.ok) throw new ApiError(res.status, `GET ${pathname} answered ${res.status}: ${await problemText(res)}`);
    return res.text();
  }

  async report(id: string): Promise<Report> {
    const body = await this.json<unknown>(`/v1/analyses/${encodeURIComponent(id)}/report`);
    const parsed = Report.safeParse(body);
    if (!parsed.success) throw new ApiError(200, `the server's report for ${id} does not match this CLI's report schema: ${parsed.error.issues[0]?.message}`);
    return parsed.data;
  }

  /**
   * GET /v1/analyses/{target}/diff?against={base}. `unavailable` when the server cannot answer it
   * (an older server without the route, or two different packages, which it refuses with 422)
   * and the caller should compare the reports itself. `baseId` may be `previous`: the highest
   * lower version analyzed on the server (404 when there is none).
   */
  async diff(baseId: string, targetId: string): Promise<{ diff: ServedDiff } | { unavailable: string; status: number }> {
    const res = await this.request(`/v1/analyses/${encodeURIComponent(targetId)}/diff?against=${encodeURIComponent(baseId)}`);
    if (res.status === 404 || res.status === 405 || res.status === 422) return { unavailable: `${res.status} ${await problemText(res)}`, status: res.status };
    if (!res.ok) throw new ApiError(res.status, `diff answered ${res.status}: ${await problemText(res)}`);
    const parsed = AnalysisDiff.safeParse(await res.json());
    if (!parsed.success) throw new ApiError(200, `the server's diff of ${targetId} does not match this CLI's diff schema: ${parsed.error.issues[0]?.message}`);
    return { diff: parsed.data };
  }

  /**
   * Follows the analysis until it ends: the SSE stream first, polling if the stream is
   * unavailable or drops before the `end` event.
   */
  async waitForEnd(id: string, opts: WaitOptions = {}): Promise<AnalysisSummary> {
    const ended = await this.followEvents(id, opts).catch((err: unknown) => {
      if ((err as Error).name === 'AbortError') throw err;
      return null;
    });
    if (ended) return ended;
    for (;;) {
      opts.signal?.throwIfAborted();
      const s = await this.summary(id, opts.signal);
      opts.onProgress?.({ analysisId: id, status: s.status, stage: s.stage as ProgressEvent['stage'], percent: s.progress, ...(s.verdict ? { verdict: s.verdict } : {}) });
      if (TERMINAL.includes(s.status)) return s;
      await new Promise((resolve) => setTimeout(resolve, opts.pollMs ?? 2000));
    }
  }

  private async followEvents(id: string, opts: WaitOptions): Promise<AnalysisSummary | null> {
    const res = await this.request(`/v1/analyses/${encodeURIComponent(id)}/events`, {
      headers: { accept: 'text/event-stream' },
      signal: opts.signal,
    });
    if (res.status === 404) throw new ApiError(404, `no analysis ${id}: ${await problemText(res)}`);
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      return null;
    }
    for await (const event of readEvents(res.body)) {
      if (event.event === 'progress') opts.onProgress?.(JSON.parse(event.data) as ProgressEvent);
      if (event.event === 'end') return JSON.parse(event.data) as AnalysisSummary;
    }
    return null;
  }
}

export interface SseEvent {
  event: string;
  data: string;
}

/** Server-Sent Events from a byte stream (comments and unknown fields ignored). */
export async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  let buffer = '';
  let event = 'message';
  let data: string[] = [];
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).replace(/\r$/, '');
      buffer = buffer.slice(nl + 1);
      if (line === '') {
        if (data.length > 0) yield { event, data: data.join('\n') };
        event = 'message';
        data = [];
      } else if (line.startsWith(':')) {
        continue;
      } else {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
    }
  }
}

/** The analysis was cancelled on the server (`vetbox cancel`, the UI, DELETE /v1/analyses/{id}). */
export class AnalysisCancelled extends VetboxError {
  constructor(readonly analysisId: string) {
    super('CANCELLED', `analysis ${analysisId} was cancelled`);
    this.name = 'AnalysisCancelled';
  }
}

/** A summary that did not complete becomes the error the CLI reports (exit 3). */
export function failureOf(summary: AnalysisSummary): VetboxError | null {
  if (summary.status === 'completed') return null;
  // Its error only says "CANCELLED: cancelled on request" again.
  if (summary.status === 'cancelled') return new AnalysisCancelled(summary.id);
  const reason = summary.error ? `${summary.error.code}: ${summary.error.message}` : summary.status;
  return new VetboxError('INTERNAL', `analysis ${summary.id} ${summary.status}: ${reason}`);
}
