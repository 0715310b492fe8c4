/** A tiny History API router: the path is the state, no full-page reloads. */
import { useSyncExternalStore } from 'react';

const listeners = new Set<() => void>();

function subscribe(fn: () => void): () => void {
  listeners.add(fn);
  window.addEventListener('popstate', fn);
  return () => {
    listeners.delete(fn);
    window.removeEventListener('popstate', fn);
  };
}

/** Goes to an app path without reloading the page. */
export function navigate(path: string, opts: { replace?: boolean } = {}): void {
  if (path === window.location.pathname + window.location.search) return;
  if (opts.replace) window.history.replaceState(null, '', path);
  else window.history.pushState(null, '', path);
  for (const fn of listeners) fn();
}

/** The current path (re-renders on navigation). */
export function usePath(): string {
  return useSyncExternalStore(subscribe, () => window.location.pathname);
}

/** Matches "/patients/:id/:tab" style patterns; returns the params or undefined. */
export function matchPath(pattern: string, path: string): Record<string, string> | undefined {
  const p = pattern.split('/').filter(Boolean);
  const s = path.split('/').filter(Boolean);
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const seg = p[i] ?? '';
    const optional = seg.endsWith('?');
    const name = optional ? seg.slice(1, -1) : seg.slice(1);
    const value = s[i];
    if (seg.startsWith(':')) {
      if (value === undefined) {
        if (optional) continue;
        return undefined;
      }
      params[name] = decodeURIComponent(value);
    } else if (seg !== value) return undefined;
  }
  return s.length <= p.length ? params : undefined;
}
