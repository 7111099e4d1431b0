import type { AnalysisDiff, AnalysisList, AnalysisSummary, GateApprovalView, GateDecisionList, GateWhy, PackageVersions, Report, SubmitAnalysisResponse } from '@vetbox/contracts';

/** The key lives in sessionStorage: it survives reloads and deep links, not the browser session. */
const KEY_STORAGE = 'vetbox.apiKey';

/** Fired on window when the API refuses the stored key. */
export const SIGNED_OUT_EVENT = 'vetbox:signed-out';

export function getApiKey(): string | null {
  return sessionStorage.getItem(KEY_STORAGE);
}
export function setApiKey(key: string | null): void {
  if (key) sessionStorage.setItem(KEY_STORAGE, key);
  else sessionStorage.removeItem(KEY_STORAGE);
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
  ) {
    super(detail || title);
  }
}

async function request<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers = new Headers(init.headers);
  const key = getApiKey();
  if (key) headers.set('Authorization', `Bearer ${key}`);
  headers.set('Accept', 'application/json');
  const res = await fetch(path, { ...init, headers });
  if (!res.ok) {
    // A key revoked (or mistyped) mid-session: back to the sign-in form.
    if (res.status === 401 && key) {
      setApiKey(null);
      window.dispatchEvent(new Event(SIGNED_OUT_EVENT));
    }
    let title = res.statusText;
    let detail = '';
    try {
      const problem = (await res.json()) as { title?: string; detail?: string };
      title = problem.title ?? title;
      detail = problem.detail ?? '';
    } catch {
      // Not a problem document: keep the status text.
    }
    throw new ApiError(res.status, title, detail);
  }
  // 204 No Content (a revoked approval): nothing to parse.
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

// Response shapes come from the contracts package the API itself answers with (type-only: no
// zod in the bundle), so the UI cannot drift from the API.
export type { AnalysisDiff, AnalysisList, AnalysisSummary, GateDecisionList, GateWhy, PackageVersions, SubmitAnalysisResponse } from '@vetbox/contracts';

export interface ListFilters {
  /** Part of a package name, any case. */
  q?: string;
  ecosystem?: string;
  verdict?: string;
  rule?: string;
  /** A calendar day (YYYY-MM-DD, the date input's value): analyses from its local midnight on. */
  since?: string;
  cursor?: string;
  /** Page size; the list asks for 50 unless the URL says otherwise (?limit=). */
  limit?: string;
}

/** The API takes an ISO instant; the date input gives a day. */
function sinceInstant(day: string | undefined): string | undefined {
  if (!day) return undefined;
  const d = new Date(`${day}T00:00:00`);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

function query(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

export const api = {
  listAnalyses: (f: ListFilters) => request<AnalysisList>(`/v1/analyses${query({ ...f, since: sinceInstant(f.since), limit: f.limit ?? '50' })}`),
  getAnalysis: (id: string) => request<AnalysisSummary>(`/v1/analyses/${encodeURIComponent(id)}`),
  getReport: (id: string) => request<Report>(`/v1/analyses/${encodeURIComponent(id)}/report`),
  submitSpec: (body: { ecosystem: string; name: string; version: string; force?: boolean; baseline?: 'previous' }) =>
    request<SubmitAnalysisResponse>(`/v1/analyses`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    }),
  submitFile: (file: File, opts: { force?: boolean; baseline?: 'previous' } = {}) => {
    const form = new FormData();
    if (opts.force) form.append('force', 'true');
    if (opts.baseline) form.append('baseline', opts.baseline);
    form.append('file', file);
    return request<SubmitAnalysisResponse>(`/v1/analyses`, { method: 'POST', body: form });
  },
  cancel: (id: string) => request<unknown>(`/v1/analyses/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  packageVersions: (ecosystem: string, name: string) => request<PackageVersions>(`/v1/packages/${encodeURIComponent(ecosystem)}/${encodeURIComponent(name)}`),
  /** What `id` does that `against` (an analysis id, or `previous`) did not. */
  diff: (id: string, against: string) => request<AnalysisDiff>(`/v1/analyses/${encodeURIComponent(id)}/diff${query({ against })}`),
  getBatch: (id: string) => request<BatchView>(`/v1/batches/${encodeURIComponent(id)}`),
  /** The vetted registry (api/src/gate). */
  gate: {
    why: (ecosystem: string, name: string, version: string) =>
      request<GateWhy>(`/registry/why/${encodeURIComponent(ecosystem)}/${name.split('/').map(encodeURIComponent).join('/')}/${encodeURIComponent(version)}`),
    decisions: (f: { served?: string; q?: string }) => request<GateDecisionList>(`/v1/gate/decisions${query({ ...f, limit: '100' })}`),
    policy: () => request<GatePolicyView>('/v1/gate/policy'),
    approve: (body: { ecosystem: string; name: string; version: string; reason: string; expires: string }) =>
      request<GateApprovalView>('/v1/gate/approvals', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }),
    revoke: (id: string) => request<void>(`/v1/gate/approvals/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  },
};

/** GET /v1/gate/policy (api/src/gate/admin-routes.ts). */
export interface GatePolicyView {
  policy: { failOn: string; failOnError: boolean; cooldown: string; exceptions: unknown[] };
  revision: number;
  packages: Array<{ ecosystem: string; name: string; failOn: string | null; failOnError: boolean | null; cooldown: string | null; reason: string }>;
  approvals: GateApprovalView[];
}

/** GET /v1/batches/{id} (api/src/routes/batches.ts): the parts the batch page shows. */
export interface BatchView {
  id: string;
  status: string;
  total: number;
  done: number;
  /** By effective verdict (after policy exceptions), plus `pending`. */
  counts: Record<string, number>;
  pass?: boolean | null;
  /** One line: the policy outcome and why. */
  summary?: string;
  items: Array<{
    ecosystem: string;
    name: string;
    version: string;
    analysisId?: string | null;
    status?: string;
    verdict?: string | null;
    effectiveVerdict?: string | null;
    topFindings?: Array<{ rule: string; severity: string; title?: string }>;
    /** Why the analysis failed (a VetboxError code such as PACKAGE_NOT_FOUND). */
    errorCode?: string;
  }>;
  skipped?: Array<{ name?: string; raw?: string; line?: number; reason: string; message?: string }>;
}

/** Download a JSON document through fetch, since an <a href> cannot carry the bearer key. */
export async function downloadJson(path: string, fileName: string): Promise<void> {
  const data = await request<unknown>(path);
  save(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }), fileName);
}

/** A text export the API serves (indicators as CSV), saved under fileName. */
export async function downloadText(path: string, fileName: string, accept: string): Promise<void> {
  const key = getApiKey();
  const res = await fetch(path, { headers: { Accept: accept, ...(key ? { Authorization: `Bearer ${key}` } : {}) } });
  if (!res.ok) throw new ApiError(res.status, res.statusText, '');
  save(await res.blob(), fileName);
}

function save(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.click();
  URL.revokeObjectURL(url);
}
