/**
 * Replication on a running node: this node's identity, its protocol endpoint (answering
 * peers), the peers it calls (a continuous push and pull replicator each), new peers
 * picked up from the store while running (a `chartroom peer join` in another process needs
 * no restart), "sync now", and an honest status per peer. Transport-free: the HTTP routes
 * and the CLI call it.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { ReplicatorEvent, ReplicatorState, ReplicatorStatus } from '@chartroom/core';
import type { Store } from '../store/open-store.js';
import { ReplicationStore } from '../store/replication-store.js';
import type { ConflictEntry } from '../store/replication-store.js';
import type { StoredVersion } from '../store/fhir-repository.js';
import { syncDb } from '../store/sync-tables.js';
import { ChangeNotifier } from './change-notifier.js';
import { SyncEndpoint } from './sync-endpoint.js';
import type { QuarantinePolicy } from './quarantine.js';
import { inProcessTransport } from './in-process-transport.js';
import { httpTransport } from './http-transport.js';
import { Replicator } from './replicator.js';
import type { SyncTransport } from './sync-transport.js';
import { SyncTransportError } from './sync-transport.js';
import { loadNodeIdentity } from './node-identity.js';
import type { NodeIdentity } from './node-identity.js';
import { PeerRegistry } from './peer-registry.js';
import type { Peer } from './peer-registry.js';
import { NodeAuthenticator } from './node-auth.js';
import { pushAuditHeads } from './audit-heads.js';

export interface SyncServiceOptions {
  store: Pick<Store, 'dialect' | 'writes' | 'repo'>;
  /** Used the first time only; afterwards the store's identity wins. */
  nodeId: string;
  practice: string;
  quarantine?: Partial<QuarantinePolicy>;
  /** How often the peers table is read for new peers (default 2 s). */
  refreshMs?: number;
  /** Long-poll wait of continuous replication (default 10 s). */
  waitMs?: number;
  batchSize?: number;
  now?: () => number;
  /** How to reach a peer (default HTTP); tests pass in-process transports. */
  transportFor?: (peer: Peer, identity: NodeIdentity) => SyncTransport;
  /** Log lines (default console.log). */
  log?: (line: string) => void;
  /** How often the audit chain head goes to each outbound peer (default 30 s). */
  auditEveryMs?: number;
}

/** This node's audit chain head as sent to a peer (outbound), or a peer's as received here (inbound). */
export interface AuditHeadStatus {
  /** The signed head the peer holds as accepted (outbound) or this node accepted (inbound); 0: none yet. */
  seq: number;
  at: string | null;
  /** Why the last head was refused, or why sending failed. */
  error: string | null;
}

/** One direction with one peer, as shown. */
export interface DirectionStatus {
  status: ReplicatorStatus;
  checkpoint: number;
  lastSuccessAt: string | null;
  lastError: string | null;
}

/** One peer's line in the status. */
export interface PeerStatus {
  nodeId: string;
  name: string;
  url: string | null;
  direction: Peer['direction'];
  practice: string;
  /** Summary: the worse of push and pull (outbound), or `idle`/`paused-offline` from the last call (inbound). */
  state: ReplicatorStatus;
  connected: boolean;
  lastSuccessAt: string | null;
  lastError: string | null;
  /** Changes on this node that the peer has not acknowledged. */
  pendingChanges: number;
  push?: DirectionStatus;
  pull?: DirectionStatus;
  /** Audit chain heads: each new signed head must extend the one the receiver accepted. */
  audit?: AuditHeadStatus;
}

/** The node's replication status (GET /api/sync/status, `chartroom sync status`). */
export interface SyncStatus {
  nodeId: string;
  practice: string;
  /** `standalone` without peers; else `connected` when every outbound peer is reachable, `offline` or `error`. */
  state: 'standalone' | 'connected' | 'offline' | 'error' | 'denied';
  connected: boolean | undefined;
  lastSeq: number;
  pendingChanges: number;
  lastSuccessfulSync: string | null;
  conflicts: number;
  quarantined: number;
  peers: PeerStatus[];
  /** When this status was taken (a status read from the store by the CLI may be older). */
  at: string;
}

