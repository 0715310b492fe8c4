/**
 * Audit chain heads carried by replication (issue 3 with the security issue's audit trail):
 * a node sends its newest signed audit chain head to the peer it replicates with (the hub)
 * together with the chain events since the head the peer accepted last; the peer checks with
 * `headExtends` (security/audit-chain.ts) that the new head is signed by the same key and
 * that the events link the old head to it. A head that does not extend it (history rewritten,
 * events removed, another key) is refused and flagged (status, `chartroom sync status`), and
 * the last accepted head stays. The first head of a node is trusted on first use; it can only
 * come over the node's own authenticated session, and only for its own node id.
 */
import type { Kysely } from 'kysely';
import type { SyncAuditEvent, SyncAuditHead } from '@chartroom/core';
import type { ChartDatabase } from '../store/schema.js';
import type { TransactionRunner } from '../store/transaction-runner.js';
import { auditDb } from '../security/audit-tables.js';
import { headExtends } from '../security/audit-chain.js';
import type { HeadRow } from '../security/audit-chain.js';
import type { SyncTransport } from './sync-transport.js';

/** The row of migration 0006-sync-tls. */
interface SyncAuditHeadsTable {
  node_id: string;
  seq: number;
  hash: string | null;
  public_key: string | null;
  signature: string | null;
  received_at: number | null;
  problem: string | null;
  problem_at: number | null;
}

type Db = Kysely<ChartDatabase> | Parameters<Parameters<TransactionRunner['run']>[0]>[0];

function headsDb(db: Db) {
  return (db as Kysely<ChartDatabase>).withTables<{ sync_audit_heads: SyncAuditHeadsTable }>();
}

/** What a node holds about a peer's audit chain. */
export interface PeerAuditState {
  nodeId: string;
  /** The accepted head (seq 0: none yet). */
  seq: number;
  hash: string | null;
  receivedAt: number | null;
  /** Why the last head offered was refused, if it was (cleared when a later head is accepted). */
  problem: string | null;
  problemAt: number | null;
}

/** Most events carried in one message. */
export const AUDIT_EVENTS_PER_MESSAGE = 2000;

/** The callee side: accepted heads per peer node, and the check. */
export class AuditHeadKeeper {
  constructor(
    private readonly store: { dialect: { db: Kysely<ChartDatabase> }; writes: TransactionRunner },
    private readonly now: () => number = Date.now,
  ) {}

  /** Every peer's audit state. */
  async list(): Promise<PeerAuditState[]> {
    const rows = await headsDb(this.store.dialect.db).selectFrom('sync_audit_heads').selectAll().orderBy('node_id').execute();
    return rows.map((r) => ({
      nodeId: r.node_id,
      seq: Number(r.seq),
      hash: r.hash,
      receivedAt: r.received_at === null ? null : Number(r.received_at),
      problem: r.problem,
      problemAt: r.problem_at === null ? null : Number(r.problem_at),
    }));
  }

  /** One peer's audit state. */
  async get(nodeId: string): Promise<PeerAuditState | undefined> {
    return (await this.list()).find((s) => s.nodeId === nodeId);
  }

