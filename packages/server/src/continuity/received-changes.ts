/**
 * Which entries of the change log came from peers (migration 0008-continuity): the
 * replication store marks the revisions a batch from a peer added (the merge's own closing
 * revisions included), so "what was written on this node" leaves them out.
 */
import type { Kysely, Transaction } from 'kysely';
import type { ChartDatabase } from '../store/schema.js';

export type ReceivedTables = { continuity_received: { seq: number } };
type Db = Kysely<ChartDatabase> | Transaction<ChartDatabase>;

const IN_CHUNK = 500;

/** The highest change-log sequence now (0 when empty). */
export async function lastChangeSeq(db: Db): Promise<number> {
  const row = await db.selectFrom('changes').select((eb) => eb.fn.max('seq').as('m')).executeTakeFirst();
  return Number(row?.m ?? 0);
}

/**
 * Marks as received every revision after `afterSeq` of the resources a replicated batch
 * touched (call inside the batch's transaction, with the sequence read at its start).
 */
export async function markReceived(db: Db, afterSeq: number, touched: readonly { type: string; id: string }[]): Promise<number> {
  const byType = new Map<string, string[]>();
  for (const t of touched) byType.set(t.type, [...(byType.get(t.type) ?? []), t.id]);
  const seqs: number[] = [];
  for (const [type, ids] of byType) {
    for (let i = 0; i < ids.length; i += IN_CHUNK) {
      const rows = await db
        .selectFrom('revisions as v')
        .innerJoin('resources as r', 'r.rk', 'v.rk')
        .select('v.seq')
        .where('r.type', '=', type)
        .where('r.id', 'in', ids.slice(i, i + IN_CHUNK))
        .where('v.seq', '>', afterSeq)
        .execute();
      for (const r of rows) seqs.push(Number(r.seq));
    }
  }
  const rdb = (db as Kysely<ChartDatabase>).withTables<ReceivedTables>();
  for (let i = 0; i < seqs.length; i += IN_CHUNK) {
    await rdb
      .insertInto('continuity_received')
      .values(seqs.slice(i, i + IN_CHUNK).map((seq) => ({ seq })))
      .onConflict((oc) => oc.column('seq').doNothing())
      .execute();
  }
  return seqs.length;
}

/** How many changes after `afterSeq` came from peers. */
export async function receivedAfter(db: Db, afterSeq: number): Promise<number> {
  const row = await (db as Kysely<ChartDatabase>)
    .withTables<ReceivedTables>()
    .selectFrom('continuity_received')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('seq', '>', afterSeq)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** How many changes after `afterSeq` were written on this node (not received from peers). */
export async function localChangesAfter(db: Db, afterSeq: number): Promise<number> {
  const row = await (db as Kysely<ChartDatabase>)
    .withTables<ReceivedTables>()
    .selectFrom('changes as ch')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('ch.seq', '>', afterSeq)
    .where((eb) => eb.not(eb.exists(eb.selectFrom('continuity_received as c').select('c.seq').whereRef('c.seq', '=', 'ch.seq'))))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}
