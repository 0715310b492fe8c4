/**
 * Revision trees inside a write transaction (ARCHITECTURE §4, after CouchDB): inserting a
 * replicated revision under its parent, closing a leaf with a deletion revision, and
 * settling which leaf wins. The winner — longest non-deleted branch, then the highest
 * revision id ({@link compareLeaves}) — is the resource's current row and search index;
 * losing leaves stay in `revisions`; more than one live leaf is a conflict.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Resource } from '@medplum/fhirtypes';
import { compareLeaves, computeRevision, extractIndexRows, generationOf, isAppendOnly } from '@chartroom/core';
import type { RevisionId } from '@chartroom/core';
import type { StoreDialect } from './dialect.js';
import type { ChartDatabase } from './schema.js';
import { writeStatementsFor } from './write-statements.js';

/** A handle inside a transaction (or the database, for callers that hold one). */
export type TreeDb = Kysely<ChartDatabase> | Transaction<ChartDatabase>;

/** A revision as stored. */
export interface TreeRevision {
  rev: RevisionId;
  parentRev: RevisionId | null;
  deleted: boolean;
  lastUpdated: number;
  content: string;
}

/**
 * Inserts one revision of resource `rk` whose parent is already stored: a change-log
 * entry, the revision row as a leaf, and its parent no longer a leaf. Returns its sequence.
 */
export async function insertTreeRevision(db: TreeDb, rk: number, type: string, id: string, r: TreeRevision): Promise<number> {
  const change = await db
    .insertInto('changes')
    .values({ type, id, rev: r.rev, deleted: r.deleted ? 1 : 0 })
    .returning('seq')
    .executeTakeFirstOrThrow();
  const seq = Number(change.seq);
  await db
    .insertInto('revisions')
    .values({
      rk,
      rev: r.rev,
      parent_rev: r.parentRev,
      generation: generationOf(r.rev),
      deleted: r.deleted ? 1 : 0,
      leaf: 1,
      last_updated: r.lastUpdated,
      seq,
      content: r.content,
    })
    .execute();
  if (r.parentRev) await db.updateTable('revisions').set({ leaf: 0 }).where('rk', '=', rk).where('rev', '=', r.parentRev).execute();
  return seq;
}

/**
 * The deletion revision that closes leaf `leaf`: its id is the same on every node (hash of
 * the parent and the tombstone), and so is its time (the leaf's), so nodes that close the
 * same leaf converge on the same tree.
 */
export function closingRevision(type: string, id: string, leaf: { rev: RevisionId; lastUpdated: number }): TreeRevision {
  const body = { resourceType: type, id } as Resource;
  const rev = computeRevision(leaf.rev, body, true);
  const content = JSON.stringify({ ...body, meta: { versionId: rev, lastUpdated: new Date(leaf.lastUpdated).toISOString() } });
  return { rev, parentRev: leaf.rev, deleted: true, lastUpdated: leaf.lastUpdated, content };
}

/** The leaves of resource `rk`, winner first. */
export async function leavesOf(db: TreeDb, rk: number): Promise<(TreeRevision & { seq: number })[]> {
  const rows = await db
    .selectFrom('revisions')
    .select(['rev', 'parent_rev', 'deleted', 'last_updated', 'content', 'seq'])
    .where('rk', '=', rk)
    .where('leaf', '=', 1)
    .execute();
  const leaves = rows.map((r) => ({
    rev: r.rev as RevisionId,
    parentRev: r.parent_rev as RevisionId | null,
    deleted: r.deleted === 1,
    lastUpdated: Number(r.last_updated),
    content: r.content,
    seq: Number(r.seq),
  }));
  return leaves.sort(compareLeaves);
}

/**
 * Makes the current row of resource `rk` the winning leaf, with its search index, and
 * records how many live leaves it has. Append-only kinds (conflict-rules.ts) get their
 * losing live leaves closed first, so they never reach the inbox. Returns the winner.
 */
export async function settleWinner(
  db: TreeDb,
  dialect: StoreDialect,
  rk: number,
  type: string,
  id: string,
  previousRev: string | undefined,
): Promise<{ rev: RevisionId; deleted: boolean; conflicts: number }> {
  let leaves = await leavesOf(db, rk);
  let winner = leaves[0];
  if (!winner) throw new Error(`${type}/${id} has no leaf revision`);
  let live = leaves.filter((l) => !l.deleted);
  if (live.length > 1 && isAppendOnly(type, JSON.parse(winner.content))) {
    for (const loser of live.slice(1)) await insertTreeRevision(db, rk, type, id, closingRevision(type, id, loser));
    leaves = await leavesOf(db, rk);
    winner = leaves[0] as (typeof leaves)[number];
    live = leaves.filter((l) => !l.deleted);
  }
  const conflicts = live.length > 1 ? live.length : 0;
  const seq = Math.max(...leaves.map((l) => l.seq));
  await db
    .updateTable('resources')
    .set({ rev: winner.rev, deleted: winner.deleted ? 1 : 0, last_updated: winner.lastUpdated, seq, content: winner.content, conflicts })
    .where('rk', '=', rk)
    .execute();
  if (winner.rev !== previousRev) {
    const statements = writeStatementsFor(dialect);
    await statements.deleteIndexRows(db, rk);
    if (!winner.deleted) await statements.insertIndexRows(db, [{ rk, type, rows: extractIndexRows(JSON.parse(winner.content) as Resource) }]);
  }
  return { rev: winner.rev, deleted: winner.deleted, conflicts };
}
