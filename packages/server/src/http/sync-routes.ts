/**
 * Replication routes for peer nodes under `/sync/…` (the user authentication hook skips
 * them; nodes authenticate here, see sync/node-auth.ts): enrolment with a one-time code,
 * challenge–response login with the node's Ed25519 key, and one protocol route
 * `POST /sync/v1` whose body is a {@link SyncRequest} and whose answer a SyncResponse.
 */
import type { FastifyInstance } from 'fastify';
import { SyncProtocolError, badRequest, outcomeError, parseSyncRequest } from '@chartroom/core';
import type { Principal } from '@chartroom/core';
import type { SyncService } from '../sync/sync-service.js';
import { decodeInvite } from '../sync/peer-registry.js';

export interface SyncRoutesDeps {
  /** The node's own replication (routes under `/sync`). */
  sync: SyncService;
  /**
   * Practices hosted on a hub besides its own (routes under `/sync/practice/:slug`): the
   * service of a slug, or undefined when this node hosts no such practice.
   */
  practice?: (slug: string) => Promise<SyncService | undefined>;
}

function field(body: unknown, name: string, max = 4096): string {
  const v = (body as Record<string, unknown> | undefined)?.[name];
  if (typeof v !== 'string' || v.length === 0 || v.length > max) throw badRequest(`${name} is required (a string)`, name);
  return v;
}

function bearer(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}

/**
 * Registers `enrol`, `auth/challenge`, `auth/token` and `v1` under `/sync` (this node) and
 * `/sync/practice/:slug` (practices hosted on a hub: each has its own store, peers and
 * tokens, so a node enrolled for one practice can never read another).
 */
export function registerSyncRoutes(app: FastifyInstance, deps: SyncRoutesDeps): void {
  registerUnder(app, '/sync', async () => deps.sync);
  registerUnder(app, '/sync/practice/:slug', async (params) => {
    const slug = (params as { slug?: string }).slug ?? '';
    const practice = deps.practice ?? deps.sync.hostedPractice;
    const found = practice && /^[a-z0-9-]{1,60}$/.test(slug) ? await practice(slug) : undefined;
    if (!found) throw outcomeError('notFound', `This node hosts no practice "${slug}"`);
    return found;
  });
}

function registerUnder(app: FastifyInstance, prefix: string, resolve: (params: unknown) => Promise<SyncService>): void {
  app.post(`${prefix}/enrol`, async (req) => {
    const sync = await resolve(req.params);
    const invite = decodeInvite(field(req.body, 'code'));
    if (invite.nodeId !== sync.identity.nodeId) throw outcomeError('forbidden', 'This enrolment code was issued by another node');
    const peer = await sync.registry.redeem(invite.secret, { nodeId: field(req.body, 'nodeId', 100), name: field(req.body, 'name', 200), publicKey: field(req.body, 'publicKey') });
    return { nodeId: sync.identity.nodeId, publicKey: sync.identity.publicKey, practice: peer.practice };
  });

  app.post(`${prefix}/auth/challenge`, async (req) => ({ challenge: (await resolve(req.params)).auth.challenge(field(req.body, 'nodeId', 100)) }));

  app.post(`${prefix}/auth/token`, async (req) =>
    (await resolve(req.params)).auth.token(field(req.body, 'nodeId', 100), field(req.body, 'challenge'), field(req.body, 'signature')),
  );

  app.post(`${prefix}/v1`, async (req, reply) => {
    const sync = await resolve(req.params);
    const principal: Principal = await sync.auth.authenticate(bearer(req.headers.authorization));
    req.principal = principal;
    let request;
    try {
      request = parseSyncRequest(req.body);
    } catch (err) {
      if (err instanceof SyncProtocolError) return reply.code(400).send({ type: 'error', v: 1, code: 'bad-request', message: err.message });
      throw err;
    }
    const res = await sync.endpoint.handle(request, { nodeId: principal.nodeId as string });
    const status = res.type === 'error' ? (res.code === 'denied' ? 403 : res.code === 'internal' ? 500 : 400) : 200;
    return reply.code(status).header('cache-control', 'no-store').send(res);
  });
}
