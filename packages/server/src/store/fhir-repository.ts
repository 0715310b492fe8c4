/**
 * The chart store: versioned FHIR resources, their revision trees, the change log and the
 * search indexes, on any {@link StoreDialect}. Every write validates the resource against
 * the R4 StructureDefinitions and runs in one transaction.
 * See https://hl7.org/fhir/R4/http.html
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Kysely, Transaction } from 'kysely';
import type { Resource } from '@medplum/fhirtypes';
import {
  OutcomeError,
  badRequest,
  computeRevision,
  extractIndexRows,
  generationOf,
  gone,
  isSupportedResourceType,
  notFound,
  preconditionFailed,
  searchParamsFor,
} from '@chartroom/core';
import type { IncludeSpec, IndexRows, RevisionId, SearchRequest } from '@chartroom/core';
import type { StoreDialect } from './dialect.js';
import type { ChartDatabase } from './schema.js';
import { searchOrderBy, searchWhere } from './search-sql.js';
import { writeStatementsFor } from './write-statements.js';
import type { CurrentRow, WriteStatements } from './write-statements.js';
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import { openTransactionRunner } from './transaction-runner.js';
import { settleWinner } from './revision-tree.js';
import type { TransactionRunner } from './transaction-runner.js';
import { validateForWrite } from './validate-resource.js';
import { VALIDATION_CHUNK, sharedValidationPool, verdictError } from './validation-pool.js';

export { validateForWrite } from './validate-resource.js';

/** One stored version of a resource, with its JSON exactly as served. */
export interface StoredVersion {
  type: string;
  id: string;
  rev: RevisionId;
  deleted: boolean;
  lastUpdated: number;
  json: string;
  /** Live leaves of the revision tree when the resource is in conflict (replication); absent otherwise. */
  conflicts?: number;
}

/** The result of a search: matches in order, included resources, and the total when asked. */
export interface SearchResult {
  matches: StoredVersion[];
  included: StoredVersion[];
  total: number | undefined;
  hasMore: boolean;
}

export type { Clock } from './clock.js';

export interface RepositoryOptions {
  clock?: Clock;
  newId?: () => string;
}

/** A resource of an import batch, validated and indexed, before it meets the database. */
interface PreparedImport {
  type: string;
  id: string;
  /** The id came with the resource (it may exist already); false for a new id. */
  idGiven: boolean;
  /** The resource with its id; `meta` as given (the store sets versionId and lastUpdated). */
  body: Resource;
  /** Its revision id as a first revision (recomputed when the resource exists already). */
  firstRev: RevisionId;
  rows: IndexRows;
}

/**
 * Validates and indexes `inputs` (with the ids `ids`) before a transaction is opened; an
 * invalid one fails the batch with its index (`[i]`) in front of each issue.
 */
function prepareImports(inputs: readonly unknown[], ids: readonly string[]): PreparedImport[] {
  return inputs.map((input, i) => {
    let resource: Resource;
    try {
      resource = validateForWrite(input);
    } catch (err) {
      throw prefixIssues(err, `[${i}]`);
    }
    return prepareValid(resource, ids[i] as string);
  });
}

/** Indexes a valid resource of an import batch and computes its first revision. */
function prepareValid(resource: Resource, id: string): PreparedImport {
  // Validation checked the id's format; here only whether one was given.
  const body = { ...resource, id } as Resource;
  return { type: resource.resourceType, id, idGiven: resource.id !== undefined, body, firstRev: computeRevision(undefined, body, false), rows: extractIndexRows(body) };
}

/**
 * Batches at least this large are validated on the validation pool's threads, in chunks,
 * while the main thread writes the chunks already validated. Smaller
 * ones are validated in place: a thread's start (loading the definitions) costs more.
 */
const POOLED_MIN = 1000;

/** Ids for an import batch: each resource's own, or a new one. */
function importIds(inputs: readonly unknown[], newId: () => string): string[] {
  return inputs.map((input) => {
    const id = typeof input === 'object' && input !== null ? (input as { id?: unknown }).id : undefined;
    return typeof id === 'string' ? id : newId();
  });
}

type Db = Kysely<ChartDatabase> | Transaction<ChartDatabase>;

