/**
 * The one authorisation hook of the app routes: every `/api/…` route declares a
 * {@link RouteAccess} in its options (`config: { access }`) and this preHandler decides it
 * with the policy; a route that declares none is refused (default deny). FHIR routes are
 * decided per resource by fhir/access-control.ts, but need a signed-in caller here too.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { decide, outcomeError } from '@chartroom/core';
import type { BreakGlassGrant, Principal, RouteAccess } from '@chartroom/core';
import type { Clock } from '../store/clock.js';
import { systemClock } from '../store/clock.js';
import type { AuditRecorder } from '../security/audit-event.js';
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
        action: access.action === 'export' ? 'export' : access.action === 'search' ? 'search' : access.action === 'read' ? 'read' : access.action === 'delete' ? 'delete' : access.action === 'create' ? 'create' : 'update',
        outcome: 'denied',
        principal,
        patientIds: patientId ? [patientId] : [],
        resources: [`${req.method} ${req.routeOptions.url ?? path}`],
        description: d.reason,
      });
      throw forbiddenError(d);
    }
  });
}
