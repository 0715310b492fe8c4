/**
 * The authentication routes of the shared API contract — sign-in, session, unlock, step-up,
 * own sessions, password change, MFA enrolment — and the admin API for users and tokens
 * (the same operations as `chartroom user` / `chartroom token`). Thin: the work is in
 * security/auth-service.ts.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { outcomeError } from '@chartroom/core';
import type { Role } from '@chartroom/core';
import type { AuthService, Authenticated, LoginResult } from '../security/auth-service.js';
import { sessionInfo } from '../security/sessions.js';
import { parseLifetime } from '../security/api-tokens.js';
import { routeAccess } from './authorize.js';
import { DEVICE_COOKIE, SESSION_COOKIE, cookieValue, parseCookies } from './authenticate.js';

export interface AuthRoutesDeps {
  auth: AuthService;
}

type Body = Record<string, unknown>;

function bodyOf(req: FastifyRequest): Body {
  const b = req.body;
  if (b === undefined || b === null) return {};
  if (typeof b !== 'object' || Array.isArray(b)) throw outcomeError('badRequest', 'The body must be a JSON object');
  return b as Body;
}

function str(body: Body, name: string, required = true): string | undefined {
  const v = body[name];
  if (v === undefined || v === null || v === '') {
    if (required) throw outcomeError('badRequest', `"${name}" is required`, name);
    return undefined;
  }
  if (typeof v !== 'string') throw outcomeError('badRequest', `"${name}" must be a string`, name);
  return v;
}

function who(req: FastifyRequest): Authenticated {
  const a = req.authenticated;
  if (!a) throw outcomeError('unauthorized', 'Sign in to use this route');
  return a;
}

function sessionOf(req: FastifyRequest): Authenticated & { sessionToken: string } {
  const a = who(req);
  if (a.principal.kind !== 'session' || !a.sessionToken) throw outcomeError('badRequest', 'This route is for browser sessions, not bearer tokens');
  return a as Authenticated & { sessionToken: string };
}

function requireAdmin(req: FastifyRequest): Authenticated {
  const a = who(req);
  if (a.principal.role !== 'admin') throw outcomeError('forbidden', 'Only a practice administrator may manage users');
  return a;
}

const PUBLIC = routeAccess({ action: 'create', resourceType: 'Session', audience: 'public' });
const OWN = (action: 'read' | 'update' | 'delete'): ReturnType<typeof routeAccess> => routeAccess({ action, resourceType: 'Session', audience: 'authenticated' });
const ADMIN = routeAccess({ action: 'admin', resourceType: 'User' });

/** Registers the auth and admin routes. */
export function registerAuthRoutes(app: FastifyInstance, deps: AuthRoutesDeps): void {
  const { auth } = deps;
  const sessionCookieAge = Math.floor(auth.settings.session.absoluteMs / 1000);

  const sendLogin = (req: FastifyRequest, reply: FastifyReply, r: LoginResult): FastifyReply => {
    const cookies = [cookieValue(req, SESSION_COOKIE, r.sessionToken, { maxAgeS: sessionCookieAge })];
    if (r.newDeviceToken) cookies.push(cookieValue(req, DEVICE_COOKIE, r.newDeviceToken, { maxAgeS: 180 * 86_400, path: '/api/session' }));
    return reply.header('set-cookie', cookies).send(r.view);
  };

  app.post('/api/session', PUBLIC, async (req, reply) => {
    const body = bodyOf(req);
    const username = str(body, 'username') as string;
    const password = str(body, 'password') as string;
    const code = body.code === undefined || body.code === null ? undefined : String(body.code);
    const cookies = parseCookies(req.headers.cookie);
    const r = await auth.login({ username, password, code, address: req.ip, userAgent: req.headers['user-agent'], deviceToken: cookies[DEVICE_COOKIE] });
    // A session cookie the browser still had is ended: one sign-in, one new token.
    const old = cookies[SESSION_COOKIE];
    if (old) {
      const prev = await auth.sessions.authenticate(old);
      if (prev) await auth.sessions.end(prev.session.id, 'replaced by a new sign-in');
    }
    return sendLogin(req, reply, r);
  });

  app.get('/api/session', OWN('read'), async (req) => {
    const a = sessionOf(req);
    return auth.view(a.user, a.sessionToken);
  });

  app.delete('/api/session', OWN('delete'), async (req, reply) => {
    const a = sessionOf(req);
    await auth.sessions.end(a.principal.credentialId as string, 'signed out');
    auth.emit({ type: 'logout', userId: a.user.id, sessionId: a.principal.credentialId as string, reason: 'signed out' });
    return reply.header('set-cookie', cookieValue(req, SESSION_COOKIE, '', { maxAgeS: 0 })).send({ signedOut: true });
  });

  app.post('/api/session/unlock', OWN('update'), async (req) => {
    const a = sessionOf(req);
    await auth.unlock(a.principal.credentialId as string, a.user, str(bodyOf(req), 'password') as string);
    return auth.view(a.user, a.sessionToken);
  });

  app.post('/api/session/step-up', OWN('update'), async (req) => {
    const a = sessionOf(req);
    const mfaAt = await auth.stepUp(a.principal.credentialId as string, a.user, str(bodyOf(req), 'code') as string);
    return { mfaAt: new Date(mfaAt).toISOString() };
  });

  app.get('/api/sessions', OWN('read'), async (req) => {
    const a = who(req);
    const rows = await auth.sessions.list(a.user.id);
    return { sessions: rows.map((s) => sessionInfo(s, a.principal.kind === 'session' ? a.principal.credentialId : undefined)) };
  });

  app.delete('/api/sessions/:id', OWN('delete'), async (req) => {
    const a = who(req);
    const id = (req.params as { id: string }).id;
    const mine = (await auth.sessions.list(a.user.id)).some((s) => s.id === id);
    if (!mine) throw outcomeError('notFound', `You have no active session ${id}`);
    await auth.sessions.end(id, 'ended by its user');
    return { ended: id };
  });

  app.post('/api/account/password', OWN('update'), async (req) => {
    const a = sessionOf(req);
    const body = bodyOf(req);
    await auth.accounts.changePassword(a.user.id, str(body, 'currentPassword') as string, str(body, 'newPassword') as string);
    await auth.sessions.endAll(a.user.id, 'password changed', a.principal.credentialId);
    const row = await auth.accounts.row(a.user.id);
    return auth.view(row ?? a.user, a.sessionToken);
  });

  app.post('/api/account/mfa/enrol', OWN('update'), async (req) => {
    const a = sessionOf(req);
    return auth.enrolTotp(a.user.id);
  });

  app.post('/api/account/mfa/verify', OWN('update'), async (req) => {
    const a = sessionOf(req);
    const r = await auth.confirmTotp(a.user.id, str(bodyOf(req), 'code') as string);
    const now = auth.now();
    await auth.sessions.touch(a.principal.credentialId as string, now, now);
    return { mfaEnrolled: true, recoveryCodes: r.recoveryCodes };
  });

  app.post('/api/account/mfa/disable', OWN('update'), async (req) => {
    const a = sessionOf(req);
    const body = bodyOf(req);
    const password = str(body, 'password') as string;
    const code = str(body, 'code') as string;
    const row = await auth.accounts.row(a.user.id);
    if (!row || !(await auth.passwordMatches(row, password))) throw outcomeError('badRequest', 'The password is not right', 'password');
    if (!(await auth.checkSecondFactor(row, code))) throw outcomeError('badRequest', 'The code is not valid', 'code');
    await auth.disableTotp(a.user.id);
    return { mfaEnrolled: false };
  });

  // Admin API: the operations of `chartroom user` and `chartroom token`.
  const userId = (req: FastifyRequest): string => (req.params as { id: string }).id;

  app.get('/api/admin/users', ADMIN, async (req) => {
    requireAdmin(req);
    return { users: await auth.accounts.list() };
  });

  app.get('/api/admin/users/:id', ADMIN, async (req) => {
    requireAdmin(req);
    return auth.accounts.get(userId(req));
  });

  app.post('/api/admin/users', ADMIN, async (req, reply) => {
    requireAdmin(req);
    const body = bodyOf(req);
    const r = await auth.accounts.add({
      username: str(body, 'username') as string,
      displayName: str(body, 'displayName', false),
      role: str(body, 'role') as Role,
      practitionerId: str(body, 'practitionerId', false),
      password: str(body, 'password', false),
    });
    return reply.code(201).send(r);
  });

  app.post('/api/admin/users/:id/disable', ADMIN, async (req) => {
    requireAdmin(req);
    return auth.accounts.disable(userId(req));
  });

  app.post('/api/admin/users/:id/enable', ADMIN, async (req) => {
    requireAdmin(req);
    return auth.accounts.enable(userId(req));
  });

  app.post('/api/admin/users/:id/reset-password', ADMIN, async (req) => {
    requireAdmin(req);
    return auth.accounts.resetPassword(userId(req));
  });

  app.post('/api/admin/users/:id/role', ADMIN, async (req) => {
    requireAdmin(req);
    return auth.accounts.setRole(userId(req), str(bodyOf(req), 'role') as string);
  });

  app.post('/api/admin/users/:id/mfa/reset', ADMIN, async (req) => {
    requireAdmin(req);
    const id = userId(req);
    await auth.accounts.get(id);
    await auth.disableTotp(id);
    await auth.sessions.endAll(id, 'second factor reset');
    return auth.accounts.get(id);
  });

  app.get('/api/admin/tokens', ADMIN, async (req) => {
    requireAdmin(req);
    return { tokens: await auth.tokens.list() };
  });

  app.post('/api/admin/users/:id/tokens', ADMIN, async (req, reply) => {
    requireAdmin(req);
    const id = userId(req);
    await auth.accounts.get(id);
    const body = bodyOf(req);
    const scopes = body.scope ?? body.scopes;
    const list = Array.isArray(scopes) ? scopes.map(String) : typeof scopes === 'string' ? [scopes] : [];
    const expires = str(body, 'expires', false);
    const r = await auth.tokens.create(id, { scopes: list, label: str(body, 'label', false), lifetimeMs: expires ? parseLifetime(expires) : undefined });
    return reply.code(201).send(r);
  });

  app.delete('/api/admin/tokens/:id', ADMIN, async (req) => {
    requireAdmin(req);
    return auth.tokens.revoke((req.params as { id: string }).id);
  });
}
