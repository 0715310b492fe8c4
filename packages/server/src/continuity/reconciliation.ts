/**
 * The offline reconciliation report: after a period offline, what this node recorded since a
 * given time (per type, with the resources named), which of those changes each peer has
 * acknowledged (its push checkpoint in the replication status) and which still wait, and how
 * many conflicts are open for the reconciliation inbox. Changes received from peers are in
 * this node's change log too; they are marked when they arrive (continuity/received-changes.ts)
 * and counted apart, never as this node's writes.
 */
import type { StoreDialect } from '../store/dialect.js';
import type { SyncStatus } from '../sync/sync-service.js';
import type { ReceivedTables } from './received-changes.js';
import { syncDb } from '../store/sync-tables.js';

/** One change in the local change log. */
export interface LoggedChange {
  seq: number;
  type: string;
  id: string;
  deleted: boolean;
  lastUpdated: number;
}

/** The report's content. */
export interface Reconciliation {
  since: string;
  /** Changes written on this node (received ones left out). */
  changes: number;
  /** Changes received from peers in the same period (not in `changes`). */
  received: number;
  byType: Record<string, number>;
  peers: { name: string; acknowledged: number; waiting: number; lastSuccessAt: string | null; state: string }[];
  conflicts: number;
  quarantined: number;
  /** Up to 50 of the waiting changes (of the first peer), oldest first, for a person to check. */
  waitingExamples: string[];
}

/** Changes written on this node at or after `since` (epoch ms), in change-log order; those received from peers are left out. */
export async function changesSince(dialect: StoreDialect, since: number): Promise<LoggedChange[]> {
  const rows = await dialect.db
    .withTables<ReceivedTables>()
    .selectFrom('revisions as v')
    .innerJoin('resources as r', 'r.rk', 'v.rk')
    .select(['v.seq', 'r.type', 'r.id', 'v.deleted', 'v.last_updated'])
    .where('v.last_updated', '>=', since)
    .where((eb) => eb.not(eb.exists(eb.selectFrom('continuity_received as c').select('c.seq').whereRef('c.seq', '=', 'v.seq'))))
    .orderBy('v.seq')
    .execute();
  return rows.map((r) => ({ seq: Number(r.seq), type: r.type, id: r.id, deleted: Number(r.deleted) === 1, lastUpdated: Number(r.last_updated) }));
}

/** How many changes received from peers are dated at or after `since`. */
export async function receivedSince(dialect: StoreDialect, since: number): Promise<number> {
  const row = await dialect.db
    .withTables<ReceivedTables>()
    .selectFrom('revisions as v')
    .innerJoin('continuity_received as c', 'c.seq', 'v.seq')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('v.last_updated', '>=', since)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** This node's push checkpoints by peer node id (what each peer acknowledged), as stored by replication. */
export async function pushCheckpoints(dialect: StoreDialect, nodeId: string): Promise<Record<string, number>> {
  const rows = await syncDb(dialect.db).selectFrom('sync_checkpoints').select(['replication', 'seq']).where('replication', 'like', `${nodeId}>%`).execute();
  return Object.fromEntries(rows.map((r) => [r.replication.slice(nodeId.length + 1), Number(r.seq)]));
}

/**
 * Splits the changes by what each outbound peer has acknowledged: its stored push
 * checkpoint (`checkpoints`, see {@link pushCheckpoints}), else the one in the status.
 */
export function reconcile(changes: readonly LoggedChange[], status: SyncStatus | undefined, since: number, received = 0, checkpoints: Record<string, number> = {}): Reconciliation {
  const byType: Record<string, number> = {};
  for (const c of changes) byType[c.type] = (byType[c.type] ?? 0) + 1;
  const outbound = (status?.peers ?? []).filter((p) => p.direction === 'outbound' || p.push !== undefined);
  const ackOf = (p: (typeof outbound)[number]): number => checkpoints[p.nodeId] ?? p.push?.checkpoint ?? 0;
  const peers = outbound.map((p) => {
    const acked = ackOf(p);
    const acknowledged = changes.filter((c) => c.seq <= acked).length;
    return { name: p.name || p.nodeId, acknowledged, waiting: changes.length - acknowledged, lastSuccessAt: p.push?.lastSuccessAt ?? p.lastSuccessAt, state: p.state };
  });
  const firstAck = outbound[0] ? ackOf(outbound[0]) : 0;
  const waitingExamples = changes
    .filter((c) => c.seq > firstAck)
    .slice(0, 50)
    .map((c) => `${new Date(c.lastUpdated).toISOString()} ${c.deleted ? 'deleted' : 'wrote'} ${c.type}/${c.id}`);
  return {
    since: new Date(since).toISOString(),
    changes: changes.length,
    received,
    byType,
    peers,
    conflicts: status?.conflicts ?? 0,
    quarantined: status?.quarantined ?? 0,
    waitingExamples,
  };
}

/** The report as text. */
export function formatReconciliation(r: Reconciliation): string {
  const lines = [`Reconciliation since ${r.since}: ${r.changes} change(s) written on this node (${r.received} received from peers, not counted)`];
  for (const [type, n] of Object.entries(r.byType).sort((a, b) => b[1] - a[1])) lines.push(`    ${type.padEnd(24)} ${String(n).padStart(7)}`);
  if (!r.peers.length) lines.push('  No peer: nothing of this has left the node (chartroom peer join to add a hub).');
  for (const p of r.peers) lines.push(`  ${p.name}: ${p.acknowledged} acknowledged (last success ${p.lastSuccessAt ?? 'never'}), ${p.waiting} waiting; state ${p.state}`);
  lines.push(`  Conflicts open: ${r.conflicts}${r.conflicts ? ' — resolve them in the reconciliation inbox (GET /api/conflicts, the web app)' : ''}; quarantined batches: ${r.quarantined}`);
  if (r.waitingExamples.length) {
    lines.push('  Waiting (oldest first):');
    for (const e of r.waitingExamples) lines.push(`    ${e}`);
  }
  return lines.join('\n');
}
