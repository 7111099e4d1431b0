import type { Report } from '@vetbox/contracts';

/** The key lives in sessionStorage: it survives reloads and deep links, not the browser session. */
const KEY_STORAGE = 'vetbox.apiKey';

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
  return (await res.json()) as T;
}

export interface AnalysisSummary {
  id: string;
  status: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
  stage?: string;
  progress?: number;
  verdict?: 'malicious' | 'suspicious' | 'benign' | 'error' | null;
  score?: number | null;
  summary?: string | null;
  package: { ecosystem: 'npm' | 'pypi'; name: string; version: string; source?: string; sha256?: string | null };
  createdAt: string;
  startedAt?: string | null;
  finishedAt?: string | null;
  error?: { code: string; message: string } | null;
  topFindings?: Array<{ rule: string; severity: string; title: string }>;
}

export interface AnalysisList {
  items: AnalysisSummary[];
  nextCursor?: string | null;
}

export interface ListFilters {
  name?: string;
  ecosystem?: string;
  verdict?: string;
  rule?: string;
  since?: string;
  cursor?: string;
}

function query(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

export const api = {
  listAnalyses: (f: ListFilters) => request<AnalysisList>(`/v1/analyses${query({ ...f, limit: '50' })}`),
  getAnalysis: (id: string) => request<AnalysisSummary>(`/v1/analyses/${encodeURIComponent(id)}`),
  getReport: (id: string) => request<Report>(`/v1/analyses/${encodeURIComponent(id)}/report`),
  submitSpec: (body: { ecosystem: string; name: string; version: string; force?: boolean }) =>
    request<{ id: string; status: string }>(`/v1/analyses`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    }),
  submitFile: (file: File) => {
    const form = new FormData();
    form.append('file', file);
    return request<{ id: string; status: string }>(`/v1/analyses`, { method: 'POST', body: form });
  },
  cancel: (id: string) => request<unknown>(`/v1/analyses/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  packageVersions: (ecosystem: string, name: string) =>
    request<{ ecosystem: string; name: string; versions: Array<{ version: string; analysisId: string; verdict: string | null; score: number | null; status: string; createdAt: string }> }>(
      `/v1/packages/${encodeURIComponent(ecosystem)}/${encodeURIComponent(name)}`,
    ),
  diff: (id: string, against: string) => request<DiffResponse>(`/v1/analyses/${encodeURIComponent(id)}/diff${query({ against })}`),
  getBatch: (id: string) => request<BatchView>(`/v1/batches/${encodeURIComponent(id)}`),
};

export interface DiffEntryView {
  category: string;
  key: string;
  summary: string;
  phases: string[];
  change?: 'added' | 'removed';
}
export interface DiffResponse {
  base: { analysisId?: string; version: string };
  target: { analysisId?: string; version: string };
  changes: DiffEntryView[];
  empty: boolean;
}

export interface BatchView {
  id: string;
  status: string;
  total: number;
  done: number;
  counts: Record<string, number>;
  pass?: boolean | null;
  items: Array<{ ecosystem: string; name: string; version: string; analysisId?: string | null; status?: string; verdict?: string | null; topFindings?: Array<{ rule: string; severity: string }> }>;
  skipped?: Array<{ name?: string; raw?: string; line?: number; reason: string }>;
}

/** Download a JSON document through fetch, since an <a href> cannot carry the bearer key. */
export async function downloadJson(path: string, fileName: string): Promise<void> {
  const data = await request<unknown>(path);
  const blob = new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.click();
  URL.revokeObjectURL(url);
}
