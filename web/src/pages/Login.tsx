import { useState, type FormEvent } from 'react';
import { api, ApiError, setApiKey } from '../api';

export function Login({ onLogin, notice }: { onLogin: () => void; notice?: string }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setApiKey(key.trim());
    try {
      await api.listAnalyses({});
      onLogin();
    } catch (err) {
      setApiKey(null);
      setError(err instanceof ApiError && err.status === 401 ? 'That API key was not accepted.' : (err as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="login">
      <form className="card" onSubmit={submit}>
        <h1>vetbox</h1>
        <p>Detonation reports for npm and PyPI packages.</p>
        <label htmlFor="api-key">API key</label>
        <input id="api-key" name="api-key" type="password" autoComplete="current-password" value={key} onChange={(e) => setKey(e.target.value)} required autoFocus />
        <button type="submit" disabled={busy || key.trim() === ''}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
        {(error ?? notice) && (
          <p className="error" role="alert">
            {error ?? notice}
          </p>
        )}
        <p className="hint">
          A local admin key is written to <code>.vetbox/api-key</code> by <code>npm run setup</code>; make more with <code>npx vetbox keys create --role read</code>.
        </p>
      </form>
    </main>
  );
}
