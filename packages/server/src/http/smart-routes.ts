/**
 * SMART App Launch endpoints: `/.well-known/smart-configuration`, `/oauth/authorize` (GET: a
 * consent page for the signed-in user; POST: the user's decision, CSRF-checked, then a
 * redirect with the code) and `/oauth/token` (code + PKCE verifier → bearer token).
 * https://hl7.org/fhir/smart-app-launch/app-launch.html
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OutcomeError, outcomeError } from '@chartroom/core';
import type { AuthService, Authenticated } from '../security/auth-service.js';
import { OAuthError, SmartLaunch } from '../security/smart-launch.js';
import type { AuthorizeRequest, ConsentRequest, SmartClient } from '../security/smart-launch.js';
import { csrfTokenFor } from '../security/sessions.js';
import { systemRandom } from '../security/random-source.js';
import { CONTENT_SECURITY_POLICY, SESSION_COOKIE, checkOrigin, parseCookies } from './authenticate.js';

export interface SmartRoutesDeps {
  auth: AuthService;
  clients: readonly SmartClient[];
  fhirBase: string;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(reply: FastifyReply, status: number, title: string, body: string, formTarget?: string): FastifyReply {
  const csp = formTarget ? CONTENT_SECURITY_POLICY.replace("form-action 'self'", `form-action 'self' ${formTarget}`) : CONTENT_SECURITY_POLICY;
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('content-security-policy', csp)
    .send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)} — Chartroom</title></head><body><main><h1>${esc(title)}</h1>${body}</main></body></html>`);
}

function fields(q: unknown): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries((q ?? {}) as Record<string, unknown>)) out[k] = typeof v === 'string' ? v : Array.isArray(v) ? String(v[0]) : undefined;
  return out;
}

/** Registers the SMART endpoints. */
export function registerSmartRoutes(app: FastifyInstance, deps: SmartRoutesDeps): void {
  const launch = new SmartLaunch(deps.auth, deps.clients, { now: () => deps.auth.now() }, systemRandom);

  const signedIn = async (req: FastifyRequest): Promise<Authenticated | undefined> => {
    const token = parseCookies(req.headers.cookie)[SESSION_COOKIE];
    const a = token ? await deps.auth.authenticateSession(token, req.ip) : undefined;
    return a && !a.restriction ? a : undefined;
  };

  app.get('/.well-known/smart-configuration', async (req, reply) => {
    const origin = `${req.protocol}://${req.headers.host ?? 'localhost'}`;
    return reply.header('cache-control', 'no-store').send({
      issuer: `${origin}${deps.fhirBase}`,
      authorization_endpoint: `${origin}/oauth/authorize`,
      token_endpoint: `${origin}/oauth/token`,
      grant_types_supported: ['authorization_code'],
      response_types_supported: ['code'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none'],
      scopes_supported: ['user/*.read', 'user/*.write', 'user/*.*', 'user/*.rs', 'user/*.cruds', 'launch/patient', 'openid', 'fhirUser'],
      capabilities: ['launch-standalone', 'client-public', 'permission-user', 'permission-v1', 'permission-v2'],
    });
  });

  const consentForm = (c: ConsentRequest, csrf: string): string => {
    const hidden = (name: string, value: string): string => `<input type="hidden" name="${esc(name)}" value="${esc(value)}">`;
    return (
      `<p><strong>${esc(c.client.name)}</strong> asks to use Chartroom as you, with this access:</p><ul>${c.scopes.map((s) => `<li><code>${esc(s)}</code></li>`).join('')}</ul>` +
      `<p>It will be limited to what your role may do. The access lasts one hour.</p>` +
      `<form method="post" action="/oauth/authorize">` +
      hidden('client_id', c.client.clientId) +
      hidden('redirect_uri', c.redirectUri) +
      hidden('response_type', 'code') +
      hidden('scope', c.requested.join(' ')) +
      hidden('state', c.state) +
      hidden('code_challenge', c.codeChallenge) +
      hidden('code_challenge_method', 'S256') +
      hidden('csrf', csrf) +
      `<button type="submit" name="decision" value="allow">Allow</button> <button type="submit" name="decision" value="deny">Deny</button></form>`
    );
  };

  app.get('/oauth/authorize', async (req, reply) => {
    let consent: ConsentRequest;
    try {
      consent = launch.check(fields(req.query) as AuthorizeRequest);
    } catch (err) {
      if (err instanceof OutcomeError) return page(reply, 400, 'This app cannot connect', `<p>${esc(err.message)}</p>`);
      throw err;
    }
    const who = await signedIn(req);
    if (!who?.sessionToken) {
      return page(reply, 401, 'Sign in first', `<p>Sign in to Chartroom in this browser (<a href="/">open Chartroom</a>), then reload this page to let <strong>${esc(consent.client.name)}</strong> connect.</p>`);
    }
    return page(reply, 200, `Allow ${consent.client.name}?`, consentForm(consent, csrfTokenFor(who.sessionToken)), new URL(consent.redirectUri).origin);
  });

  app.post('/oauth/authorize', async (req, reply) => {
    checkOrigin(req);
    const form = fields(req.body);
    const consent = launch.check(form as AuthorizeRequest);
    const who = await signedIn(req);
    if (!who?.sessionToken) throw outcomeError('unauthorized', 'Sign in to Chartroom first');
    if (form.csrf !== csrfTokenFor(who.sessionToken)) throw outcomeError('forbidden', 'The consent form is stale or forged (CSRF); reload it');
    const target = new URL(consent.redirectUri);
    if (form.decision === 'allow') target.searchParams.set('code', launch.issueCode(consent, who.user.id));
    else target.searchParams.set('error', 'access_denied');
    if (consent.state) target.searchParams.set('state', consent.state);
    return reply.code(302).header('location', target.toString()).header('cache-control', 'no-store').send();
  });

  app.post('/oauth/token', async (req, reply) => {
    try {
      return reply.header('cache-control', 'no-store').header('pragma', 'no-cache').send(await launch.exchange(fields(req.body)));
    } catch (err) {
      if (err instanceof OAuthError) return reply.code(400).header('cache-control', 'no-store').send({ error: err.error, error_description: err.message });
      throw err;
    }
  });
}
