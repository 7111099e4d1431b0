import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { SIGNED_OUT_EVENT, getApiKey, setApiKey } from './api';
import { Link, matchRoute, usePath } from './router';
import { Login } from './pages/Login';
import { ListPage } from './pages/ListPage';
import { AnalysisPage } from './pages/AnalysisPage';
import { PackagePage } from './pages/PackagePage';
import { BatchPage } from './pages/BatchPage';
import { GatePage } from './pages/GatePage';
import { GateWhyPage } from './pages/GateWhyPage';
import './styles.css';

function Page({ path }: { path: string }) {
  const route = matchRoute(path);
  switch (route.page) {
    case 'list':
      return <ListPage />;
    case 'analysis':
      return <AnalysisPage key={route.id} id={route.id} />;
    case 'package':
      return <PackagePage ecosystem={route.ecosystem} name={route.name} />;
    case 'batch':
      return <BatchPage id={route.id} />;
    case 'gate':
      return <GatePage />;
    case 'gateWhy':
      return <GateWhyPage key={`${route.ecosystem}:${route.name}@${route.version}`} ecosystem={route.ecosystem} name={route.name} version={route.version} />;
    case 'notfound':
      return <p>Nothing here. <Link href="/">Back to analyses</Link></p>;
  }
}

function App() {
  const path = usePath();
  const [signedIn, setSignedIn] = useState(() => getApiKey() !== null);
  // The API refused the key kept from earlier (revoked, expired, or from another server).
  const [keyRejected, setKeyRejected] = useState(false);
  useEffect(() => {
    const onSignedOut = () => {
      setKeyRejected(true);
      setSignedIn(false);
    };
    window.addEventListener(SIGNED_OUT_EVENT, onSignedOut);
    return () => window.removeEventListener(SIGNED_OUT_EVENT, onSignedOut);
  }, []);
  if (!signedIn)
    return (
      <Login
        notice={keyRejected ? 'Your saved API key was not accepted. Sign in again.' : undefined}
        onLogin={() => {
          setKeyRejected(false);
          setSignedIn(true);
        }}
      />
    );
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <Link href="/" className="brand">
          vetbox
        </Link>
        <nav aria-label="Main">
          <Link href="/">Analyses</Link>
          <Link href="/gate">Registry</Link>
          <a href="/docs">API docs</a>
          <button
            type="button"
            className="link"
            onClick={() => {
              setApiKey(null);
              setKeyRejected(false);
              setSignedIn(false);
            }}
          >
            Sign out
          </button>
        </nav>
      </header>
      <main id="main">
        <Page path={path} />
      </main>
    </>
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
