import { useState, type FormEvent } from 'react';
import { api, type GateWhy } from '../api';
import { useLoad } from '../hooks';
import { Link } from '../router';
import { ErrorNote, Section, Skeleton, VerdictBadge, formatTime } from '../components/ui';
import { GateStateBadge } from '../components/gate';

/** A week from today, the approval form's default expiry. */
function inAWeek(): string {
  return new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
}

function ApproveForm({ why, onDone }: { why: GateWhy; onDone: () => void }) {
  const [reason, setReason] = useState('');
  const [expires, setExpires] = useState(inAWeek);
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await api.gate.approve({ ecosystem: why.ecosystem, name: why.name, version: why.version, reason, expires });
      onDone();
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="approve" onSubmit={submit} aria-label="Approve this version">
      <p className="muted">
        An approval lets this version through until it expires, like a policy exception. It never lifts a malicious verdict.
      </p>
      <label>
        Reason
        <textarea required value={reason} onChange={(e) => setReason(e.target.value)} placeholder="Reviewed the finding in SEC-123: reads its own config file" rows={3} />
      </label>
      <label>
        Expires after
        <input type="date" required value={expires} min={new Date().toISOString().slice(0, 10)} onChange={(e) => setExpires(e.target.value)} />
      </label>
      <button type="submit" disabled={busy || !reason.trim()}>
        Approve {why.spec}
      </button>
      <ErrorNote error={error} />
    </form>
  );
}

/** /registry/why/{ecosystem}/{name}/{version}: the page npm and pip errors link to. */
export function GateWhyPage({ ecosystem, name, version }: { ecosystem: string; name: string; version: string }) {
  const why = useLoad(() => api.gate.why(ecosystem, name, version), [ecosystem, name, version], (w) =>
    w && ['queued', 'running'].includes(w.state) ? 5_000 : null,
  );
  const [revokeError, setRevokeError] = useState<Error>();
  const w = why.data;
  return (
    <>
      <h1>
        {ecosystem === 'npm' ? `${name}@${version}` : `${name}==${version}`} {w ? <GateStateBadge state={w.state} /> : null}
      </h1>
      <ErrorNote error={why.error} />
      {!w && why.loading ? <Skeleton rows={4} /> : null}
      {w ? (
        <>
          <Section id="decision" title={w.served ? 'Served by the registry' : 'Not served by the registry'}>
            <p data-testid="gate-reason">{w.reason}</p>
            <dl className="facts">
              <dt>Released</dt>
              <dd>{formatTime(w.publishedAt)}</dd>
              {w.availableAt ? (
                <>
                  <dt>Available from</dt>
                  <dd>{formatTime(w.availableAt)}</dd>
                </>
              ) : null}
              <dt>Analysis</dt>
              <dd>
                {w.analysis ? (
                  <>
                    <VerdictBadge verdict={w.analysis.effectiveVerdict ?? w.analysis.verdict} /> <Link href={w.analysis.link}>report</Link>
                  </>
                ) : (
                  'none yet'
                )}
              </dd>
              {w.knownMalicious ? (
                <>
                  <dt>Listed malicious</dt>
                  <dd>
                    {w.knownMalicious.source} {w.knownMalicious.id}: {w.knownMalicious.summary}
                  </dd>
                </>
              ) : null}
              <dt>Policy</dt>
              <dd>
                fails on {w.policy.failOn}
                {w.policy.failOnError ? ' and on analysis errors' : ''}; cooldown {w.policy.cooldown}
                {w.policy.override ? ` (this package: ${w.policy.override.fields.join(', ')} — ${w.policy.override.reason})` : ''}
              </dd>
            </dl>
            <p className="muted">
              <Link href={`/packages/${ecosystem}/${encodeURIComponent(name)}`}>All analyzed versions of {name}</Link> · <Link href="/gate">Registry decisions</Link>
            </p>
          </Section>
          {w.approval ? (
            <Section id="approval" title="Approved">
              <p>
                {w.approval.reason} <span className="muted">· until {formatTime(w.approval.expiresAt)}</span>
              </p>
              {w.canApprove ? (
                <button
                  type="button"
                  onClick={async () => {
                    setRevokeError(undefined);
                    try {
                      await api.gate.revoke(w.approval!.id);
                      why.reload();
                    } catch (err) {
                      setRevokeError(err as Error);
                    }
                  }}
                >
                  Revoke the approval
                </button>
              ) : null}
              <ErrorNote error={revokeError} />
            </Section>
          ) : w.canApprove ? (
            <Section id="approve" title="Approve this version">
              <ApproveForm why={w} onDone={why.reload} />
            </Section>
          ) : !w.served && w.approvable ? (
            <p className="muted">An admin key can approve this version.</p>
          ) : null}
        </>
      ) : null}
    </>
  );
}
