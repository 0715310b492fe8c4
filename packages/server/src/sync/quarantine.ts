/**
 * The safety valve (ARCHITECTURE §4): replicated batches that would delete or rewrite more
 * than a configurable share of this node's resources in one session are held here for an
 * administrator instead of applied. Approving applies the held batch as it was received;
 * rejecting drops it.
 */
import { createHash, randomUUID } from 'node:crypto';
import { conflict, notFound, parseSyncRequest } from '@chartroom/core';
import type { SyncDoc } from '@chartroom/core';
import { syncDb } from '../store/sync-tables.js';
import type { ReplicationStore } from '../store/replication-store.js';
import { checkReplicatedDocs } from '../store/replication-store.js';

/** When a session's destructive writes are too many: more than `share` of live resources, and more than `floor`. */
export interface QuarantinePolicy {
  /** Share of this node's live resources (default 0.05). */
  share: number;
  /** Smallest number of destructive writes ever quarantined (default 200), so a small practice can still sync a day of edits. */
  floor: number;
  /** A session's count starts again after this long (default 1 hour), so a continuous replication is judged per hour. */
  windowMs: number;
}

export const DEFAULT_QUARANTINE_POLICY: QuarantinePolicy = { share: 0.05, floor: 200, windowMs: 3600_000 };

/** One held batch, as listed. */
export interface QuarantinedBatch {
  id: string;
  peer: string;
  status: 'pending' | 'approved' | 'rejected';
  docs: number;
  destructive: number;
  resources: number;
  createdAt: number;
  decidedAt: number | null;
}

/** The held batches of one node. */
export class Quarantine {
  /** Decisions run one at a time, so two approvals of one batch cannot both apply it. */
  private deciding: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly repl: ReplicationStore,
    private readonly now: () => number = Date.now,
  ) {}

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.deciding.then(fn, fn);
    this.deciding = run.catch(() => undefined);
    return run;
  }

  private get db() {
    return syncDb(this.repl.store.dialect.db);
  }

  /** Holds a batch; the same pending batch from the same peer is held once. Returns its id. */
  async hold(peer: string, session: string, docs: readonly SyncDoc[], destructive: number, resources: number): Promise<string> {
    const payload = JSON.stringify(docs);
    const digest = createHash('sha256').update(payload).digest('hex');
    const same = await this.db.selectFrom('sync_quarantine').select('id').where('peer', '=', peer).where('digest', '=', digest).where('status', '=', 'pending').executeTakeFirst();
    if (same) return same.id;
    const id = randomUUID();
    await this.repl.store.writes.run(async (tx) => {
      await syncDb(tx)
        .insertInto('sync_quarantine')
        .values({ id, peer, session, status: 'pending', docs: docs.length, destructive, resources, digest, payload, created_at: this.now(), decided_at: null })
        .execute();
    });
    return id;
  }

  /** Held batches, newest first. */
  async list(opts: { status?: QuarantinedBatch['status'] } = {}): Promise<QuarantinedBatch[]> {
    let q = this.db.selectFrom('sync_quarantine').select(['id', 'peer', 'status', 'docs', 'destructive', 'resources', 'created_at', 'decided_at']);
    if (opts.status) q = q.where('status', '=', opts.status);
    const rows = await q.orderBy('created_at', 'desc').execute();
    return rows.map((r) => ({
      id: r.id,
      peer: r.peer,
      status: r.status as QuarantinedBatch['status'],
      docs: Number(r.docs),
      destructive: Number(r.destructive),
      resources: Number(r.resources),
      createdAt: Number(r.created_at),
      decidedAt: r.decided_at === null ? null : Number(r.decided_at),
    }));
  }

  /** Number of pending batches. */
  async pendingCount(): Promise<number> {
    return (await this.list({ status: 'pending' })).length;
  }

  private async pending(id: string): Promise<{ payload: string }> {
    const row = await this.db.selectFrom('sync_quarantine').select(['payload', 'status']).where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound(`No quarantined batch ${id}`);
    if (row.status !== 'pending') throw conflict(`Quarantined batch ${id} was already ${row.status}`);
    return row;
  }

  /** Applies a held batch (checked again as on arrival) and marks it approved. */
  approve(id: string): Promise<{ stored: number }> {
    return this.serial(() => this.approveNow(id));
  }

  private async approveNow(id: string): Promise<{ stored: number }> {
    const row = await this.pending(id);
    // The payload went through the protocol guards on arrival; parse it the same way again.
    const docs = (parseSyncRequest({ type: 'put', v: 1, session: 'approve', docs: JSON.parse(row.payload) as unknown }) as { docs: SyncDoc[] }).docs;
    checkReplicatedDocs(docs);
    const { stored } = await this.repl.putRevisions(docs);
    await this.mark(id, 'approved');
    return { stored };
  }

  /** Drops a held batch. */
  reject(id: string): Promise<void> {
    return this.serial(async () => {
      await this.pending(id);
      await this.mark(id, 'rejected');
    });
  }

  private async mark(id: string, status: 'approved' | 'rejected'): Promise<void> {
    const at = this.now();
    await this.repl.store.writes.run(async (tx) => {
      await syncDb(tx).updateTable('sync_quarantine').set({ status, decided_at: at }).where('id', '=', id).execute();
    });
  }
}
