/**
 * Authentication of every request to the FHIR API and the app routes (`/fhir/R4/*`,
 * `/api/*`): a session cookie or an `Authorization: Bearer` token, else 401. Puts the
 * {@link Principal} on `request.principal`. Cookie sessions must send `x-csrf-token` (and a
 * same-origin `Origin`, when present) on every state-changing request; sessions that must
 * first change a password or enrol a second factor may do only that. Bearer tokens are held
 * to their SMART scopes on FHIR requests. Also sets the security headers of every response.
 * Public: `/fhir/R4/metadata`, `/.well-known/…`, `/healthz`, the web app's files and
 * `POST /api/session`; `/sync/…` is authenticated by the replication module itself.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '@chartroom/core';
import type { AuthService, Authenticated } from '../security/auth-service.js';
import { authError } from '../security/auth-outcome.js';
import { csrfTokenFor } from '../security/sessions.js';
import { checkFhirScopes } from '../security/smart-scopes.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is asking (set by authentication; absent on public routes). */
    principal?: Principal;
    /** The credential behind `principal` (session or token) and its user. */
    authenticated?: Authenticated;
  }
}

export const SESSION_COOKIE = 'chartroom_session';
export const DEVICE_COOKIE = 'chartroom_device';

/** The Content-Security-Policy of every response: nothing from other origins, no framing. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

export interface AuthenticationOptions {
  /** Absent: no credential can be checked, so every protected request is refused. */
  auth: AuthService | undefined;
  fhirBase: string;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Routes a session may use while it must change its password or enrol a second factor. */
const RESTRICTED_ALLOWED = [/^(GET|DELETE) \/api\/session$/, /^POST \/api\/session\/unlock$/, /^POST \/api\/account\/(password|mfa\/enrol|mfa\/verify)$/, /^GET \/api\/sessions$/];

/** Parses a Cookie header into name → value (first wins). */
export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!(name in out)) out[name] = part.slice(eq + 1).trim();
  }
  return out;
}

/** True when the request came to a loopback address over plain HTTP (Secure cookies relaxed there only). */
export function isLoopbackHttp(req: FastifyRequest): boolean {
  const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
  return req.protocol === 'http' && /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/.test(req.ip) && /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/.test(host);
}

/** A Set-Cookie value with the session attributes (HttpOnly; SameSite=Strict; Secure unless loopback HTTP). */
export function cookieValue(req: FastifyRequest, name: string, value: string, opts: { maxAgeS: number; path?: string }): string {
  const secure = isLoopbackHttp(req) ? '' : '; Secure';
  return `${name}=${value}; Path=${opts.path ?? '/'}; Max-Age=${opts.maxAgeS}; HttpOnly; SameSite=Strict${secure}`;
}

function pathOf(req: FastifyRequest): string {
  const q = req.url.indexOf('?');
  return q >= 0 ? req.url.slice(0, q) : req.url;
}

/** Whether a path needs a signed-in caller. */
export function isProtectedPath(method: string, path: string, fhirBase: string): boolean {
  if (path === fhirBase || path.startsWith(`${fhirBase}/`)) return path !== `${fhirBase}/metadata`;
  if (path.startsWith('/api/') || path === '/api') return !(method === 'POST' && path === '/api/session');
  return false;
}

function sameValue(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The request's own origin (`http(s)://host`). */
function ownOrigin(req: FastifyRequest): string {
  return `${req.protocol}://${req.headers.host ?? ''}`;
}

/** Refuses a cross-site state change: a present `Origin` must be this server's. */
export function checkOrigin(req: FastifyRequest): void {
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== ownOrigin(req)) {
    throw authError('forbidden', 'csrf', `Requests from ${origin} are refused (cross-site request)`);
  }
}

function bearerOf(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (h === undefined) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? (m[1] as string) : '';
}

/** Registers authentication (onRequest), scope checks (preHandler) and security headers (onSend). */
export function registerAuthentication(app: FastifyInstance, opts: AuthenticationOptions): void {
  app.decorateRequest('principal', undefined);
  app.decorateRequest('authenticated', undefined);

  app.addHook('onRequest', async (req) => {
    const path = pathOf(req);
    if (!isProtectedPath(req.method, path, opts.fhirBase)) {
      if (req.method === 'POST' && path === '/api/session') checkOrigin(req);
      return;
    }
    const auth = opts.auth;
    const bearer = bearerOf(req);
    let found: Authenticated | undefined;
    if (bearer !== undefined) {
      if (bearer === '') throw authError('unauthorized', 'not-authenticated', 'The Authorization header must be "Bearer <token>"');
      found = auth ? await auth.authenticateToken(bearer, req.ip) : undefined;
      if (!found) throw authError('unauthorized', 'not-authenticated', 'The bearer token is not valid (unknown, expired or revoked)');
    } else {
      const token = parseCookies(req.headers.cookie)[SESSION_COOKIE];
      found = token && auth ? await auth.authenticateSession(token, req.ip) : undefined;
      if (!found) throw authError('unauthorized', 'not-authenticated', 'Sign in (a session or a bearer token) to use this API; the session may have expired');
      if (!SAFE_METHODS.has(req.method)) {
        checkOrigin(req);
        const sent = req.headers['x-csrf-token'];
        if (typeof sent !== 'string' || !sameValue(sent, csrfTokenFor(found.sessionToken as string))) {
          throw authError('forbidden', 'csrf', 'A state-changing request from a browser session needs the x-csrf-token header of the session');
        }
      }
      if (found.restriction && !RESTRICTED_ALLOWED.some((r) => r.test(`${req.method} ${path}`))) {
        throw authError(
          'forbidden',
          found.restriction,
          found.restriction === 'password-change-required' ? 'Change your password first (POST /api/account/password)' : 'Set up a second factor first (POST /api/account/mfa/enrol)',
        );
      }
    }
    req.authenticated = found;
    req.principal = found.principal;
  });

  // Bearer tokens are held to their scopes on FHIR requests (needs the parsed body: transaction Bundles).
  app.addHook('preHandler', async (req) => {
    const scopes = req.principal?.kind === 'token' ? req.principal.scopes : undefined;
    if (!scopes) return;
    const path = pathOf(req);
    if (path !== opts.fhirBase && !path.startsWith(`${opts.fhirBase}/`)) return;
    let below = path.slice(opts.fhirBase.length);
    try {
      below = decodeURIComponent(below);
    } catch {
      return; // the FHIR handler answers 400 for a bad escape
    }
    checkFhirScopes(scopes, req.method, below, req.body);
  });

  app.addHook('onSend', async (req: FastifyRequest, reply: FastifyReply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    // The SMART consent page widens form-action to the app's redirect origin; everything else gets the one policy.
    const path = pathOf(req);
    if (!(path.startsWith('/oauth/') && reply.hasHeader('content-security-policy'))) reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    if (req.protocol === 'https') reply.header('strict-transport-security', 'max-age=31536000; includeSubDomains');
    if (path.startsWith('/api/') || path === opts.fhirBase || path.startsWith(`${opts.fhirBase}/`)) reply.header('cache-control', 'no-store');
    return payload;
  });
}