/** What one "sync now" did with one peer. */
export interface SyncNowResult {
  peer: string;
  push: { ok: boolean; error: string | null };
  pull: { ok: boolean; error: string | null };
  /** This node's signed audit chain head sent to the peer (refused when it does not extend what the peer accepted). */
  audit: { ok: boolean; error: string | null };
}

const RANK: Record<ReplicatorStatus, number> = { denied: 6, error: 5, 'paused-offline': 4, stopped: 3, starting: 2, active: 1, idle: 0 };

function iso(ms: number | undefined | null): string | null {
  return ms ? new Date(ms).toISOString() : null;
}

function direction(state: ReplicatorState): DirectionStatus {
  return { status: state.status, checkpoint: state.checkpoint, lastSuccessAt: iso(state.lastSuccessAt), lastError: state.lastError ?? null };
}

/** Continuous push and pull with one outbound peer. */
class PeerLink {
  readonly push: Replicator;
  readonly pull: Replicator;
  audit: AuditHeadStatus = { seq: 0, at: null, error: null };
  private readonly runs: Promise<unknown>[];

  constructor(
    readonly peer: Peer,
    local: SyncTransport,
    readonly remote: SyncTransport,
    selfId: string,
    opts: { waitMs?: number; batchSize?: number; now: () => number; onEvent: (dir: 'push' | 'pull', e: ReplicatorEvent) => void },
  ) {
    const common = { continuous: true, waitMs: opts.waitMs, batchSize: opts.batchSize, now: opts.now };
    this.push = new Replicator({ ...common, source: { nodeId: selfId, transport: local }, target: { nodeId: peer.nodeId, transport: remote }, onEvent: (e) => opts.onEvent('push', e) });
    this.pull = new Replicator({ ...common, source: { nodeId: peer.nodeId, transport: remote }, target: { nodeId: selfId, transport: local }, onEvent: (e) => opts.onEvent('pull', e) });
    this.runs = [this.push.run(), this.pull.run()];
  }

  async stop(): Promise<void> {
    this.push.stop();
    this.pull.stop();
    await Promise.allSettled(this.runs);
  }
}

/** Replication for one store. */
export class SyncService {
  readonly repl: ReplicationStore;
  readonly endpoint: SyncEndpoint;
  readonly registry: PeerRegistry;
  readonly auth: NodeAuthenticator;
  private readonly notifier: ChangeNotifier;
  private readonly links = new Map<string, PeerLink>();
  private timer: NodeJS.Timeout | undefined;
  private auditTimer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> = Promise.resolve();
  private closed = false;
  /** Practices this node hosts as a hub (hosted-practices.ts), by slug; set by `serve`. */
  hostedPractice: ((slug: string) => Promise<SyncService | undefined>) | undefined;
  private lastSaved: string | undefined;
  private readonly now: () => number;
  private readonly log: (line: string) => void;

  private constructor(
    readonly identity: NodeIdentity,
    private readonly opts: SyncServiceOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? ((line) => console.log(line));
    this.repl = new ReplicationStore(opts.store, { clock: { now: this.now } });
    this.notifier = new ChangeNotifier(opts.store.writes);
    this.endpoint = new SyncEndpoint(this.repl, { nodeId: identity.nodeId, notifier: this.notifier, quarantine: opts.quarantine, now: this.now });
    this.registry = new PeerRegistry(opts.store, this.now);
    this.auth = new NodeAuthenticator(this.registry, identity.nodeId, this.now);
  }

