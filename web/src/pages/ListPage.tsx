import { useState, type FormEvent } from 'react';
import { api, type AnalysisList, type AnalysisSummary, type ListFilters } from '../api';
import { useLoad } from '../hooks';
import { Link, navigate } from '../router';
import { Empty, ErrorNote, Skeleton, VerdictBadge, formatTime } from '../components/ui';

const RUNNING = new Set(['queued', 'running']);

function filtersFromUrl(): ListFilters {
  const q = new URLSearchParams(window.location.search);
  return {
    q: q.get('q') ?? undefined,
    ecosystem: q.get('ecosystem') ?? undefined,
    verdict: q.get('verdict') ?? undefined,
    rule: q.get('rule') ?? undefined,
    since: q.get('since') ?? undefined,
    limit: q.get('limit') ?? undefined,
  };
}

function SubmitForm({ onSubmitted }: { onSubmitted: (id: string) => void }) {
  const [mode, setMode] = useState<'registry' | 'upload'>('registry');
  const [ecosystem, setEcosystem] = useState('npm');
  const [name, setName] = useState('');
  const [version, setVersion] = useState('');
  const [force, setForce] = useState(false);
  const [compare, setCompare] = useState(false);
  const [file, setFile] = useState<File | null>(null);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const baseline = compare ? ('previous' as const) : undefined;
      const res =
        mode === 'registry'
          ? await api.submitSpec({ ecosystem, name: name.trim(), version: version.trim(), force, ...(baseline ? { baseline } : {}) })
          : await api.submitFile(file!, { force, baseline });
      onSubmitted(res.id);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card submit-form" onSubmit={submit} aria-labelledby="submit-title">
      <h2 id="submit-title">Analyze a package</h2>
      <fieldset className="segmented">
        <legend className="visually-hidden">Source</legend>
        <label>
          <input type="radio" name="mode" checked={mode === 'registry'} onChange={() => setMode('registry')} /> From the registry
        </label>
        <label>
          <input type="radio" name="mode" checked={mode === 'upload'} onChange={() => setMode('upload')} /> Upload an archive
        </label>
      </fieldset>
      {mode === 'registry' ? (
        <div className="row">
          <label>
            Ecosystem
            <select value={ecosystem} onChange={(e) => setEcosystem(e.target.value)}>
              <option value="npm">npm</option>
              <option value="pypi">PyPI</option>
            </select>
          </label>
          <label>
            Name
            <input value={name} onChange={(e) => setName(e.target.value)} required placeholder="left-pad" />
          </label>
          <label>
            Version
            <input value={version} onChange={(e) => setVersion(e.target.value)} required placeholder="1.3.0" />
          </label>
        </div>
      ) : (
        <div className="row">
          <label>
            Archive (.tgz, .tar.gz, .zip, .whl)
            <input type="file" name="file" accept=".tgz,.tar.gz,.zip,.whl" onChange={(e) => setFile(e.target.files?.[0] ?? null)} required />
          </label>
        </div>
      )}
      <div className="row">
        <label className="inline">
          <input type="checkbox" checked={compare} onChange={(e) => setCompare(e.target.checked)} /> Compare with the previous version
        </label>
        <label className="inline">
          <input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} /> Re-run even if analyzed
        </label>
      </div>
      <button type="submit" disabled={busy}>
        {busy ? 'Submitting…' : 'Analyze'}
      </button>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

