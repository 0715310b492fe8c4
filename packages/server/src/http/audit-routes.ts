/**
 * Audit and emergency-access routes: the audit report (ONC (d)(3)), accounting of
 * disclosures ((d)(11)), chain verification ((d)(8)), and break-the-glass ((d)(6)).
 * Thin adapters over security/audit-*.ts and security/break-glass.ts.
 */
import type { FastifyInstance } from 'fastify';
import { outcomeError } from '@chartroom/core';
import type { AuditLog } from '../security/audit-log.js';
import { auditReport, parseReportTime } from '../security/audit-report.js';
import { verifyAuditTrail } from '../security/audit-verify.js';
import type { BreakGlassService } from '../security/break-glass.js';
import { requestPrincipal, routeAccess } from './authorize.js';

export interface AuditRouteDeps {
  audit: AuditLog;
  breakGlass?: BreakGlassService | undefined;
}

type Query = Record<string, string | string[] | undefined>;

function one(q: Query, key: string): string | undefined {
  const v = q[key];
  return Array.isArray(v) ? v[0] : v;
}

function many(q: Query, key: string): string[] | undefined {
  const v = q[key];
  return v === undefined ? undefined : Array.isArray(v) ? v : [v];
}

/** Registers `/api/audit…` and `/api/break-glass`. */
export function registerAuditRoutes(app: FastifyInstance, deps: AuditRouteDeps): void {
  app.get('/api/audit', routeAccess({ action: 'read', resourceType: 'AuditEvent' }), async (req) => {
    const q = req.query as Query;
    const limit = one(q, 'limit');
    if (limit !== undefined && !/^\d{1,5}$/.test(limit)) throw outcomeError('badRequest', 'limit must be a whole number from 1 to 10000', 'limit');
    await deps.audit.flush();
    const rows = await auditReport(deps.audit.db, {
      patientId: one(q, 'patient'),
      from: parseReportTime(one(q, 'from'), 'from'),
      to: parseReportTime(one(q, 'to'), 'to', true),
      sort: many(q, 'sort'),
      disclosures: one(q, 'disclosures') === 'true',
      limit: limit === undefined ? undefined : Number(limit),
    });
    return { rows, count: rows.length };
  });

  app.get('/api/audit/verify', routeAccess({ action: 'admin', resourceType: 'AuditEvent' }), async () => {
    await deps.audit.flush();
    await deps.audit.signHead();
    return verifyAuditTrail(deps.audit.db, { [deps.audit.nodeId]: [deps.audit.publicKeyPem] });
  });

  const breakGlass = deps.breakGlass;
  if (!breakGlass) return;
  app.post('/api/break-glass', routeAccess({ action: 'read', resourceType: 'BreakGlass', audience: 'authenticated' }), async (req, reply) => {
    const principal = requestPrincipal(req);
    if (!principal) throw outcomeError('unauthorized', 'Sign in first');
    const body = (req.body ?? {}) as { patientId?: unknown; reason?: unknown };
    const grant = await breakGlass.open(principal, body);
    return reply.code(201).send({ grant: { ...grant, grantedAt: new Date(grant.grantedAt).toISOString(), expiresAt: new Date(grant.expiresAt).toISOString() } });
  });
  app.get('/api/break-glass', routeAccess({ action: 'read', resourceType: 'BreakGlass' }), async (req) => {
    const q = req.query as Query;
    const grants = await breakGlass.list({ from: parseReportTime(one(q, 'from'), 'from'), to: parseReportTime(one(q, 'to'), 'to', true) });
    return { grants: grants.map((g) => ({ ...g, grantedAt: new Date(g.grantedAt).toISOString(), expiresAt: new Date(g.expiresAt).toISOString() })) };
  });
}