  /** Opens the service (creating this node's identity on first use); call {@link start} to replicate. */
  static async open(opts: SyncServiceOptions): Promise<SyncService> {
    const identity = await loadNodeIdentity(opts.store, { nodeId: opts.nodeId, practice: opts.practice });
    return new SyncService(identity, opts);
  }

  private transportFor(peer: Peer): SyncTransport {
    if (this.opts.transportFor) return this.opts.transportFor(peer, this.identity);
    if (!peer.url) throw new SyncTransportError('denied', `peer ${peer.nodeId} has no URL`);
    return httpTransport({ url: peer.url, peerNodeId: peer.nodeId, identity: this.identity, allowHttp: peer.allowHttp, fingerprint: peer.fingerprint });
  }

  /** Starts continuous replication with every outbound peer, and watches for new ones. */
  start(): void {
    const tick = (): void => {
      this.refreshing = this.refreshing.then(() => this.refresh()).catch((err: unknown) => this.log(`sync: reading peers failed: ${(err as Error).message}`));
    };
    tick();
    this.timer = setInterval(tick, this.opts.refreshMs ?? 2000);
    this.timer.unref();
    const audit = (): void => {
      this.refreshing = this.refreshing.then(() => this.sendAuditHeads()).catch((err: unknown) => this.log(`sync: sending audit heads failed: ${(err as Error).message}`));
    };
    this.auditTimer = setInterval(audit, this.opts.auditEveryMs ?? 30_000);
    this.auditTimer.unref();
  }

  /** Sends this node's audit chain head to every connected outbound peer (continuous mode). */
  async sendAuditHeads(): Promise<void> {
    for (const link of this.links.values()) {
      if (this.closed) return;
      const r = await this.sendAuditHead(link.remote);
      link.audit = { seq: r.seq ?? link.audit.seq, at: r.ok ? new Date(this.now()).toISOString() : link.audit.at, error: r.error };
      if (!r.ok) this.log(`sync: audit head to ${link.peer.name}: ${r.error ?? ''}`);
    }
  }

  private async sendAuditHead(remote: SyncTransport): Promise<{ ok: boolean; error: string | null; seq?: number }> {
    try {
      const { seq } = await pushAuditHeads(this.opts.store.dialect.db, this.identity.nodeId, remote);
      return { ok: true, error: null, seq };
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    }
  }

  /** Starts links for peers enrolled since the last look, and stops links of removed or disabled peers. */
  async refresh(): Promise<void> {
    if (this.closed) return;
    const peers = (await this.registry.list()).filter((p) => p.direction === 'outbound' && !p.disabled);
    // A peer enrolled again (new URL, certificate or key) gets a new link.
    const same = (a: Peer, b: Peer): boolean => a.url === b.url && a.fingerprint === b.fingerprint && a.publicKey === b.publicKey && a.allowHttp === b.allowHttp;
    for (const [id, link] of this.links) {
      const now = peers.find((p) => p.nodeId === id);
      if (now && !same(now, link.peer)) {
        this.links.delete(id);
        await link.stop();
      }
    }
    for (const peer of peers) {
      if (this.links.has(peer.nodeId)) continue;
      let remote: SyncTransport;
      try {
        remote = this.transportFor(peer);
      } catch (err) {
        this.log(`sync: cannot replicate with ${peer.name}: ${(err as Error).message}`);
        continue;
      }
      const local = inProcessTransport(this.endpoint, { nodeId: peer.nodeId });
      this.log(`sync: replicating with ${peer.name} (${peer.url ?? peer.nodeId})`);
      this.links.set(
        peer.nodeId,
        new PeerLink(peer, local, remote, this.identity.nodeId, {
          waitMs: this.opts.waitMs,
          batchSize: this.opts.batchSize,
          now: this.now,
          onEvent: (dir, e) => {
            if (e.type === 'denied' || e.type === 'error' || e.type === 'paused-offline') this.log(`sync: ${dir} ${peer.name}: ${e.type}: ${e.message}`);
          },
        }),
      );
    }
    for (const [id, link] of this.links) {
      if (!peers.some((p) => p.nodeId === id)) {
        this.links.delete(id);
        await link.stop();
      }
    }
    await this.saveStatus();
  }

