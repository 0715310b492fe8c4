/**
 * Enrolled peers and one-time enrolment codes. `chartroom peer invite` creates a code
 * (kept hashed, valid 24 hours, usable once); the joining node redeems it over
 * `POST /sync/enrol` with its node id and public key, and both sides record each other.
 */
import { createHash, randomBytes } from 'node:crypto';
import { badRequest, outcomeError } from '@chartroom/core';
import { syncDb } from '../store/sync-tables.js';
import type { StoreDialect } from '../store/dialect.js';
import type { TransactionRunner } from '../store/transaction-runner.js';
import type { NodeIdentity } from './node-identity.js';

/** An enrolled peer. */
export interface Peer {
  nodeId: string;
  name: string;
  /** `outbound`: this node replicates with the peer at `url`; `inbound`: the peer calls this node. */
  direction: 'outbound' | 'inbound';
  url: string | null;
  publicKey: string;
  practice: string;
  fingerprint: string | null;
  allowHttp: boolean;
  disabled: boolean;
  createdAt: number;
}

/** What an enrolment code carries: the secret and who issued it. */
export interface InviteCode {
  secret: string;
  nodeId: string;
  practice: string;
  /** Path of the sync routes below the node's URL: `/sync`, or `/sync/practice/<slug>` for a practice hosted on a hub. */
  path: string;
  /** SHA-256 of the issuing node's TLS certificate (64 hex digits): the joining node pins it. */
  fingerprint?: string;
}

const CODE_PREFIX = 'CRJOIN1-';

/** Encodes an enrolment code as one copyable word. */
export function encodeInvite(code: InviteCode): string {
  return CODE_PREFIX + Buffer.from(JSON.stringify({ s: code.secret, n: code.nodeId, p: code.practice, u: code.path, ...(code.fingerprint ? { f: code.fingerprint } : {}) })).toString('base64url');
}

/** Decodes an enrolment code; a 400 when it is not one. */
export function decodeInvite(text: string): InviteCode {
  const bad = badRequest('This is not a Chartroom enrolment code (it starts with CRJOIN1-; copy the whole last line of `chartroom peer invite`)');
  if (!text.startsWith(CODE_PREFIX)) throw bad;
  try {
    const o = JSON.parse(Buffer.from(text.slice(CODE_PREFIX.length), 'base64url').toString('utf8')) as { s?: unknown; n?: unknown; p?: unknown; u?: unknown; f?: unknown };
    if (typeof o.s !== 'string' || typeof o.n !== 'string' || typeof o.p !== 'string' || typeof o.u !== 'string' || !/^\/sync(\/practice\/[a-z0-9-]{1,60})?$/.test(o.u)) throw bad;
    if (o.f !== undefined && (typeof o.f !== 'string' || !/^[0-9a-f]{64}$/.test(o.f))) throw bad;
    return { secret: o.s, nodeId: o.n, practice: o.p, path: o.u, ...(typeof o.f === 'string' ? { fingerprint: o.f } : {}) };
  } catch {
    throw bad;
  }
}

function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

const NODE_ID = /^[A-Za-z0-9_.-]{1,100}$/;

/** The peers table and enrolment codes of one store. */
export class PeerRegistry {
  constructor(
    private readonly store: { dialect: StoreDialect; writes: TransactionRunner },
    private readonly now: () => number = Date.now,
  ) {}

  private get db() {
    return syncDb(this.store.dialect.db);
  }

  /**
   * Creates a one-time enrolment code for `identity`'s practice, carrying `fingerprint`
   * (this node's TLS certificate, sync/tls-certificate.ts) for the joining node to pin.
   */
  async invite(identity: NodeIdentity, ttlMs = 24 * 3600_000, path = '/sync', fingerprint?: string): Promise<string> {
    const secret = randomBytes(24).toString('base64url');
    const at = this.now();
    await this.store.writes.run(async (tx) => {
      await syncDb(tx)
        .insertInto('sync_invites')
        .values({ code_hash: hashSecret(secret), practice: identity.practice, created_at: at, expires_at: at + ttlMs, used_at: null, used_by: null })
        .execute();
    });
    return encodeInvite({ secret, nodeId: identity.nodeId, practice: identity.practice, path, fingerprint });
  }

