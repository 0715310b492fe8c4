/**
 * The store's side of replication (ARCHITECTURE §4): the change feed, which revisions are
 * missing, revisions with their ancestry, storing replicated revisions idempotently
 * (never creating new ones, except the deterministic closing revisions of append-only
 * kinds), checkpoints, the reconciliation inbox and its resolve call. One code path for
 * SQLite and PostgreSQL.
 */
import type { Resource } from '@medplum/fhirtypes';
import {
  badRequest,
  computeRevision,
  conflict,
  extractIndexRows,
  generationOf,
  isDoNotReplicate,
  isRevisionId,
  notFound,
  outcomeError,
} from '@chartroom/core';
import type { RevisionId, SyncChange, SyncDiffItem, SyncDoc, SyncDocRevs, SyncRevision } from '@chartroom/core';
import type { Store } from './open-store.js';
import { FhirRepository, validateForWrite } from './fhir-repository.js';
import type { RepositoryOptions, StoredVersion } from './fhir-repository.js';
import { closingRevision, insertTreeRevision, leavesOf, settleWinner } from './revision-tree.js';
import type { TreeDb } from './revision-tree.js';
import { syncDb } from './sync-tables.js';
import { writeStatementsFor } from './write-statements.js';
import { VALIDATION_CHUNK, sharedValidationPool, verdictError } from './validation-pool.js';
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import { lastChangeSeq, markReceived } from '../continuity/received-changes.js';

/** What applying one replicated resource did to this node's current version. */
export type ApplyEffect = 'created' | 'updated' | 'deleted' | 'unchanged';

/** One resource in the reconciliation inbox: the winner and every live leaf. */
export interface ConflictEntry {
  type: string;
  id: string;
  winner: RevisionId;
  leaves: { rev: RevisionId; lastUpdated: number; resource: Resource }[];
}

const IN_CHUNK = 500;

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function groupByType<T extends { type: string }>(items: readonly T[]): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const list = m.get(it.type) ?? [];
    list.push(it);
    m.set(it.type, list);
  }
  return m;
}

/**
 * Checks replicated documents before anything is stored: each revision's id must be the
 * hash of its parent and content (so a corrupted or forged revision is refused), its
 * generation one more than its parent's, its content the resource it claims to be, and a
 * live revision valid FHIR. Throws a 400 naming the bad element.
 */
export function checkReplicatedDocs(docs: readonly SyncDoc[]): void {
  for (const body of checkReplicatedShapes(docs)) validateForWrite(body);
}

/** Batches with at least this many live revisions are validated on the validation pool's threads too. */
const POOLED_MIN = 500;

/**
 * {@link checkReplicatedDocs} for the sync endpoint: the same checks and verdicts, but a
 * large batch's FHIR validation (the costliest part of storing a replicated resource) is
 * shared with the validation pool's threads, so an initial clone keeps a second core busy.
 */
export async function checkReplicatedDocsPooled(docs: readonly SyncDoc[]): Promise<void> {
  const live = checkReplicatedShapes(docs);
  const pool = live.length >= POOLED_MIN ? sharedValidationPool() : undefined;
  if (!pool) {
    for (const body of live) validateForWrite(body);
    return;
  }
  await pool.submit(live, VALIDATION_CHUNK).each((verdicts) => {
    const bad = verdicts.find((v) => v !== null);
    if (bad) throw verdictError(bad);
  });
}

/** Every check of {@link checkReplicatedDocs} but FHIR validation; returns the live revisions' content to validate, in order. */
function checkReplicatedShapes(docs: readonly SyncDoc[]): Resource[] {
  const seen = new Set<string>();
  const live: Resource[] = [];
  docs.forEach((doc, i) => {
    const key = `${doc.type}/${doc.id}`;
    if (seen.has(key)) throw badRequest(`${key} appears twice in one batch`, `docs[${i}]`);
    seen.add(key);
    doc.revisions.forEach((r, j) => {
      const at = `docs[${i}].revisions[${j}]`;
      let body: Resource;
      try {
        body = JSON.parse(r.content) as Resource;
      } catch {
        throw badRequest(`${key} revision ${r.rev}: content is not JSON`, at);
      }
      if (typeof body !== 'object' || body === null || body.resourceType !== doc.type || body.id !== doc.id) {
        throw badRequest(`${key} revision ${r.rev}: content is not ${key}`, at);
      }
      if (body.meta?.versionId !== r.rev) throw badRequest(`${key} revision ${r.rev}: meta.versionId is ${String(body.meta?.versionId)}`, at);
      const expectedGeneration = r.parentRev ? generationOf(r.parentRev) + 1 : 1;
      if (generationOf(r.rev) !== expectedGeneration) throw badRequest(`${key} revision ${r.rev}: generation does not follow its parent`, at);
      if (computeRevision(r.parentRev ?? undefined, body, r.deleted) !== r.rev) {
        throw badRequest(`${key} revision ${r.rev}: the id is not the hash of its parent and content (corrupted or forged)`, at);
      }
      if (!r.deleted) live.push(body);
    });
  });
  return live;
}