export function ListPage() {
  const [filters, setFilters] = useState<ListFilters>(filtersFromUrl);
  const list = useLoad<AnalysisList>(() => api.listAnalyses(filters), [JSON.stringify(filters)], (d) =>
    d?.items.some((a) => RUNNING.has(a.status)) ? 2000 : null,
  );
  // Pages after the first, appended by "Load more"; the first page keeps polling on its own.
  const [more, setMore] = useState<{ key: string; items: AnalysisSummary[]; nextCursor: string | null }>();
  const [moreError, setMoreError] = useState<Error>();
  const [loadingMore, setLoadingMore] = useState(false);
  const filterKey = JSON.stringify(filters);
  const extra = more?.key === filterKey ? more : undefined;
  const nextCursor = extra ? extra.nextCursor : (list.data?.nextCursor ?? null);
  const seen = new Set<string>();
  const rows = [...(list.data?.items ?? []), ...(extra?.items ?? [])].filter((a) => !seen.has(a.id) && seen.add(a.id));

  const loadMore = async () => {
    if (!nextCursor) return;
    setLoadingMore(true);
    setMoreError(undefined);
    try {
      const page = await api.listAnalyses({ ...filters, cursor: nextCursor });
      setMore({ key: filterKey, items: [...(extra?.items ?? []), ...page.items], nextCursor: page.nextCursor ?? null });
    } catch (err) {
      setMoreError(err as Error);
    } finally {
      setLoadingMore(false);
    }
  };

  const applyFilters = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const next: ListFilters = {};
    for (const k of ['q', 'ecosystem', 'verdict', 'rule', 'since'] as const) {
      const v = String(form.get(k) ?? '').trim();
      if (v) next[k] = v;
    }
    // A page size given in the URL (?limit=) stays with the new filters.
    if (filters.limit) next.limit = filters.limit;
    const q = new URLSearchParams(next as Record<string, string>).toString();
    window.history.replaceState(null, '', q ? `/?${q}` : '/');
    setFilters(next);
  };

  return (
    <>
      <SubmitForm onSubmitted={(id) => navigate(`/analyses/${id}`)} />
      <section className="card" aria-labelledby="list-title">
        <h2 id="list-title">Analyses</h2>
        <form className="filters" onSubmit={applyFilters} role="search">
          <label>
            Name
            <input name="q" type="search" defaultValue={filters.q} placeholder="search by name" />
          </label>
          <label>
            Ecosystem
            <select name="ecosystem" defaultValue={filters.ecosystem ?? ''}>
              <option value="">any</option>
              <option value="npm">npm</option>
              <option value="pypi">PyPI</option>
            </select>
          </label>
          <label>
            Verdict
            <select name="verdict" defaultValue={filters.verdict ?? ''}>
              <option value="">any</option>
              <option value="malicious">malicious</option>
              <option value="suspicious">suspicious</option>
              <option value="benign">benign</option>
              <option value="error">error</option>
            </select>
          </label>
          <label>
            Rule
            <input name="rule" defaultValue={filters.rule} placeholder="credential-exfiltration" />
          </label>
          <label>
            Since
            <input name="since" type="date" defaultValue={filters.since} />
          </label>
          <button type="submit">Filter</button>
        </form>
        <ErrorNote error={list.error} />
        {!list.data && list.loading ? (
          <Skeleton rows={6} />
        ) : list.data && list.data.items.length === 0 ? (
          <Empty>No analyses match.</Empty>
        ) : (
          <div className="table-wrap">
            <table className="analyses stack">
              <thead>
                <tr>
                  <th scope="col">Package</th>
                  <th scope="col">Version</th>
                  <th scope="col" className="wide-only">
                    Ecosystem
                  </th>
                  <th scope="col">Verdict</th>
                  <th scope="col" className="wide-only">
                    Score
                  </th>
                  <th scope="col">Submitted</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((a) => (
                  <tr key={a.id} data-testid="analysis-row">
                    <td data-label="Package">
                      <Link href={`/analyses/${a.id}`}>{a.package.name}</Link>
                    </td>
                    <td data-label="Version">{a.package.version}</td>
                    <td className="wide-only">{a.package.ecosystem}</td>
                    <td data-label="Verdict" data-testid="analysis-status">
                      <VerdictBadge verdict={a.verdict} status={a.status} />
                      {/* The stage beside the status badge, unless it only repeats it ("queued"). */}
                      {RUNNING.has(a.status) && a.stage && a.stage !== a.status ? <span className="muted"> · {a.stage}</span> : null}
                    </td>
                    <td className="wide-only">{a.score ?? '—'}</td>
                    <td data-label="Submitted">{formatTime(a.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <ErrorNote error={moreError} />
        {nextCursor && rows.length > 0 ? (
          <button type="button" className="secondary load-more" onClick={() => void loadMore()} disabled={loadingMore}>
            {loadingMore ? 'Loading…' : 'Load more'}
          </button>
        ) : null}
      </section>
    </>
  );
}