  /**
   * Replicates once with every outbound peer (both ways) until caught up. Each result says
   * whether it succeeded; a failure is never reported as success.
   */
  async syncNow(): Promise<SyncNowResult[]> {
    const out: SyncNowResult[] = [];
    for (const peer of (await this.registry.list()).filter((p) => p.direction === 'outbound' && !p.disabled)) {
      let remote: SyncTransport;
      try {
        remote = this.transportFor(peer);
      } catch (err) {
        const error = (err as Error).message;
        out.push({ peer: peer.name, push: { ok: false, error }, pull: { ok: false, error }, audit: { ok: false, error } });
        continue;
      }
      const local = inProcessTransport(this.endpoint, { nodeId: peer.nodeId });
      const common = { now: this.now, batchSize: this.opts.batchSize };
      const push = await new Replicator({ ...common, source: { nodeId: this.identity.nodeId, transport: local }, target: { nodeId: peer.nodeId, transport: remote } }).run();
      const pull = await new Replicator({ ...common, source: { nodeId: peer.nodeId, transport: remote }, target: { nodeId: this.identity.nodeId, transport: local } }).run();
      const audit = push.ok ? await this.sendAuditHead(remote) : { ok: false, error: 'not sent: the push failed' };
      const link = this.links.get(peer.nodeId);
      if (link) link.audit = { seq: audit.seq ?? link.audit.seq, at: audit.ok ? new Date(this.now()).toISOString() : link.audit.at, error: audit.error };
      out.push({
        peer: peer.name,
        push: { ok: push.ok, error: push.ok ? null : (push.state.lastError ?? push.state.status) },
        pull: { ok: pull.ok, error: pull.ok ? null : (pull.state.lastError ?? pull.state.status) },
        audit: { ok: audit.ok, error: audit.error },
      });
    }
    await this.saveStatus();
    return out;
  }

  /** The status of replication with every peer. */
  async status(): Promise<SyncStatus> {
    const peers = await this.registry.list();
    const lines: PeerStatus[] = [];
    const received = new Map((await this.endpoint.auditHeads.list()).map((a) => [a.nodeId, a]));
    for (const peer of peers) {
      const pushId = `${this.identity.nodeId}>${peer.nodeId}`;
      const pendingChanges = await this.repl.countChangesAfter(await this.repl.getCheckpoint(pushId));
      const base = { nodeId: peer.nodeId, name: peer.name, url: peer.url, direction: peer.direction, practice: peer.practice, pendingChanges };
      const link = this.links.get(peer.nodeId);
      if (link) {
        const push = direction(link.push.state);
        const pull = direction(link.pull.state);
        const state = RANK[push.status] >= RANK[pull.status] ? push.status : pull.status;
        const last = [link.push.state.lastSuccessAt, link.pull.state.lastSuccessAt].filter((x): x is number => x !== undefined);
        lines.push({
          ...base,
          state,
          connected: state === 'active' || state === 'idle',
          lastSuccessAt: iso(last.length ? Math.min(...last) : undefined),
          lastError: push.lastError ?? pull.lastError,
          push,
          pull,
          audit: link.audit,
        });
      } else {
        const seen = this.endpoint.activity.get(peer.nodeId);
        const recent = seen !== undefined && this.now() - seen.lastSeenAt < 60_000;
        const a = received.get(peer.nodeId);
        lines.push({
          ...base,
          state: peer.direction === 'outbound' ? 'stopped' : recent ? 'idle' : 'paused-offline',
          connected: recent,
          lastSuccessAt: iso(seen?.lastSeenAt),
          lastError: null,
          ...(a ? { audit: { seq: a.seq, at: iso(a.receivedAt), error: a.problem } } : {}),
        });
      }
    }
    const outbound = lines.filter((l) => l.direction === 'outbound');
    const watched = outbound.length ? outbound : lines;
    const worst = watched.reduce<ReplicatorStatus>((w, l) => (RANK[l.state] > RANK[w] ? l.state : w), 'idle');
    const state: SyncStatus['state'] =
      lines.length === 0 ? 'standalone' : worst === 'denied' ? 'denied' : worst === 'error' ? 'error' : worst === 'paused-offline' || worst === 'stopped' ? 'offline' : 'connected';
    const successes = watched.map((l) => l.lastSuccessAt).filter((x): x is string => x !== null);
    return {
      nodeId: this.identity.nodeId,
      practice: this.identity.practice,
      state,
      connected: lines.length === 0 ? undefined : state === 'connected',
      lastSeq: await this.repl.lastSeq(),
      pendingChanges: Math.max(0, ...watched.map((l) => l.pendingChanges)),
      lastSuccessfulSync: successes.length ? (successes.sort()[0] as string) : null,
      conflicts: await this.repl.conflictCount(),
      quarantined: await this.endpoint.quarantine.pendingCount(),
      peers: lines,
      at: new Date(this.now()).toISOString(),
    };
  }