/** Replication operations over one opened store. */
export class ReplicationStore {
  private readonly clock: Clock;

  constructor(
    readonly store: Pick<Store, 'dialect' | 'writes' | 'repo'>,
    private readonly options: RepositoryOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
  }

  private get db(): TreeDb {
    return this.store.dialect.db;
  }

  /** The change feed after `since`, at most `limit` entries, in sequence order. */
  async changesSince(since: number, limit: number): Promise<{ changes: SyncChange[]; lastSeq: number }> {
    const rows = await this.db.selectFrom('changes').select(['seq', 'type', 'id', 'rev', 'deleted']).where('seq', '>', since).orderBy('seq').limit(limit).execute();
    const changes = rows.map((r) => ({ seq: Number(r.seq), type: r.type, id: r.id, rev: r.rev as RevisionId, deleted: r.deleted === 1 }));
    return { changes, lastSeq: changes.length ? (changes[changes.length - 1] as SyncChange).seq : since };
  }

  /** How many changes come after `since`. */
  async countChangesAfter(since: number): Promise<number> {
    const row = await this.db.selectFrom('changes').select((eb) => eb.fn.countAll<number>().as('n')).where('seq', '>', since).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** The highest change sequence. */
  lastSeq(): Promise<number> {
    return this.store.repo.lastSeq();
  }

  /** For each resource, the given revisions this node lacks and the leaves it has. */
  async revsDiff(items: readonly SyncDocRevs[]): Promise<SyncDiffItem[]> {
    const have = new Map<string, { revs: Set<string>; leaves: RevisionId[] }>();
    for (const [type, list] of groupByType(items)) {
      for (const part of chunk(list, IN_CHUNK)) {
        const rows = await this.db
          .selectFrom('revisions as v')
          .innerJoin('resources as r', 'r.rk', 'v.rk')
          .select(['r.id', 'v.rev', 'v.leaf'])
          .where('r.type', '=', type)
          .where('r.id', 'in', [...new Set(part.map((p) => p.id))])
          .execute();
        for (const row of rows) {
          const key = `${type}/${row.id}`;
          const entry = have.get(key) ?? { revs: new Set<string>(), leaves: [] };
          entry.revs.add(row.rev);
          if (row.leaf === 1) entry.leaves.push(row.rev as RevisionId);
          have.set(key, entry);
        }
      }
    }
    const out: SyncDiffItem[] = [];
    for (const it of items) {
      const entry = have.get(`${it.type}/${it.id}`);
      const missing = [...new Set(it.revs)].filter((r) => !entry?.revs.has(r));
      if (missing.length) out.push({ type: it.type, id: it.id, missing, have: entry?.leaves ?? [] });
    }
    return out;
  }

  /**
   * The asked-for revisions with their ancestry back to a revision in `have` (or the
   * root), parents first. A revision carrying the "do not replicate" label, or descending
   * from one that does, is never sent.
   */
  async fetch(items: readonly (SyncDocRevs & { have: readonly RevisionId[] })[]): Promise<SyncDoc[]> {
    const out: SyncDoc[] = [];
    for (const [type, list] of groupByType(items)) {
      for (const part of chunk(list, IN_CHUNK)) {
        const rows = await this.db
          .selectFrom('revisions as v')
          .innerJoin('resources as r', 'r.rk', 'v.rk')
          .select(['r.id', 'v.rev', 'v.parent_rev', 'v.deleted', 'v.last_updated', 'v.content'])
          .where('r.type', '=', type)
          .where('r.id', 'in', [...new Set(part.map((p) => p.id))])
          .execute();
        const byId = new Map<string, Map<string, SyncRevision>>();
        for (const row of rows) {
          const m = byId.get(row.id) ?? new Map<string, SyncRevision>();
          m.set(row.rev, {
            rev: row.rev as RevisionId,
            parentRev: row.parent_rev as RevisionId | null,
            deleted: row.deleted === 1,
            lastUpdated: Number(row.last_updated),
            content: row.content,
          });
          byId.set(row.id, m);
        }
        for (const it of part) {
          const revs = byId.get(it.id);
          if (!revs) continue;
          const stop = new Set<string>(it.have);
          const picked = new Map<string, SyncRevision>();
          for (const want of it.revs) {
            const path: SyncRevision[] = [];
            let cur = revs.get(want);
            let blocked = false;
            while (cur && !stop.has(cur.rev) && !picked.has(cur.rev)) {
              if (cur.content.includes('do-not-replicate') && isDoNotReplicate(JSON.parse(cur.content) as Resource)) blocked = true;
              path.push(cur);
              cur = cur.parentRev ? revs.get(cur.parentRev) : undefined;
            }
            if (blocked) continue;
            for (const r of path) picked.set(r.rev, r);
          }
          if (picked.size) {
            const revisions = [...picked.values()].sort((a, b) => generationOf(a.rev) - generationOf(b.rev));
            out.push({ type, id: it.id, revisions });
          }
        }
      }
    }
    return out;
  }

  /**
   * Stores replicated revisions, all-or-nothing: revisions already present are skipped,
   * the others go under their parents (which must be present or come earlier in the
   * batch), and each touched resource's winner is settled. Returns the effect on each
   * resource's current version. Call {@link checkReplicatedDocs} first (the sync endpoint does).
   */
  async putRevisions(docs: readonly SyncDoc[]): Promise<{ stored: number; effects: { type: string; id: string; effect: ApplyEffect }[] }> {
    return this.store.writes.run(async (tx) => {
      const seqBefore = await lastChangeSeq(tx);
      let stored = 0;
      const effects: { type: string; id: string; effect: ApplyEffect }[] = [];
      const { fresh: newDocs, rest } = await this.splitNew(tx, docs);
      stored += await this.insertNew(tx, newDocs);
      for (const doc of newDocs) effects.push({ type: doc.type, id: doc.id, effect: doc.revisions[doc.revisions.length - 1]?.deleted ? 'unchanged' : 'created' });
      for (const doc of rest) {
        const cur = await tx.selectFrom('resources').select(['rk', 'rev', 'deleted', 'conflicts']).where('type', '=', doc.type).where('id', '=', doc.id).executeTakeFirst();
        const known = new Set<string>();
        const wanted = [...new Set(doc.revisions.flatMap((r) => (r.parentRev ? [r.rev, r.parentRev] : [r.rev])))];
        if (cur) {
          for (const part of chunk(wanted, IN_CHUNK)) {
            const rows = await tx.selectFrom('revisions').select('rev').where('rk', '=', cur.rk).where('rev', 'in', part).execute();
            for (const r of rows) known.add(r.rev);
          }
        }
        const fresh = doc.revisions.filter((r) => !known.has(r.rev)).sort((a, b) => generationOf(a.rev) - generationOf(b.rev));
        if (fresh.length === 0) {
          effects.push({ type: doc.type, id: doc.id, effect: 'unchanged' });
          continue;
        }
        let rk = cur?.rk;
        if (rk === undefined) {
          const first = fresh[0] as SyncRevision;
          const inserted = await tx
            .insertInto('resources')
            .values({ type: doc.type, id: doc.id, rev: first.rev, deleted: 1, last_updated: first.lastUpdated, seq: 0, content: first.content })
            .returning('rk')
            .executeTakeFirstOrThrow();
          rk = Number(inserted.rk);
        }
        for (const r of fresh) {
          if (r.parentRev && !known.has(r.parentRev)) {
            throw badRequest(`${doc.type}/${doc.id} revision ${r.rev}: its parent ${r.parentRev} is neither stored nor in the batch (ancestry incomplete)`);
          }
          await insertTreeRevision(tx, rk, doc.type, doc.id, r);
          known.add(r.rev);
          stored++;
        }
        const winner = await settleWinner(tx, this.store.dialect, rk, doc.type, doc.id, cur?.rev);
        const before = cur && cur.deleted === 0 ? cur.rev : undefined;
        const effect: ApplyEffect =
          winner.rev === cur?.rev ? 'unchanged' : winner.deleted ? (before ? 'deleted' : 'unchanged') : before ? 'updated' : 'created';
        effects.push({ type: doc.type, id: doc.id, effect });
      }
      if (stored) await markReceived(tx, seqBefore, docs); // continuity: not this node's own writes
      return { stored, effects };
    });
  }

  /**
   * Splits a batch into documents this node has never seen whose revisions are one
   * linear chain from the root (an initial clone: written in multi-row statements) and
   * the rest (merged into existing trees one by one).
   */
  private async splitNew(db: TreeDb, docs: readonly SyncDoc[]): Promise<{ fresh: SyncDoc[]; rest: SyncDoc[] }> {
    const existing = new Set<string>();
    for (const [type, list] of groupByType(docs)) {
      for (const part of chunk(list, IN_CHUNK)) {
        const rows = await db.selectFrom('resources').select('id').where('type', '=', type).where('id', 'in', part.map((d) => d.id)).execute();
        for (const r of rows) existing.add(`${type}/${r.id}`);
      }
    }
    const fresh: SyncDoc[] = [];
    const rest: SyncDoc[] = [];
    for (const doc of docs) {
      const chain = doc.revisions.length > 0 && doc.revisions.every((r, i) => (i === 0 ? r.parentRev === null : r.parentRev === doc.revisions[i - 1]?.rev));
      (chain && !existing.has(`${doc.type}/${doc.id}`) ? fresh : rest).push(doc);
    }
    return { fresh, rest };
  }

  /** Writes never-seen linear documents in multi-row statements; returns the revisions stored. */
  private async insertNew(db: TreeDb, docs: readonly SyncDoc[]): Promise<number> {
    if (docs.length === 0) return 0;
    const revs = docs.flatMap((d) => d.revisions.map((r, i) => ({ doc: d, r, last: i === d.revisions.length - 1 })));
    const statements = writeStatementsFor(this.store.dialect);
    const seqOf = new Map<string, number>();
    const changes = await statements.insertChanges(db, revs.map((x) => ({ type: x.doc.type, id: x.doc.id, rev: x.r.rev, deleted: x.r.deleted ? 1 : 0 })));
    for (const row of changes) seqOf.set(`${row.type}/${row.id}/${row.rev}`, row.seq);
    const seq = (d: SyncDoc, r: SyncRevision): number => seqOf.get(`${d.type}/${d.id}/${r.rev}`) ?? 0;
    const inserted = await statements.insertResources(
      db,
      docs.map((d) => {
        const w = d.revisions[d.revisions.length - 1] as SyncRevision;
        return { type: d.type, id: d.id, rev: w.rev, deleted: w.deleted ? 1 : 0, last_updated: w.lastUpdated, seq: seq(d, w), content: w.content };
      }),
    );
    const byKey = new Map(inserted.map((r) => [`${r.type}/${r.id}`, r.rk]));
    const rkOf = new Map<SyncDoc, number>(docs.map((d) => [d, byKey.get(`${d.type}/${d.id}`) ?? 0]));
    await statements.insertRevisions(
      db,
      revs.map((x) => ({
        rk: rkOf.get(x.doc) ?? 0,
        rev: x.r.rev,
        parent_rev: x.r.parentRev,
        generation: generationOf(x.r.rev),
        deleted: x.r.deleted ? 1 : 0,
        leaf: x.last ? 1 : 0,
        last_updated: x.r.lastUpdated,
        seq: seq(x.doc, x.r),
        content: x.r.content,
      })),
    );
    const live = docs.filter((d) => !d.revisions[d.revisions.length - 1]?.deleted);
    await statements.insertIndexRows(
      db,
      live.map((d) => ({ rk: rkOf.get(d) ?? 0, type: d.type, rows: extractIndexRows(JSON.parse((d.revisions[d.revisions.length - 1] as SyncRevision).content) as Resource) })),
    );
    return revs.length;
  }

  /** The resources (`type/id`) of `docs` that are live on this node, so that applying would rewrite or delete them. */
  async destructiveKeys(docs: readonly SyncDoc[]): Promise<string[]> {
    const keys: string[] = [];
    for (const [type, list] of groupByType(docs)) {
      for (const part of chunk(list, IN_CHUNK)) {
        const rows = await this.db
          .selectFrom('resources')
          .select('id')
          .where('type', '=', type)
          .where('id', 'in', part.map((d) => d.id))
          .where('deleted', '=', 0)
          .execute();
        for (const r of rows) keys.push(`${type}/${r.id}`);
      }
    }
    return keys;
  }

  /** Live (non-deleted) resources on this node. */
  async liveResourceCount(): Promise<number> {
    const row = await this.db.selectFrom('resources').select((eb) => eb.fn.countAll<number>().as('n')).where('deleted', '=', 0).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** Every revision of a resource (rev, parent, deleted, leaf), oldest generation first. */
  async revisionTree(type: string, id: string): Promise<{ rev: RevisionId; parentRev: RevisionId | null; deleted: boolean; leaf: boolean }[]> {
    const rows = await this.db
      .selectFrom('revisions as v')
      .innerJoin('resources as r', 'r.rk', 'v.rk')
      .select(['v.rev', 'v.parent_rev', 'v.deleted', 'v.leaf'])
      .where('r.type', '=', type)
      .where('r.id', '=', id)
      .orderBy('v.generation')
      .orderBy('v.rev')
      .execute();
    return rows.map((r) => ({ rev: r.rev as RevisionId, parentRev: r.parent_rev as RevisionId | null, deleted: r.deleted === 1, leaf: r.leaf === 1 }));
  }

  /** The reconciliation inbox: resources with more than one live leaf, oldest first by type and id. */
  async listConflicts(opts: { limit?: number; type?: string } = {}): Promise<ConflictEntry[]> {
    let q = this.db.selectFrom('resources').select(['rk', 'type', 'id', 'rev']).where('conflicts', '>', 0);
    if (opts.type) q = q.where('type', '=', opts.type);
    const rows = await q.orderBy('type').orderBy('id').limit(opts.limit ?? 100).execute();
    const out: ConflictEntry[] = [];
    for (const row of rows) {
      const leaves = (await leavesOf(this.db, row.rk)).filter((l) => !l.deleted);
      out.push({
        type: row.type,
        id: row.id,
        winner: row.rev as RevisionId,
        leaves: leaves.map((l) => ({ rev: l.rev, lastUpdated: l.lastUpdated, resource: JSON.parse(l.content) as Resource })),
      });
    }
    return out;
  }

  /** Number of resources in conflict. */
  async conflictCount(): Promise<number> {
    const row = await this.db.selectFrom('resources').select((eb) => eb.fn.countAll<number>().as('n')).where('conflicts', '>', 0).executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /**
   * Resolves a conflict: writes the chosen leaf's content (`rev`) or merged content
   * (`resource`) as a new revision on the winning branch and closes every other live
   * leaf with a deletion revision. 409 when the resource is not in conflict.
   */
  async resolve(type: string, id: string, choice: { rev?: string; resource?: unknown }): Promise<StoredVersion> {
    if ((choice.rev === undefined) === (choice.resource === undefined)) throw badRequest('Give exactly one of rev (a leaf to keep) or resource (merged content)');
    if (choice.rev !== undefined && !isRevisionId(choice.rev)) throw badRequest(`"${choice.rev}" is not a revision id`, 'rev');
    const merged = choice.resource === undefined ? undefined : validateForWrite(choice.resource);
    if (merged && (merged.resourceType !== type || (merged.id !== undefined && merged.id !== id))) {
      throw badRequest(`The merged resource must be ${type}/${id}`, 'resource');
    }
    return this.store.writes.run(async (tx) => {
      const cur = await tx.selectFrom('resources').select(['rk', 'rev', 'conflicts']).where('type', '=', type).where('id', '=', id).executeTakeFirst();
      if (!cur) throw notFound(`${type}/${id} not found`);
      if (cur.conflicts === 0) throw conflict(`${type}/${id} is not in conflict`);
      const live = (await leavesOf(tx, cur.rk)).filter((l) => !l.deleted);
      let content: Resource;
      if (merged) content = { ...merged, id };
      else {
        const leaf = live.find((l) => l.rev === choice.rev);
        if (!leaf) throw badRequest(`${choice.rev ?? ''} is not a live leaf of ${type}/${id}`, 'rev');
        content = JSON.parse(leaf.content) as Resource;
      }
      const repo = new FhirRepository(this.store.dialect, tx, this.options, true, this.store.writes);
      const { version } = await repo.update(content);
      for (const leaf of live) {
        if (leaf.rev === cur.rev) continue;
        await insertTreeRevision(tx, cur.rk, type, id, closingRevision(type, id, { rev: leaf.rev, lastUpdated: this.clock.now() }));
      }
      const settled = await settleWinner(tx, this.store.dialect, cur.rk, type, id, version.rev);
      if (settled.rev !== version.rev) throw outcomeError('serverError', `Resolving ${type}/${id} did not make the resolution the winner`);
      return version;
    });
  }

  /** A replication checkpoint (0 when none). */
  async getCheckpoint(replication: string): Promise<number> {
    const row = await syncDb(this.store.dialect.db).selectFrom('sync_checkpoints').select('seq').where('replication', '=', replication).executeTakeFirst();
    return Number(row?.seq ?? 0);
  }

  /** Records a replication checkpoint. */
  async setCheckpoint(replication: string, seq: number): Promise<void> {
    const now = this.clock.now();
    await this.store.writes.run(async (tx) => {
      await syncDb(tx)
        .insertInto('sync_checkpoints')
        .values({ replication, seq, updated_at: now })
        .onConflict((oc) => oc.column('replication').doUpdateSet({ seq, updated_at: now }))
        .execute();
    });
  }
}