  /**
   * Redeems a code for the node `joiner` (inbound peer): 403 when the code is unknown,
   * used or expired; the code can never be used again.
   */
  async redeem(secret: string, joiner: { nodeId: string; name: string; publicKey: string }): Promise<Peer> {
    if (!NODE_ID.test(joiner.nodeId)) throw badRequest('nodeId must be 1-100 characters of A-Z, a-z, 0-9, _ . -', 'nodeId');
    return this.store.writes.run(async (tx) => {
      const db = syncDb(tx);
      const invite = await db.selectFrom('sync_invites').selectAll().where('code_hash', '=', hashSecret(secret)).executeTakeFirst();
      if (!invite || invite.used_at !== null || Number(invite.expires_at) < this.now()) {
        throw outcomeError('forbidden', 'The enrolment code is unknown, already used or expired; create a new one with chartroom peer invite');
      }
      await db.updateTable('sync_invites').set({ used_at: this.now(), used_by: joiner.nodeId }).where('code_hash', '=', invite.code_hash).execute();
      const peer: Peer = {
        nodeId: joiner.nodeId,
        name: joiner.name,
        direction: 'inbound',
        url: null,
        publicKey: joiner.publicKey,
        practice: invite.practice,
        fingerprint: null,
        allowHttp: false,
        disabled: false,
        createdAt: this.now(),
      };
      await db.deleteFrom('sync_peers').where('node_id', '=', peer.nodeId).execute();
      await db.insertInto('sync_peers').values(toRow(peer)).execute();
      return peer;
    });
  }

  /** Records (or replaces) a peer. */
  async save(peer: Peer): Promise<void> {
    await this.store.writes.run(async (tx) => {
      const db = syncDb(tx);
      await db.deleteFrom('sync_peers').where('node_id', '=', peer.nodeId).execute();
      await db.insertInto('sync_peers').values(toRow(peer)).execute();
    });
  }

  /** Every peer. */
  async list(): Promise<Peer[]> {
    const rows = await this.db.selectFrom('sync_peers').selectAll().orderBy('created_at').execute();
    return rows.map(fromRow);
  }

  /** One enabled peer by node id (read from the store each time, so a removal made by another process counts at once). */
  async get(nodeId: string): Promise<Peer | undefined> {
    const row = await this.db.selectFrom('sync_peers').selectAll().where('node_id', '=', nodeId).executeTakeFirst();
    const peer = row ? fromRow(row) : undefined;
    return peer && !peer.disabled ? peer : undefined;
  }

  /** Removes a peer; true when there was one. Its tokens stop working at its next request. */
  async remove(nodeId: string): Promise<boolean> {
    return this.store.writes.run(async (tx) => {
      const res = await syncDb(tx).deleteFrom('sync_peers').where('node_id', '=', nodeId).executeTakeFirst();
      return Number(res.numDeletedRows) > 0;
    });
  }
}

function fromRow(r: { node_id: string; name: string; direction: string; url: string | null; public_key: string; practice: string; fingerprint: string | null; allow_http: number; disabled: number; created_at: number | string | bigint }): Peer {
  return {
    nodeId: r.node_id,
    name: r.name,
    direction: r.direction === 'outbound' ? 'outbound' : 'inbound',
    url: r.url,
    publicKey: r.public_key,
    practice: r.practice,
    fingerprint: r.fingerprint,
    allowHttp: Number(r.allow_http) === 1,
    disabled: Number(r.disabled) === 1,
    createdAt: Number(r.created_at),
  };
}

function toRow(p: Peer) {
  return {
    node_id: p.nodeId,
    name: p.name,
    direction: p.direction,
    url: p.url,
    public_key: p.publicKey,
    practice: p.practice,
    fingerprint: p.fingerprint,
    allow_http: p.allowHttp ? 1 : 0,
    disabled: p.disabled ? 1 : 0,
    created_at: p.createdAt,
  };
}

/** True for a URL that may be used over plain HTTP: loopback only, unless explicitly allowed. */
export function plainHttpAllowed(url: string, allowHttp: boolean): boolean {
  const u = new URL(url);
  if (u.protocol === 'https:') return true;
  if (u.protocol !== 'http:') return false;
  return allowHttp || ['127.0.0.1', 'localhost', '[::1]', '::1'].includes(u.hostname);
}