  /** Saves the status in the store, for `chartroom sync status` in another process. */
  private async saveStatus(): Promise<void> {
    const status = await this.status();
    const compared = JSON.stringify({ ...status, at: undefined });
    if (compared === this.lastSaved) return;
    this.lastSaved = compared;
    const value = JSON.stringify(status);
    await this.opts.store.writes.run(async (tx) => {
      await syncDb(tx).insertInto('sync_identity').values({ key: 'status', value }).onConflict((oc) => oc.column('key').doUpdateSet({ value })).execute();
    });
  }

  /** The reconciliation inbox. */
  listConflicts(opts: { limit?: number; type?: string } = {}): Promise<ConflictEntry[]> {
    return this.repl.listConflicts(opts);
  }

  /** The live versions (leaves) of one resource, with their content: more than one means it is in conflict. */
  async liveLeaves(type: string, id: string): Promise<{ rev: string; resource: Resource }[]> {
    const leaves = (await this.repl.revisionTree(type, id)).filter((r) => r.leaf && !r.deleted);
    const out: { rev: string; resource: Resource }[] = [];
    for (const l of leaves) out.push({ rev: l.rev, resource: JSON.parse((await this.opts.store.repo.vread(type, id, l.rev)).json) as Resource });
    return out;
  }

  /** Resolves a conflict (see ReplicationStore.resolve). */
  resolve(type: string, id: string, choice: { rev?: string; resource?: Resource }): Promise<StoredVersion> {
    return this.repl.resolve(type, id, choice);
  }

  private readonly closers: (() => Promise<void>)[] = [];

  /** Runs `fn` when the service closes (hosted practices). */
  onClose(fn: () => Promise<void>): void {
    this.closers.push(fn);
  }

  /** Stops replicating and releases waiters. */
  async close(): Promise<void> {
    this.closed = true;
    for (const fn of this.closers.splice(0)) await fn();
    if (this.timer) clearInterval(this.timer);
    if (this.auditTimer) clearInterval(this.auditTimer);
    await this.refreshing;
    this.endpoint.close();
    this.notifier.close();
    await Promise.all([...this.links.values()].map((l) => l.stop()));
    this.links.clear();
    await this.saveStatus().catch(() => undefined);
  }
}

/** The status a running node last saved in the store (for the CLI), or undefined. */
export async function savedSyncStatus(store: Pick<Store, 'dialect'>): Promise<SyncStatus | undefined> {
  const row = await syncDb(store.dialect.db).selectFrom('sync_identity').select('value').where('key', '=', 'status').executeTakeFirst();
  return row ? (JSON.parse(row.value) as SyncStatus) : undefined;
}