/** Splits a list into parts of at most `size` items. */
function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Prefixes the expressions of an OutcomeError's issues (e.g. with the index in a batch). */
function prefixIssues(err: unknown, prefix: string): unknown {
  if (!(err instanceof OutcomeError)) return err;
  return new OutcomeError(err.kind, {
    resourceType: 'OperationOutcome',
    issue: err.outcome.issue.map((i) => ({
      ...i,
      diagnostics: `${prefix} ${i.diagnostics ?? i.details?.text ?? ''}`,
      expression: i.expression?.map((x) => `${prefix}.${x}`),
    })),
  });
}

function toVersion(row: { type: string; id: string; rev: string; deleted: number; last_updated: number; content: string; conflicts?: number }): StoredVersion {
  const v: StoredVersion = {
    type: row.type,
    id: row.id,
    rev: row.rev as RevisionId,
    deleted: row.deleted === 1,
    lastUpdated: row.last_updated,
    json: row.content,
  };
  if (row.conflicts) v.conflicts = Number(row.conflicts);
  return v;
}

/** The versioned FHIR store over one database connection or transaction. */
export class FhirRepository {
  private readonly clock: Clock;
  private readonly newId: () => string;

  /** Where write transactions go: group commit on SQLite, pooled transactions on PostgreSQL. */
  private readonly writes: TransactionRunner;

  constructor(
    readonly dialect: StoreDialect,
    private readonly db: Db = dialect.db,
    options: RepositoryOptions = {},
    private readonly inTransaction = false,
    writes?: TransactionRunner,
  ) {
    this.clock = options.clock ?? systemClock;
    this.newId = options.newId ?? randomUUID;
    this.options = options;
    this.writes = writes ?? openTransactionRunner(dialect, { clock: this.clock });
  }

  private readonly options: RepositoryOptions;

  /**
   * Runs `fn` in one transaction with a repository bound to it; nested calls join the outer
   * one. On SQLite the transaction is a savepoint inside a group commit (write-queue.ts):
   * the promise settles only after the group's COMMIT, and a failure undoes `fn` alone.
   */
  async withTransaction<T>(fn: (repo: FhirRepository) => Promise<T>): Promise<T> {
    if (this.inTransaction) return fn(this);
    return this.writes.run((tx) => fn(new FhirRepository(this.dialect, tx, this.options, true, this.writes)));
  }

  /** The current version of a resource; 404 when unknown, 410 when deleted. */
  async read(type: string, id: string): Promise<StoredVersion> {
    const row = await this.statements.readCurrent(this.db, type, id);
    if (!row) throw notFound(`${type}/${id} not found`);
    if (row.deleted) throw gone(`${type}/${id} was deleted`);
    return toVersion(row);
  }

  /** The current version or undefined, deleted versions included. */
  async readCurrent(type: string, id: string): Promise<StoredVersion | undefined> {
    const row = await this.statements.readCurrent(this.db, type, id);
    return row ? toVersion(row) : undefined;
  }

  /** One version by its revision id (https://hl7.org/fhir/R4/http.html#vread). */
  async vread(type: string, id: string, rev: string): Promise<StoredVersion> {
    const row = await this.db
      .selectFrom('revisions as v')
      .innerJoin('resources as r', 'r.rk', 'v.rk')
      .select(['r.type', 'r.id', 'v.rev', 'v.deleted', 'v.last_updated', 'v.content'])
      .where('r.type', '=', type)
      .where('r.id', '=', id)
      .where('v.rev', '=', rev)
      .executeTakeFirst();
    if (!row) throw notFound(`${type}/${id}/_history/${rev} not found`);
    if (row.deleted) throw gone(`${type}/${id}/_history/${rev} is a deletion`);
    return toVersion(row);
  }

  /** The write statements of this dialect, compiled once. */
  private get statements(): WriteStatements {
    return writeStatementsFor(this.dialect);
  }

  private current(type: string, id: string): Promise<CurrentRow | undefined> {
    return this.statements.selectCurrent(this.db, type, id);
  }

