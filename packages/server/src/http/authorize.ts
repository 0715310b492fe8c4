/**
 * The one authorisation hook of the app routes: every `/api/…` route declares a
 * {@link RouteAccess} in its options (`config: { access }`) and this preHandler decides it
 * with the policy; a route that declares none is refused (default deny). FHIR routes are
 * decided per resource by fhir/access-control.ts, but need a signed-in caller here too.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { decide, outcomeError } from '@chartroom/core';
import type { Resource } from '@medplum/fhirtypes';
import type { Action, BreakGlassGrant, Principal, RouteAccess } from '@chartroom/core';
import type { Clock } from '../store/clock.js';
import { systemClock } from '../store/clock.js';
import type { AuditAction, AuditRecorder } from '../security/audit-event.js';
import { forbiddenError } from '../fhir/access-control.js';

export interface AuthorizeDeps {
  grantsFor?: (userId: string) => readonly BreakGlassGrant[];
  audit?: AuditRecorder | undefined;
  clock?: Clock;
  /** FHIR base path (requests below it need a principal; `metadata` is public). */
  fhirBase: string;
}

/** Route options that declare an access rule: `app.get(url, routeAccess({ … }), handler)`. */
export function routeAccess(access: RouteAccess): { config: { access: RouteAccess } } {
  return { config: { access } };
}

/** The principal authentication put on the request, if any. */
export function requestPrincipal(req: FastifyRequest): Principal | undefined {
  return (req as FastifyRequest & { principal?: Principal }).principal;
}

function routeAccessOf(req: FastifyRequest): RouteAccess | undefined {
  const config = req.routeOptions.config as { access?: RouteAccess } | undefined;
  return config?.access;
}

const depsOfRequest = new WeakMap<FastifyRequest, AuthorizeDeps>();

/**
 * For route handlers, after loading the resource a route works on: decides it with its
 * labels (psychotherapy notes: author only…) and the route's patient compartment (the
 * `patientParam` of its RouteAccess: a resource of another patient is refused, so ids cannot
 * be swapped). Throws the 403 OperationOutcome; returns whether break-the-glass allowed it.
 */
export function authorizeResource(req: FastifyRequest, action: Action, resource: Resource): { breakGlass: boolean } {
  const principal = requestPrincipal(req);
  if (!principal) throw outcomeError('unauthorized', 'Sign in (a session or a bearer token) to use this route');
  const deps = depsOfRequest.get(req);
  const access = routeAccessOf(req);
  const params = (req.params ?? {}) as Record<string, string | undefined>;
  const patientId = access?.patientParam ? params[access.patientParam] : undefined;
  const now = (deps?.clock ?? systemClock).now();
  const d = decide(principal, { action, resourceType: resource.resourceType, patientId, resource }, { now, grants: principal.userId && deps?.grantsFor ? deps.grantsFor(principal.userId) : [] });
  if (!d.allowed) throw forbiddenError(d);
  return { breakGlass: d.breakGlass === true };
}

function auditActionOf(access: RouteAccess, method: string): AuditAction {
  switch (access.action) {
    case 'read':
    case 'search':
    case 'create':
    case 'update':
    case 'delete':
    case 'export':
      return access.action;
    case 'sign':
      return 'update';
    case 'admin':
      return method === 'GET' ? 'read' : 'privilege-change';
    default: {
      const never: never = access.action;
      throw new Error(`unknown action ${String(never)}`);
    }
  }
}

/** Sign-in, failed sign-in and sign-out (ONC (d)(2)); the password is never recorded, only the user name tried. */
function recordSessionEvent(audit: AuditRecorder, req: FastifyRequest, status: number): void {
  const path = req.url.split('?')[0] ?? '';
  if (path !== '/api/session') return;
  if (req.method === 'POST') {
    const username = (req.body as { username?: unknown } | undefined)?.username;
    const tried = typeof username === 'string' ? username.slice(0, 200) : undefined;
    if (status < 300) audit.record({ action: 'login', principal: requestPrincipal(req), username: tried, address: req.ip });
    else audit.record({ action: 'login-failed', outcome: status === 429 ? 'denied' : 'failed', username: tried, address: req.ip, description: `HTTP ${status}`, severity: 'high' });
  } else if (req.method === 'DELETE' && status < 300) {
    audit.record({ action: 'logout', principal: requestPrincipal(req), address: req.ip });
  }
}

/** Registers the authorisation preHandler (after authentication, which sets `request.principal`). */
export function registerAuthorization(app: FastifyInstance, deps: AuthorizeDeps): void {
  const clock = deps.clock ?? systemClock;
  app.addHook('preHandler', async (req) => {
    const path = req.url.split('?')[0] ?? '';
    if (path === deps.fhirBase || path.startsWith(`${deps.fhirBase}/`)) {
      if (path === `${deps.fhirBase}/metadata`) return;
      if (!requestPrincipal(req)) throw outcomeError('unauthorized', 'Sign in (a session or a bearer token) to use the FHIR API');
      return;
    }
    if (!path.startsWith('/api/') || req.is404) return;
    depsOfRequest.set(req, deps);
    const access = routeAccessOf(req);
    if (!access) {
      throw outcomeError('forbidden', `${req.method} ${req.routeOptions.url ?? path} declares no access rule, so it is refused (default deny)`);
    }
    if (access.audience === 'public') return;
    const principal = requestPrincipal(req);
    if (!principal) throw outcomeError('unauthorized', 'Sign in (a session or a bearer token) to use this route');
    if (access.audience === 'authenticated') return;
    const params = (req.params ?? {}) as Record<string, string | undefined>;
    const patientId = access.patientParam ? params[access.patientParam] : undefined;
    const d = decide(
      principal,
      { action: access.action, resourceType: access.resourceType, patientId },
      { now: clock.now(), grants: principal.userId && deps.grantsFor ? deps.grantsFor(principal.userId) : [] },
    );
    if (!d.allowed) {
      deps.audit?.record({
        action: auditActionOf(access, req.method),
        outcome: 'denied',
        principal,
        patientIds: patientId ? [patientId] : [],
        resources: [`${req.method} ${req.routeOptions.url ?? path}`],
        description: d.reason,
      });
      throw forbiddenError(d);
    }
  });

  // Every app route that touches practice data leaves an audit event (FHIR requests are
  // audited by fhir/access-control.ts; sign-in and own-account routes by the auth service).
  app.addHook('onResponse', async (req, reply) => {
    const audit = deps.audit;
    if (!audit || req.is404) return;
    const path = req.url.split('?')[0] ?? '';
    if (!path.startsWith('/api/')) return;
    const access = routeAccessOf(req);
    if (access?.resourceType === 'Session') {
      recordSessionEvent(audit, req, reply.statusCode);
      return;
    }
    if (!access || access.audience !== undefined || reply.statusCode === 403) return; // refusals were audited above
    const principal = requestPrincipal(req);
    const params = (req.params ?? {}) as Record<string, string | undefined>;
    const patientId = access.patientParam ? params[access.patientParam] : undefined;
    const status = reply.statusCode;
    audit.record({
      // A PDF of practice data (letter, prescription, face sheet) is a print (ONC (d)(11) disclosures).
      action: access.action === 'read' && path.endsWith('/pdf') ? 'print' : auditActionOf(access, req.method),
      outcome: status >= 400 ? 'failed' : 'success',
      principal,
      patientIds: patientId ? [patientId] : [],
      resources: [`${req.method} ${path}`],
      description: status >= 400 ? `HTTP ${status}` : undefined,
    });
  });
}
