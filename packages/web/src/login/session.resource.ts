/**
 * The session: who is signed in (POST/GET/DELETE /api/session), the CSRF token, the idle lock
 * (POST /api/session/unlock). A node without the session API yet runs in "open" mode and says so.
 */
import { createContext, useContext } from 'react';
import { apiRequest, setCsrfToken } from '../api/api-client';
import { ApiError } from '../api/api-error';

/** Roles of the contract (packages/core/src/security/principal.ts). */
export type Role = 'admin' | 'clinician' | 'nurse' | 'front-desk' | 'billing';

export interface SessionUser {
  id: string;
  username: string;
  displayName: string;
  role: Role;
  practitionerId?: string;
}

/** What the account must do before it may work (the server restricts the session until then). */
export type Restriction = 'password-change-required' | 'mfa-enrolment-required';

export interface SessionBody {
  user: SessionUser;
  csrfToken: string;
  mfaEnrolled: boolean;
  mustChangePassword?: boolean;
  restriction?: Restriction;
}

export type SessionState =
  | { kind: 'checking' }
  | { kind: 'signed-out'; reason?: string }
  | { kind: 'signed-in'; user: SessionUser; mfaEnrolled: boolean; locked: boolean; restriction?: Restriction }
  /** The server has no session API (accounts not delivered yet): everything is open, and the UI says so. */
  | { kind: 'open'; user: SessionUser; locked: false }
  | { kind: 'unreachable'; message: string };

export interface SessionApi {
  state: SessionState;
  signIn(username: string, password: string, code?: string): Promise<void>;
  signOut(): Promise<void>;
  lock(): void;
  unlock(password: string): Promise<void>;
  recheck(): void;
  /** Takes a fresh session answer (after a password change or MFA enrolment). */
  update(body: SessionBody): void;
}

export const SessionContext = createContext<SessionApi | undefined>(undefined);

/** The session API of the surrounding provider. */
export function useSession(): SessionApi {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}

/** The signed-in user (or the open-mode stand-in), for views inside the shell. */
export function useUser(): SessionUser {
  const { state } = useSession();
  if (state.kind === 'signed-in' || state.kind === 'open') return state.user;
  throw new Error('useUser without a session');
}

/** The stand-in user of a node without accounts. */
export const OPEN_MODE_USER: SessionUser = { id: 'open', username: 'open', displayName: 'No accounts on this node', role: 'admin' };

/** The state for a session answer. */
export function signedIn(body: SessionBody): SessionState {
  return { kind: 'signed-in', user: body.user, mfaEnrolled: body.mfaEnrolled, locked: false, ...(body.restriction ? { restriction: body.restriction } : {}) };
}

/** Asks the server who is signed in. */
export async function fetchSession(): Promise<SessionState> {
  try {
    const body = await apiRequest<SessionBody>('/api/session', { quiet401: true, what: 'Checking the session' });
    setCsrfToken(body.csrfToken);
    return signedIn(body);
  } catch (err) {
    if (err instanceof ApiError && err.missingRoute) return { kind: 'open', user: OPEN_MODE_USER, locked: false };
    if (err instanceof ApiError && err.status === 401) return { kind: 'signed-out' };
    if (err instanceof ApiError && err.status === 423) return { kind: 'signed-out', reason: err.message };
    return { kind: 'unreachable', message: (err as Error).message };
  }
}

/** Signs in; a 401 whose code is `mfa-required` means "ask for the second factor". */
export async function postSession(username: string, password: string, code?: string): Promise<SessionBody> {
  const body = await apiRequest<SessionBody>('/api/session', {
    method: 'POST',
    body: code ? { username, password, code } : { username, password },
    quiet401: true,
    what: 'Signing in',
  });
  setCsrfToken(body.csrfToken);
  return body;
}