  /** Creates a resource with a server-assigned id (or `id` when given by a trusted caller). */
  async create(input: unknown, opts: { id?: string } = {}): Promise<StoredVersion> {
    const resource = validateForWrite(input);
    const id = opts.id ?? this.newId();
    return this.withTransaction(async (repo) => {
      const existing = await repo.current(resource.resourceType, id);
      if (existing) throw badRequest(`${resource.resourceType}/${id} already exists`);
      return repo.writeRevision(undefined, resource.resourceType, id, resource);
    });
  }

  /**
   * Updates (or creates, with the client's id) a resource. `ifMatch` is a version id or
   * ETag; a mismatch is a 412. Returns whether it was created.
   */
  async update(input: unknown, opts: { ifMatch?: string } = {}): Promise<{ version: StoredVersion; created: boolean }> {
    const resource = validateForWrite(input);
    if (!resource.id) throw badRequest('Resource id is required for an update', `${resource.resourceType}.id`);
    const id = resource.id;
    return this.withTransaction(async (repo) => {
      const existing = await repo.current(resource.resourceType, id);
      if (opts.ifMatch !== undefined) {
        const wanted = opts.ifMatch.replace(/^W\//, '').replace(/^"|"$/g, '');
        if (!existing || existing.rev !== wanted) {
          throw preconditionFailed(
            `If-Match ${opts.ifMatch} does not match the current version ${existing ? existing.rev : '(none)'} of ${resource.resourceType}/${id}`,
          );
        }
      }
      const version = await repo.writeRevision(existing, resource.resourceType, id, resource);
      return { version, created: !existing || existing.deleted === 1 };
    });
  }

  /** Deletes a resource by writing a tombstone revision; false when it was already deleted. */
  async delete(type: string, id: string): Promise<boolean> {
    if (!isSupportedResourceType(type)) throw badRequest(`Unknown resource type "${type}"`);
    return this.withTransaction(async (repo) => {
      const existing = await repo.current(type, id);
      if (!existing) throw notFound(`${type}/${id} not found`);
      if (existing.deleted) return false;
      const tombstone = await repo.writeRevision(existing, type, id, undefined);
      // Another live leaf (a replication conflict) becomes the winner once this one is deleted;
      // with none left, the highest deleted leaf wins, which need not be this tombstone (a
      // longer deleted branch outranks it) — settled as every node receiving it settles it.
      await settleWinner(repo.db, repo.dialect, existing.rk, type, id, tombstone.rev);
      return true;
    });
  }

  /** Writes one new revision as a child of the current one; `resource` undefined writes a tombstone. */
  private async writeRevision(current: CurrentRow | undefined, type: string, id: string, resource: Resource | undefined): Promise<StoredVersion> {
    const now = this.clock.now();
    const deleted = resource === undefined;
    const parent = current?.rev as RevisionId | undefined;
    const body: Resource = deleted ? ({ resourceType: type, id } as Resource) : ({ ...resource, id } as Resource);
    const rev = computeRevision(parent, body, deleted);
    body.meta = { ...body.meta, versionId: rev, lastUpdated: new Date(now).toISOString() };
    const json = JSON.stringify(body);
    const rows = deleted ? undefined : extractIndexRows(body);
    await this.statements.writeRevision(
      this.db,
      current,
      { type, id, rev, parentRev: parent ?? null, generation: generationOf(rev), deleted: deleted ? 1 : 0, lastUpdated: now, content: json },
      rows,
    );
    return { type, id, rev, deleted, lastUpdated: now, json };
  }

  /**
   * Writes many resources at once, all-or-nothing, for imports and the demo: each is
   * validated (a failure names its index), a resource with an id becomes a new revision
   * of that id (created when unknown), one without gets a new id. Rows go to the database
   * in multi-row statements, so a batch of a thousand costs a few dozen statements.
   */
  async importMany(inputs: readonly unknown[]): Promise<StoredVersion[]> {
    const ids = importIds(inputs, this.newId);
    const pool = inputs.length >= POOLED_MIN ? sharedValidationPool() : undefined;
    if (!pool) {
      const prepared = prepareImports(inputs, ids);
      return this.withTransaction((repo) => repo.importPrepared(prepared));
    }
    // The writer takes chunks from the front, validating in place any no thread has taken,
    // and writes each as soon as its verdicts are in; the threads take chunks from the back.
    // The first invalid resource fails the whole transaction, as in the path above.
    const batch = pool.submit(inputs, VALIDATION_CHUNK);
    try {
      return await this.withTransaction(async (repo) => {
        const out: StoredVersion[] = [];
        await batch.each(async (verdicts, start) => {
          const prepared = verdicts.map((v, j) => {
            const i = start + j;
            if (v !== null) throw prefixIssues(verdictError(v), `[${i}]`);
            return prepareValid(inputs[i] as Resource, ids[i] as string);
          });
          for (const version of await repo.importPrepared(prepared)) out.push(version);
        });
        return out;
      });
    } finally {
      batch.finish(); // when the transaction never ran
    }
  }

  private async importPrepared(prepared: readonly PreparedImport[]): Promise<StoredVersion[]> {
    const db = this.db;
    // A resource named twice in one batch: write the batch in two halves so each write sees the one before.
    const seenKeys = new Set<string>();
    for (let i = 0; i < prepared.length; i++) {
      const k = prepared[i] as PreparedImport;
      const key = `${k.type}/${k.id}`;
      if (seenKeys.has(key)) {
        const first = await this.importPrepared(prepared.slice(0, i));
        const rest = await this.importPrepared(prepared.slice(i));
        return [...first, ...rest];
      }
      seenKeys.add(key);
    }
    const keyed = prepared;
    // Current rows of the ids that may exist already.
    const current = new Map<string, CurrentRow>();
    const byType = new Map<string, string[]>();
    for (const k of keyed) {
      if (!k.idGiven) continue;
      const list = byType.get(k.type) ?? [];
      list.push(k.id);
      byType.set(k.type, list);
    }
    for (const [type, ids] of byType) {
      for (const part of chunk(ids, 500)) {
        const rows = await db.selectFrom('resources').select(['rk', 'rev', 'deleted', 'id']).where('type', '=', type).where('id', 'in', part).execute();
        for (const row of rows) current.set(`${type}/${row.id}`, row);
      }
    }
    const now = this.clock.now();
    const lastUpdated = new Date(now).toISOString();
    const writes = keyed.map((k) => {
      const cur = current.get(`${k.type}/${k.id}`);
      const parent = cur?.rev as RevisionId | undefined;
      const rev = parent ? computeRevision(parent, k.body, false) : k.firstRev;
      const body = { ...k.body, meta: { ...k.body.meta, versionId: rev, lastUpdated } } as Resource;
      return { type: k.type, id: k.id, cur, parent, rev, json: JSON.stringify(body), rows: k.rows, rk: cur?.rk ?? 0 };
    });
    // Change log first: each write gets its sequence number.
    const seqOf = new Map<string, number>();
    for (const r of await this.statements.insertChanges(db, writes.map((w) => ({ type: w.type, id: w.id, rev: w.rev, deleted: 0 })))) {
      seqOf.set(`${r.type}/${r.id}`, r.seq);
    }
    const seqFor = (w: { type: string; id: string }): number => seqOf.get(`${w.type}/${w.id}`) ?? 0;
    // Resources rows: insert the new ones (getting their keys), update the existing ones.
    const fresh = writes.filter((w) => !w.cur);
    const inserted = await this.statements.insertResources(
      db,
      fresh.map((w) => ({ type: w.type, id: w.id, rev: w.rev, deleted: 0, last_updated: now, seq: seqFor(w), content: w.json })),
    );
    const rkOf = new Map(inserted.map((r) => [`${r.type}/${r.id}`, r.rk]));
    for (const w of fresh) w.rk = rkOf.get(`${w.type}/${w.id}`) ?? 0;
    for (const w of writes) {
      if (!w.cur) continue;
      const values = { type: w.type, id: w.id, rev: w.rev, parentRev: w.parent ?? null, generation: generationOf(w.rev), deleted: 0, lastUpdated: now, content: w.json };
      await this.statements.replaceCurrent(db, w.rk, values, seqFor(w));
    }
    await this.statements.insertRevisions(
      db,
      writes.map((w) => ({
        rk: w.rk,
        rev: w.rev,
        parent_rev: w.parent ?? null,
        generation: generationOf(w.rev),
        deleted: 0,
        leaf: 1,
        last_updated: now,
        seq: seqFor(w),
        content: w.json,
      })),
    );
    await this.statements.insertIndexRows(db, writes.map((w) => ({ rk: w.rk, type: w.type, rows: w.rows })));
    return writes.map((w) => ({ type: w.type, id: w.id, rev: w.rev, deleted: false, lastUpdated: now, json: w.json }));
  }

  /**
   * History of one resource, a type, or the whole store, newest first
   * (https://hl7.org/fhir/R4/http.html#history).
   */
  async history(opts: { type?: string; id?: string; since?: number; count: number; offset: number }): Promise<{ versions: StoredVersion[]; hasMore: boolean }> {
    let q = this.db
      .selectFrom('revisions as v')
      .innerJoin('resources as r', 'r.rk', 'v.rk')
      .select(['r.type', 'r.id', 'v.rev', 'v.deleted', 'v.last_updated', 'v.content']);
    if (opts.type) q = q.where('r.type', '=', opts.type);
    if (opts.id) q = q.where('r.id', '=', opts.id);
    if (opts.since !== undefined) q = q.where('v.last_updated', '>=', opts.since);
    const rows = await q.orderBy('v.seq', 'desc').limit(opts.count + 1).offset(opts.offset).execute();
    if (opts.id && rows.length === 0 && opts.offset === 0) {
      const exists = await this.readCurrent(opts.type ?? '', opts.id);
      if (!exists) throw notFound(`${opts.type ?? ''}/${opts.id} not found`);
    }
    return { versions: rows.slice(0, opts.count).map(toVersion), hasMore: rows.length > opts.count };
  }

  /** Runs a parsed search (https://hl7.org/fhir/R4/search.html). */
  async search(req: SearchRequest): Promise<SearchResult> {
    const now = this.clock.now();
    const where = searchWhere(req, now);
    let total: number | undefined;
    if (req.summaryCount || req.total !== 'none') {
      const c = await sql<{ n: number | string }>`SELECT count(*) AS n FROM resources r WHERE ${where}`.execute(this.db);
      total = Number(c.rows[0]?.n ?? 0);
    }
    if (req.summaryCount || req.count === 0) return { matches: [], included: [], total, hasMore: false };
    const rows = await sql<{ rk: number; type: string; id: string; rev: string; deleted: number; last_updated: number; content: string }>`
      SELECT r.rk, r.type, r.id, r.rev, r.deleted, r.last_updated, r.content FROM resources r
      WHERE ${where} ORDER BY ${searchOrderBy(req)} LIMIT ${req.count + 1} OFFSET ${req.offset}`.execute(this.db);
    const page = rows.rows.slice(0, req.count);
    const matches = page.map(toVersion);
    const included = await this.includes(req, page.map((r) => ({ rk: r.rk, type: r.type, id: r.id })));
    return { matches, included, total, hasMore: rows.rows.length > req.count };
  }

  private async includes(req: SearchRequest, page: { rk: number; type: string; id: string }[]): Promise<StoredVersion[]> {
    if (page.length === 0 || (req.include.length === 0 && req.revinclude.length === 0)) return [];
    const seen = new Set(page.map((p) => `${p.type}/${p.id}`));
    const out: StoredVersion[] = [];
    const add = (rows: StoredVersion[]): { rk: number; type: string; id: string }[] => {
      const added: { rk: number; type: string; id: string }[] = [];
      for (const r of rows as (StoredVersion & { rk: number })[]) {
        const key = `${r.type}/${r.id}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(r);
        added.push({ rk: r.rk, type: r.type, id: r.id });
      }
      return added;
    };
    let frontier = page;
    for (let depth = 0; depth < 4 && frontier.length; depth++) {
      const next: { rk: number; type: string; id: string }[] = [];
      for (const inc of req.include) {
        if (depth > 0 && !inc.iterate) continue;
        const sources = frontier.filter((p) => p.type === inc.sourceType);
        if (sources.length) next.push(...add(await this.forwardIncludes(inc, sources.map((s) => s.rk))));
      }
      for (const inc of req.revinclude) {
        if (depth > 0 && !inc.iterate) continue;
        next.push(...add(await this.reverseIncludes(inc, frontier)));
      }
      frontier = next;
    }
    return out;
  }

  private async forwardIncludes(inc: IncludeSpec, rks: number[]): Promise<StoredVersion[]> {
    let q = this.db
      .selectFrom('sp_reference as s')
      .innerJoin('resources as r', (j) => j.onRef('r.type', '=', 's.target_type').onRef('r.id', '=', 's.target_id'))
      .select(['r.rk', 'r.type', 'r.id', 'r.rev', 'r.deleted', 'r.last_updated', 'r.content'])
      .where('s.rk', 'in', rks)
      .where('r.deleted', '=', 0);
    if (inc.code !== '*') q = q.where('s.code', '=', inc.code);
    if (inc.targetType) q = q.where('s.target_type', '=', inc.targetType);
    const rows = await q.execute();
    return rows.map((r) => ({ ...toVersion(r), rk: r.rk }));
  }

  private async reverseIncludes(inc: IncludeSpec, targets: { type: string; id: string }[]): Promise<StoredVersion[]> {
    const ids = targets.filter((t) => !inc.targetType || t.type === inc.targetType);
    if (!ids.length) return [];
    let q = this.db
      .selectFrom('sp_reference as s')
      .innerJoin('resources as r', 'r.rk', 's.rk')
      .select(['r.rk', 'r.type', 'r.id', 'r.rev', 'r.deleted', 'r.last_updated', 'r.content'])
      .where('s.type', '=', inc.sourceType)
      .where('s.target_id', 'in', [...new Set(ids.map((t) => t.id))])
      .where('s.target_type', 'in', [...new Set(ids.map((t) => t.type))])
      .where('r.deleted', '=', 0);
    if (inc.code !== '*') q = q.where('s.code', '=', inc.code);
    const rows = await q.select(['s.target_type', 's.target_id']).execute();
    // The IN lists pair every id with every type; keep only the (type, id) pairs asked for.
    const wanted = new Set(ids.map((t) => `${t.type}/${t.id}`));
    return rows.filter((r) => wanted.has(`${r.target_type ?? ''}/${r.target_id ?? ''}`)).map((r) => ({ ...toVersion(r), rk: r.rk }));
  }

  /**
   * Every current resource in a patient's compartment: the patient and each resource whose
   * reference parameters point at it (https://hl7.org/fhir/R4/patient-operation-everything.html).
   */
  async patientEverything(id: string, opts: { since?: number; count?: number } = {}): Promise<StoredVersion[]> {
    const patient = await this.read('Patient', id);
    let q = this.db
      .selectFrom('resources as r')
      .select(['r.type', 'r.id', 'r.rev', 'r.deleted', 'r.last_updated', 'r.content'])
      .where('r.rk', 'in', (eb) =>
        eb.selectFrom('sp_reference as s').select('s.rk').where('s.target_id', '=', id).where('s.target_type', '=', 'Patient'),
      )
      .where('r.deleted', '=', 0);
    if (opts.since !== undefined) q = q.where('r.last_updated', '>=', opts.since);
    const rows = await q.orderBy('r.rk').limit(opts.count ?? 100_000).execute();
    return [patient, ...rows.map(toVersion).filter((v) => !(v.type === 'Patient' && v.id === id))];
  }

  /** The highest change sequence, for the change feed. */
  async lastSeq(): Promise<number> {
    const row = await this.db.selectFrom('changes').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirst();
    return Number(row?.seq ?? 0);
  }

  /** Counts current (non-deleted) resources by type. */
  async countByType(): Promise<Record<string, number>> {
    const rows = await this.db
      .selectFrom('resources')
      .select(['type', (eb) => eb.fn.countAll<number>().as('n')])
      .where('deleted', '=', 0)
      .groupBy('type')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.type, Number(r.n)]));
  }

  /** True when a reference parameter `code` exists on `type` (for reference checks). */
  static hasSearchParam(type: string, code: string): boolean {
    return searchParamsFor(type).has(code);
  }
}
