/**
 * The joining side of enrolment: sends this node's id and public key with the one-time
 * code to `POST <url>/sync/enrol`, checks that the answering node is the one that issued
 * the code, and records it as an outbound peer. Nothing is recorded when any step fails.
 */
import { outcomeError } from '@chartroom/core';
import type { SyncService } from './sync-service.js';
import type { Peer } from './peer-registry.js';
import { decodeInvite, plainHttpAllowed } from './peer-registry.js';

/** Enrols this node with the node (or hub) at `url` using `code`; returns the new peer, whose URL is the sync base. */
export async function joinPeer(sync: SyncService, url: string, code: string, opts: { allowHttp?: boolean; name?: string } = {}): Promise<Peer> {
  const invite = decodeInvite(code);
  const base = url.replace(/\/+$/, '') + invite.path;
  if (!plainHttpAllowed(base, opts.allowHttp ?? false)) {
    throw outcomeError('badRequest', `${url}: plain http:// is allowed only to this machine; use https:// or allow plain HTTP explicitly on a trusted network`);
  }
  let res: Response;
  try {
    res = await fetch(`${base}/enrol`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code, nodeId: sync.identity.nodeId, name: opts.name ?? `${sync.identity.practice} ${sync.identity.nodeId}`, publicKey: sync.identity.publicKey }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    throw outcomeError('unavailable', `Cannot reach ${base}: ${(err as Error).message}; nothing was changed`);
  }
  const body = (await res.json().catch(() => undefined)) as { nodeId?: string; publicKey?: string; practice?: string; issue?: { diagnostics?: string }[] } | undefined;
  if (res.status !== 200 || !body?.nodeId || !body.publicKey || !body.practice) {
    throw outcomeError(res.status === 403 ? 'forbidden' : 'badRequest', `${base} refused the enrolment (${res.status}): ${body?.issue?.[0]?.diagnostics ?? 'not a Chartroom node'}; nothing was changed`);
  }
  if (body.nodeId !== invite.nodeId) throw outcomeError('forbidden', `${base} is node ${body.nodeId}, but the code was issued by ${invite.nodeId}; nothing was changed`);
  const peer: Peer = {
    nodeId: body.nodeId,
    name: `${body.practice} (${body.nodeId})`,
    direction: 'outbound',
    url: base,
    publicKey: body.publicKey,
    practice: body.practice,
    fingerprint: null,
    allowHttp: opts.allowHttp ?? false,
    disabled: false,
    createdAt: Date.now(),
  };
  await sync.registry.save(peer);
  return peer;
}
