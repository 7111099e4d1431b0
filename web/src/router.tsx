import { useEffect, useState, type AnchorHTMLAttributes, type MouseEvent } from 'react';

/** A small history router: the API serves index.html for every UI path, so deep links work. */
export function usePath(): string {
  const [path, setPath] = useState(() => window.location.pathname + window.location.search);
  useEffect(() => {
    const onPop = () => setPath(window.location.pathname + window.location.search);
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  return path;
}

export function navigate(to: string): void {
  if (to === window.location.pathname + window.location.search) return;
  window.history.pushState(null, '', to);
  window.dispatchEvent(new PopStateEvent('popstate'));
  window.scrollTo(0, 0);
}

export function Link(props: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(props.href);
  };
  return <a {...props} onClick={onClick} />;
}

export type Route =
  | { page: 'list' }
  | { page: 'analysis'; id: string }
  | { page: 'package'; ecosystem: string; name: string }
  | { page: 'batch'; id: string }
  | { page: 'gate' }
  | { page: 'gateWhy'; ecosystem: string; name: string; version: string }
  | { page: 'notfound' };

export function matchRoute(path: string): Route {
  const pathname = path.split('?')[0] ?? '/';
  if (pathname === '/' || pathname === '/analyses') return { page: 'list' };
  let m = /^\/analyses\/([^/]+)\/?$/.exec(pathname);
  if (m) return { page: 'analysis', id: decodeURIComponent(m[1]!) };
  m = /^\/packages\/(npm|pypi)\/(.+?)\/?$/.exec(pathname);
  if (m) return { page: 'package', ecosystem: m[1]!, name: decodeURIComponent(m[2]!) };
  m = /^\/batches\/([^/]+)\/?$/.exec(pathname);
  if (m) return { page: 'batch', id: decodeURIComponent(m[1]!) };
  if (/^\/gate\/?$/.test(pathname)) return { page: 'gate' };
  m = /^\/registry\/why\/(npm|pypi)\/(.+)\/([^/]+)\/?$/.exec(pathname);
  if (m) return { page: 'gateWhy', ecosystem: m[1]!, name: decodeURIComponent(m[2]!), version: decodeURIComponent(m[3]!) };
  return { page: 'notfound' };
}
