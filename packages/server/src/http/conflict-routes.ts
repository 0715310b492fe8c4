/**
 * Replication status and the reconciliation inbox for the web app and scripts:
 * `GET /api/sync/status`, `POST /api/sync/now` (admin), `GET /api/conflicts`,
 * `POST /api/conflicts/:type/:id/resolve` with `{ rev }` (keep that leaf) or
 * `{ resource }` (merged content); the safety valve's held batches for administrators:
 * `GET /api/sync/quarantine`, `POST /api/sync/quarantine/:id/approve` (→ `{ stored }`),
 * `POST /api/sync/quarantine/:id/reject` (→ `{}`); unknown id 404, already decided 409.
 */
import type { FastifyInstance } from 'fastify';
import { OutcomeError, badRequest } from '@chartroom/core';
import type { FastifyRequest } from 'fastify';
import type { Resource } from '@medplum/fhirtypes';
import type { SyncService } from '../sync/sync-service.js';
import type { QuarantinedBatch } from '../sync/quarantine.js';
import { authorizeResource, routeAccess } from './authorize.js';
import type { ConflictEntry } from '../store/replication-store.js';

/** True when the caller may read this version (role, labels, author, grants), decided like a FHIR read. */
function mayRead(req: FastifyRequest, resource: Resource): boolean {
  try {
    authorizeResource(req, 'read', resource);
    return true;
  } catch (err) {
    if (err instanceof OutcomeError && (err.status === 403 || err.status === 401)) return false;
    throw err;
  }
}

/** True when the caller may read every live version of the conflict (resolving it closes them all). */
function mayReadAll(req: FastifyRequest, c: ConflictEntry): boolean {
  return c.leaves.every((l) => mayRead(req, l.resource));
}

export interface ConflictRoutesDeps {
  sync: SyncService;
}

/** Registers the sync status, sync-now and conflict routes. */
export function registerConflictRoutes(app: FastifyInstance, deps: ConflictRoutesDeps): void {
  const { sync } = deps;

  // Every signed-in user's status bar shows it; it holds no patient data.
  app.get('/api/sync/status', { config: { access: { action: 'read', resourceType: 'SyncPeer', audience: 'authenticated' } } }, async (_req, reply) => {
    return reply.header('cache-control', 'no-store').send(await sync.status());
  });

  app.post('/api/sync/now', { config: { access: { action: 'admin', resourceType: 'SyncPeer' } } }, async (_req, reply) => {
    const results = await sync.syncNow();
    const ok = results.every((r) => r.push.ok && r.pull.ok && r.audit.ok);
    // "Sync now" never reports success when it failed: 502 when any peer failed.
    return reply.code(ok ? 200 : 502).send({ ok, results });
  });

  // Quarantined batches (the safety valve): administrators list them and approve or reject
  // each; every call is audited by the authorisation hook (GET as read, POST as privilege change).
  const admin = routeAccess({ action: 'admin', resourceType: 'SyncPeer' });
  const item = (b: QuarantinedBatch) => ({
    id: b.id,
    peer: b.peer,
    status: b.status,
    docs: b.docs,
    destructive: b.destructive,
    resources: b.resources,
    createdAt: new Date(b.createdAt).toISOString(),
    decidedAt: b.decidedAt === null ? null : new Date(b.decidedAt).toISOString(),
  });
  app.get('/api/sync/quarantine', admin, async (req, reply) => {
    const status = (req.query as Record<string, string | undefined>).status;
    if (status !== undefined && status !== 'pending' && status !== 'approved' && status !== 'rejected') throw badRequest('status must be pending, approved or rejected', 'status');
    const items = await sync.endpoint.quarantine.list({ status });
    return reply.header('cache-control', 'no-store').send({ items: items.map(item) });
  });
  app.post('/api/sync/quarantine/:id/approve', admin, async (req, reply) => {
    const { stored } = await sync.endpoint.quarantine.approve((req.params as { id: string }).id);
    return reply.header('cache-control', 'no-store').send({ stored });
  });
  app.post('/api/sync/quarantine/:id/reject', admin, async (req, reply) => {
    await sync.endpoint.quarantine.reject((req.params as { id: string }).id);
    return reply.header('cache-control', 'no-store').send({});
  });

  app.get('/api/conflicts', { config: { access: { action: 'read', resourceType: 'Conflict' } } }, async (req, reply) => {
    const q = req.query as Record<string, string | undefined>;
    const limit = q._count === undefined ? 100 : Number(q._count);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw badRequest('_count must be 1-1000', '_count');
    // Filtered by the access policy as FHIR search is: a conflict with a version the caller
    // may not read (another author's psychotherapy note, clinical data for an admin…) is
    // withheld whole — showing the other versions would invite resolving it blind — and counted.
    const all = await sync.listConflicts({ limit, type: q.type });
    const conflicts = all.filter((c) => mayReadAll(req, c));
    return reply.header('cache-control', 'no-store').send({
      total: conflicts.length,
      withheld: all.length - conflicts.length,
      conflicts: conflicts.map((c) => ({ ...c, leaves: c.leaves.map((l) => ({ ...l, lastUpdated: new Date(l.lastUpdated).toISOString() })) })),
    });
  });

  app.post('/api/conflicts/:type/:id/resolve', { config: { access: { action: 'update', resourceType: 'Conflict' } } }, async (req, reply) => {
    const { type, id } = req.params as { type: string; id: string };
    const body = (req.body ?? {}) as { rev?: unknown; resource?: unknown };
    if (body.rev !== undefined && typeof body.rev !== 'string') throw badRequest('rev must be a revision id', 'rev');
    // The caller must be able to read every version being closed, and to write the result.
    const leaves = /^[A-Za-z]{1,64}$/.test(type) && /^[A-Za-z0-9\-.]{1,64}$/.test(id) ? await sync.liveLeaves(type, id) : [];
    for (const l of leaves) authorizeResource(req, 'read', l.resource);
    const kept = body.resource ?? leaves.find((l) => l.rev === body.rev)?.resource;
    if (kept && typeof kept === 'object') authorizeResource(req, 'update', { ...(kept as Resource), resourceType: type } as Resource);
    const version = await sync.resolve(type, id, { rev: body.rev as string | undefined, resource: body.resource as Resource | undefined });
    return reply.header('etag', `W/"${version.rev}"`).header('cache-control', 'no-store').send(JSON.parse(version.json) as Resource);
  });
}