  /**
   * Checks `head` (with `events` since the accepted head) from the authenticated `caller`:
   * accepted heads are stored; a refused one is flagged and reported as an Error.
   */
  async offer(caller: string, head: SyncAuditHead, events: readonly SyncAuditEvent[]): Promise<{ seq: number; hash: string | null }> {
    const outcome = await this.store.writes.run(async (tx) => {
      const db = headsDb(tx);
      const row = await db.selectFrom('sync_audit_heads').selectAll().where('node_id', '=', caller).executeTakeFirst();
      const prev: HeadRow | undefined =
        row && row.hash && row.public_key && row.signature ? { node_id: caller, seq: Number(row.seq), hash: row.hash, public_key: row.public_key, signature: row.signature } : undefined;
      const next: HeadRow = { node_id: head.nodeId, seq: head.seq, hash: head.hash, public_key: head.publicKey, signature: head.signature };
      let problem: string | undefined;
      if (head.nodeId !== caller) problem = `node ${caller} offered the audit head of node ${head.nodeId}`;
      else {
        const chain = events.map((e) => ({ node_id: caller, seq: e.seq, content: e.content, prev_hash: e.prevHash, hash: e.hash }));
        // Trust on first use: the first head's key becomes the node's audit key.
        const result = headExtends(prev, next, chain, prev ? [prev.public_key] : [head.publicKey]);
        if (!result.ok) problem = result.problems.map((p) => `${p.problem} at ${p.seq}: ${p.detail}`).join('; ');
      }
      const at = this.now();
      if (problem !== undefined) {
        // Flagged (committed), and the accepted head stays as it was.
        const values = { problem: problem.slice(0, 1000), problem_at: at };
        if (row) await db.updateTable('sync_audit_heads').set(values).where('node_id', '=', caller).execute();
        else await db.insertInto('sync_audit_heads').values({ node_id: caller, seq: 0, hash: null, public_key: null, signature: null, received_at: null, ...values }).execute();
        return { refused: `audit chain head ${head.seq} of node ${caller} refused: ${problem}; the head accepted before (${prev ? prev.seq : 'none'}) stays` };
      }
      const values = { seq: head.seq, hash: head.hash, public_key: head.publicKey, signature: head.signature, received_at: at, problem: null, problem_at: null };
      if (row) await db.updateTable('sync_audit_heads').set(values).where('node_id', '=', caller).execute();
      else await db.insertInto('sync_audit_heads').values({ node_id: caller, ...values }).execute();
      return { seq: head.seq, hash: head.hash };
    });
    if ('refused' in outcome) throw new AuditHeadRefused(outcome.refused);
    return outcome;
  }
}

/** A head that does not extend the accepted one. */
export class AuditHeadRefused extends Error {
  override name = 'AuditHeadRefused';
}

/**
 * The caller side: sends this node's newer signed heads to the peer behind `remote`, each
 * with the events since the head the peer accepted (at most {@link AUDIT_EVENTS_PER_MESSAGE}
 * per message, so a long chain goes head by head). Returns the head the peer holds.
 */
export async function pushAuditHeads(db: Kysely<ChartDatabase>, nodeId: string, remote: SyncTransport): Promise<{ seq: number; sent: number }> {
  const adb = auditDb(db);
  let accepted = await remote.request({ type: 'audit-head', v: 1, head: null, events: [] });
  let sent = 0;
  for (let round = 0; round < 50; round++) {
    const newer = await adb
      .selectFrom('audit_heads')
      .select(['seq', 'hash', 'public_key', 'signature'])
      .where('node_id', '=', nodeId)
      .where('seq', '>', accepted.seq)
      .orderBy('seq')
      .execute();
    if (newer.length === 0) break;
    // The newest head within one message's reach, else the next one.
    const reach = newer.filter((h) => Number(h.seq) - accepted.seq <= AUDIT_EVENTS_PER_MESSAGE);
    const head = reach.at(-1) ?? newer[0];
    if (!head) break;
    const events = await adb
      .selectFrom('audit_events')
      .select(['seq', 'prev_hash', 'hash', 'content'])
      .where('node_id', '=', nodeId)
      .where('seq', '>', accepted.seq)
      .where('seq', '<=', Number(head.seq))
      .orderBy('seq')
      .execute();
    accepted = await remote.request({
      type: 'audit-head',
      v: 1,
      head: { nodeId, seq: Number(head.seq), hash: head.hash, publicKey: head.public_key, signature: head.signature },
      events: events.map((e) => ({ seq: Number(e.seq), prevHash: e.prev_hash, hash: e.hash, content: e.content })),
    });
    sent++;
  }
  return { seq: accepted.seq, sent };
}
