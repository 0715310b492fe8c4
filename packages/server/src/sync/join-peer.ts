/**
 * The joining side of enrolment: sends this node's id and public key with the one-time
 * code to `POST <url>/sync/enrol`, checks that the answering node is the one that issued
 * the code, and records it as an outbound peer. Nothing is recorded when any step fails.
 */
import { outcomeError } from '@chartroom/core';
import { postJson } from './http-transport.js';
import { SyncTransportError } from './sync-transport.js';
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
  const https = base.startsWith('https:');
  if (https && !invite.fingerprint) {
    throw outcomeError('badRequest', 'This enrolment code carries no certificate fingerprint to pin, so HTTPS to the node cannot be checked; create a new code with chartroom peer invite; nothing was changed');
  }
  let res: { status: number; json: unknown };
  try {
    res = await postJson(
      `${base}/enrol`,
      { code, nodeId: sync.identity.nodeId, name: opts.name ?? `${sync.identity.practice} ${sync.identity.nodeId}`, publicKey: sync.identity.publicKey },
      {},
      30_000,
      https ? invite.fingerprint : null,
    );
  } catch (err) {
    if (err instanceof SyncTransportError && err.kind === 'denied') throw outcomeError('forbidden', `${err.message} (the enrolment code was not used)`);
    if (err instanceof SyncTransportError && err.kind === 'offline') throw outcomeError('unavailable', `${err.message}; nothing was changed`);
    throw outcomeError('badRequest', `${base} is not a Chartroom node (${(err as Error).message}); nothing was changed`);
  }
  const body = res.json as { nodeId?: string; publicKey?: string; practice?: string; issue?: { diagnostics?: string }[] } | undefined;
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
    fingerprint: invite.fingerprint ?? null,
    allowHttp: opts.allowHttp ?? false,
    disabled: false,
    createdAt: Date.now(),
  };
  await sync.registry.save(peer);
  return peer;
}
