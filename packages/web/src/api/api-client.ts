/**
 * Fetch wrapper for the node's JSON API and FHIR API: same origin, cookie session, the CSRF
 * header on every state-changing request, errors as {@link ApiError}.
 */
import { ApiError, errorFromBody } from './api-error';

let csrfToken: string | undefined;

/** Remembers the session's CSRF token (sent as `x-csrf-token` on POST/PUT/PATCH/DELETE). */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** Called when any request answers 401 while a session was believed open (session expired or locked). */
let onUnauthorized: ((err: ApiError) => void) | undefined;

/** Registers the handler for 401 answers (the session provider uses it to show the login or lock screen). */
export function setUnauthorizedHandler(handler: ((err: ApiError) => void) | undefined): void {
  onUnauthorized = handler;
}

export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  /** A raw body (file upload) sent as is, with its content type. */
  rawBody?: Blob;
  contentType?: string;
  signal?: AbortSignal;
  /** Plain-words name of the action, used in error messages ("Saving the note"). */
  what?: string;
  /** Do not call the 401 handler (login and session probes). */
  quiet401?: boolean;
}

/** Performs a request and returns the parsed JSON body (undefined for an empty body). */
export async function apiRequest<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const method = opts.method ?? 'GET';
  const what = opts.what ?? `${method} ${path.split('?')[0]}`;
  const headers: Record<string, string> = { accept: 'application/json' };
  let body: BodyInit | undefined;
  if (opts.rawBody) {
    body = opts.rawBody;
    headers['content-type'] = opts.contentType ?? (opts.rawBody.type || 'application/octet-stream');
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = path.startsWith('/fhir/') ? 'application/fhir+json' : 'application/json';
  }
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body, credentials: 'same-origin', signal: opts.signal, cache: 'no-store' });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, `${what} failed: this Chartroom node could not be reached (${(err as Error).message})`);
  }
  const text = await res.text();
  let parsed: unknown;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      if (!res.ok) throw new ApiError(res.status, `${what} failed: the server answered ${res.status}`);
      throw new ApiError(res.status, `${what}: the server's answer was not JSON`);
    }
  }
  if (!res.ok) {
    const err = errorFromBody(res.status, parsed, what);
    if (res.status === 401 && !opts.quiet401 && err.code !== 'mfa-required') onUnauthorized?.(err);
    throw err;
  }
  return parsed as T;
}

/** Tries the JSON API route first; when this server does not have it yet, uses the fallback. */
export async function withFallback<T>(primary: () => Promise<T>, fallback: () => Promise<T>): Promise<T> {
  try {
    return await primary();
  } catch (err) {
    if (err instanceof ApiError && err.missingRoute) return fallback();
    throw err;
  }
}
