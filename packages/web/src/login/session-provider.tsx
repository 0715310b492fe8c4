/** Holds the session state for the whole app and turns any 401 into the login or lock screen. */
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { ReactNode } from 'react';
import { apiRequest, setCsrfToken, setUnauthorizedHandler } from '../api/api-client';
import { fetchSession, postSession, SessionContext, signedIn } from './session.resource';
import type { SessionApi, SessionState } from './session.resource';

/** Provides {@link SessionApi} to the app. */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ kind: 'checking' });
  const recheck = useCallback(() => {
    void fetchSession().then(setState);
  }, []);
  useEffect(recheck, [recheck]);
  useEffect(() => {
    setUnauthorizedHandler((err) => {
      setState((s) => {
        if (s.kind !== 'signed-in') return s;
        // A locked session answers 401 too: keep the page and ask for the password.
        if (/lock/i.test(err.message) || err.code === 'session-locked') return { ...s, locked: true };
        setCsrfToken(undefined);
        return { kind: 'signed-out', reason: 'Your session ended. Sign in again to continue.' };
      });
    });
    return () => setUnauthorizedHandler(undefined);
  }, []);

  const api = useMemo<SessionApi>(
    () => ({
      state,
      recheck,
      async signIn(username, password, code) {
        const body = await postSession(username, password, code);
        setState(signedIn(body));
      },
      update(body) {
        setCsrfToken(body.csrfToken);
        setState(signedIn(body));
      },
      async signOut() {
        try {
          await apiRequest('/api/session', { method: 'DELETE', quiet401: true, what: 'Signing out' });
        } finally {
          setCsrfToken(undefined);
          setState({ kind: 'signed-out' });
        }
      },
      lock() {
        setState((s) => (s.kind === 'signed-in' ? { ...s, locked: true } : s));
      },
      async unlock(password) {
        await apiRequest('/api/session/unlock', { method: 'POST', body: { password }, quiet401: true, what: 'Unlocking' });
        setState((s) => (s.kind === 'signed-in' ? { ...s, locked: false } : s));
      },
    }),
    [state, recheck],
  );
  return <SessionContext.Provider value={api}>{children}</SessionContext.Provider>;
}
