/**
 * The statements of the write path, compiled once per dialect and then run with new
 * parameters. Building and compiling a Kysely query costs more than running one of these
 * small statements on SQLite (measured: ~30 µs built per call, ~10 µs precompiled), and a
 * write runs ten to twenty of them. The SQL still comes from Kysely's query builder, so
 * each dialect gets its own placeholders and quoting; capability flags (FOR UPDATE) are read
 * when compiling, never in query code.
 */
import { CompiledQuery } from 'kysely';
import type { Kysely } from 'kysely';
import type { IndexRows } from '@chartroom/core';
import type { StoreDialect } from './dialect.js';
import { INDEX_TABLES } from './schema.js';
import type { ChangesTable, ChartDatabase, ResourcesTable, RevisionsTable } from './schema.js';

/** Anything that runs a compiled query: the database, a transaction, a savepoint. */
export interface QueryRunner {
  executeQuery<R>(query: CompiledQuery<R>): Promise<{ rows: R[] }>;
}

/** The current row of a resource, as a write needs it. */
export interface CurrentRow {
  rk: number;
  rev: string;
  deleted: number;
  /** Live leaves when in conflict, else 0 (absent where a caller did not select it). */
  conflicts?: number;
}

/** The current row of a resource, as a read serves it. */
export interface CurrentContentRow {
  type: string;
  id: string;
  rev: string;
  deleted: number;
  last_updated: number;
  content: string;
  conflicts: number;
}

/** One new revision's values. */
export interface RevisionValues {
  type: string;
  id: string;
  rev: string;
  parentRev: string | null;
  generation: number;
  deleted: number;
  lastUpdated: number;
  content: string;
}

type IndexKind = keyof typeof INDEX_TABLES;
type IndexTable = (typeof INDEX_TABLES)[IndexKind];

/**
 * Which column of each index table holds which field of an `extractIndexRows` row. Typed
 * both ways: a field added to a row type, or a column name that is not in the table, fails
 * to compile here.
 */
type ColumnMap<K extends IndexKind> = { readonly [F in keyof IndexRows[K][number]]-?: Exclude<keyof ChartDatabase[(typeof INDEX_TABLES)[K]], 'rk' | 'type'> };
const INDEX_COLUMNS: { readonly [K in IndexKind]: ColumnMap<K> } = {
  string: { code: 'code', value: 'value', exact: 'exact' },
  token: { code: 'code', system: 'system', value: 'value' },
  date: { code: 'code', low: 'low', high: 'high' },
  reference: { code: 'code', targetType: 'target_type', targetId: 'target_id', ref: 'ref' },
  number: { code: 'code', value: 'value' },
  quantity: { code: 'code', value: 'value', system: 'system', unit: 'unit' },
  uri: { code: 'code', value: 'value' },
};

const INDEX_KINDS = Object.keys(INDEX_TABLES) as IndexKind[];

/** A change log row of a bulk write (its sequence number is assigned). */
export type ChangeRow = Omit<ChangesTable, 'seq'>;
/** A resources row of a bulk write (its key is assigned; a new resource is not in conflict). */
export type ResourceRow = Omit<ResourcesTable, 'rk' | 'conflicts'>;
/** A revisions row of a bulk write. */
export type RevisionRow = RevisionsTable;

/** Columns written and read back by the bulk inserts of imports and replicated batches. */
const BULK = {
  changes: { columns: ['type', 'id', 'rev', 'deleted'], returning: ['seq', 'type', 'id', 'rev'] },
  resources: { columns: ['type', 'id', 'rev', 'deleted', 'last_updated', 'seq', 'content'], returning: ['rk', 'type', 'id'] },
  revisions: { columns: ['rk', 'rev', 'parent_rev', 'generation', 'deleted', 'leaf', 'last_updated', 'seq', 'content'], returning: [] },
} as const satisfies Record<string, { columns: readonly string[]; returning: readonly string[] }>;
type BulkTable = keyof typeof BULK;

/** Rows per bulk statement: each row count up to this is compiled once (a batch's tail too). */
const BULK_ROWS = 100;

/**
 * Multi-row index inserts of up to this many rows (one write's worth) are compiled once per
 * row count; a bulk import's full chunks share one more shape per table, and its last,
 * odd-sized chunk runs as statements of these sizes.
 */
const CACHED_ROW_COUNTS = 64;

/** Compiles a statement with sentinel parameters and checks they come out in the expected order. */
function template(query: { compile(): CompiledQuery }, sentinels: readonly unknown[]): string {
  const compiled = query.compile();
  if (compiled.parameters.length !== sentinels.length || compiled.parameters.some((p, i) => p !== sentinels[i])) {
    throw new Error(`Write statement compiled with unexpected parameters: ${compiled.sql}`);
  }
  return compiled.sql;
}

/** Sentinel parameters p0, p1, … (distinct strings, so their order can be checked). */
function sentinels(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `\u0000p${i}`);
}

/** The write path's statements for one dialect. */
export class WriteStatements {
  private readonly selectCurrentSql: string;
  private readonly readCurrentSql: string;
  private readonly insertChangeSql: string;
  private readonly insertResourceSql: string;
  private readonly updateResourceSql: string;
  private readonly clearLeafSql: string;
  private readonly insertRevisionSql: string;
  private readonly deleteIndexSql: ReadonlyMap<IndexTable, string>;
  /** Multi-row index inserts by `table:rows`, compiled on first use. */
  private readonly insertIndexSql = new Map<string, string>();
  /** Bulk inserts of changes, resources and revisions by `table:rows`, compiled on first use. */
  private readonly bulkSql = new Map<string, string>();

  constructor(
    private readonly dialect: StoreDialect,
    private readonly db: Kysely<ChartDatabase> = dialect.db,
  ) {
    const [p0, p1, p2, p3, p4, p5, p6, p7, p8] = sentinels(9) as [string, string, string, string, string, string, string, string, string];
    // Numeric columns get string sentinels here only to fix the parameter order; real values are numbers.
    const num = (s: string): number => s as unknown as number;

    let current = db.selectFrom('resources').select(['rk', 'rev', 'deleted', 'conflicts']).where('type', '=', p0).where('id', '=', p1);
    if (dialect.supportsForUpdate) current = current.forUpdate();
    this.selectCurrentSql = template(current, [p0, p1]);
    this.readCurrentSql = template(
      db.selectFrom('resources').select(['type', 'id', 'rev', 'deleted', 'last_updated', 'content', 'conflicts']).where('type', '=', p0).where('id', '=', p1),
      [p0, p1],
    );

    this.insertChangeSql = template(
      db.insertInto('changes').values({ type: p0, id: p1, rev: p2, deleted: num(p3) }).returning('seq'),
      [p0, p1, p2, p3],
    );
    this.insertResourceSql = template(
      db
        .insertInto('resources')
        .values({ type: p0, id: p1, rev: p2, deleted: num(p3), last_updated: num(p4), seq: num(p5), content: p6 })
        .returning('rk'),
      [p0, p1, p2, p3, p4, p5, p6],
    );
    this.updateResourceSql = template(
      db
        .updateTable('resources')
        .set({ rev: p0, deleted: num(p1), last_updated: num(p2), seq: num(p3), content: p4 })
        .where('rk', '=', num(p5)),
      [p0, p1, p2, p3, p4, p5],
    );
    this.clearLeafSql = template(
      db.updateTable('revisions').set({ leaf: num(p0) }).where('rk', '=', num(p1)).where('rev', '=', p2),
      [p0, p1, p2],
    );
    this.insertRevisionSql = template(
      db.insertInto('revisions').values({
        rk: num(p0),
        rev: p1,
        parent_rev: p2,
        generation: num(p3),
        deleted: num(p4),
        leaf: num(p5),
        last_updated: num(p6),
        seq: num(p7),
        content: p8,
      }),
      [p0, p1, p2, p3, p4, p5, p6, p7, p8],
    );
    this.deleteIndexSql = new Map(
      Object.values(INDEX_TABLES).map((table) => [table, template(db.deleteFrom(table).where('rk', '=', num(p0)), [p0])] as const),
    );
  }

  /** The current row of `type/id` (locked FOR UPDATE where the dialect can), or undefined. */
  async selectCurrent(db: QueryRunner, type: string, id: string): Promise<CurrentRow | undefined> {
    const res = await db.executeQuery(CompiledQuery.raw(this.selectCurrentSql, [type, id]) as CompiledQuery<CurrentRow>);
    return res.rows[0];
  }

  /**
   * The current row of `type/id` with its content, for reads (precompiled: a read by id is
   * the most frequent query, and building it with Kysely cost more than running it).
   */
  async readCurrent(db: QueryRunner, type: string, id: string): Promise<CurrentContentRow | undefined> {
    const res = await db.executeQuery(CompiledQuery.raw(this.readCurrentSql, [type, id]) as CompiledQuery<CurrentContentRow>);
    return res.rows[0];
  }

  /**
   * Writes one revision: the change log entry, the resources row (inserted when `current`
   * is undefined), the revision row (its parent no longer a leaf), and the index rows
   * (the old ones replaced). `rows` is undefined for a tombstone.
   */
  async writeRevision(db: QueryRunner, current: CurrentRow | undefined, v: RevisionValues, rows: IndexRows | undefined): Promise<{ rk: number; seq: number }> {
    const change = await db.executeQuery(CompiledQuery.raw(this.insertChangeSql, [v.type, v.id, v.rev, v.deleted]) as CompiledQuery<{ seq: number }>);
    const seq = Number(change.rows[0]?.seq);
    let rk: number;
    if (current) {
      rk = current.rk;
      await this.replaceCurrent(db, rk, v, seq);
    } else {
      const inserted = await db.executeQuery(
        CompiledQuery.raw(this.insertResourceSql, [v.type, v.id, v.rev, v.deleted, v.lastUpdated, seq, v.content]) as CompiledQuery<{ rk: number }>,
      );
      rk = Number(inserted.rows[0]?.rk);
    }
    if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(rk)) throw new Error(`Write of ${v.type}/${v.id} got no sequence or row key`);
    await this.insertRevision(db, rk, seq, v);
    if (rows) await this.insertIndexRows(db, [{ rk, type: v.type, rows }]);
    return { rk, seq };
  }

  /**
   * Points the existing resources row `rk` at a new revision: its columns, its old revision
   * no longer a leaf, and its index rows removed (the caller inserts the new ones).
   */
  async replaceCurrent(db: QueryRunner, rk: number, v: RevisionValues, seq: number): Promise<void> {
    await db.executeQuery(CompiledQuery.raw(this.updateResourceSql, [v.rev, v.deleted, v.lastUpdated, seq, v.content, rk]));
    if (v.parentRev) await db.executeQuery(CompiledQuery.raw(this.clearLeafSql, [0, rk, v.parentRev]));
    await this.deleteIndexRows(db, rk);
  }

  private async insertRevision(db: QueryRunner, rk: number, seq: number, v: RevisionValues): Promise<void> {
    await db.executeQuery(
      CompiledQuery.raw(this.insertRevisionSql, [rk, v.rev, v.parentRev, v.generation, v.deleted, 1, v.lastUpdated, seq, v.content]),
    );
  }

  /** Inserts change log rows; answers each row's sequence number (in no particular order). */
  async insertChanges(db: QueryRunner, rows: readonly ChangeRow[]): Promise<{ seq: number; type: string; id: string; rev: string }[]> {
    const out = await this.bulk(db, 'changes', rows as unknown as readonly Record<string, unknown>[]);
    return out.map((r) => ({ seq: Number(r.seq), type: String(r.type), id: String(r.id), rev: String(r.rev) }));
  }

  /** Inserts resources rows; answers each row's key (in no particular order). */
  async insertResources(db: QueryRunner, rows: readonly ResourceRow[]): Promise<{ rk: number; type: string; id: string }[]> {
    const out = await this.bulk(db, 'resources', rows as unknown as readonly Record<string, unknown>[]);
    return out.map((r) => ({ rk: Number(r.rk), type: String(r.type), id: String(r.id) }));
  }

  /** Inserts revisions rows. */
  async insertRevisions(db: QueryRunner, rows: readonly RevisionRow[]): Promise<void> {
    await this.bulk(db, 'revisions', rows as unknown as readonly Record<string, unknown>[]);
  }

  /** Inserts `rows` into `table` in statements of up to BULK_ROWS rows, each compiled once. */
  private async bulk(db: QueryRunner, table: BulkTable, rows: readonly Record<string, unknown>[]): Promise<Record<string, unknown>[]> {
    const { columns } = BULK[table];
    const out: Record<string, unknown>[] = [];
    for (let from = 0; from < rows.length; from += BULK_ROWS) {
      const part = rows.slice(from, from + BULK_ROWS);
      const params: unknown[] = [];
      for (const row of part) for (const c of columns) params.push(row[c]);
      const res = await db.executeQuery(CompiledQuery.raw(this.bulkText(table, part.length), params) as CompiledQuery<Record<string, unknown>>);
      for (const r of res.rows) out.push(r);
    }
    return out;
  }

  private bulkText(table: BulkTable, rows: number): string {
    const key = `${table}:${rows}`;
    const cached = this.bulkSql.get(key);
    if (cached) return cached;
    const { columns, returning } = BULK[table];
    const s = sentinels(rows * columns.length);
    const values = Array.from({ length: rows }, (_, r) => Object.fromEntries(columns.map((c, i) => [c, s[r * columns.length + i]])));
    const insert = this.db.insertInto(table).values(values as never);
    // The sentinel rows have exactly the columns of BULK, which mirror schema.ts.
    const text = template(returning.length > 0 ? insert.returning(returning as never) : insert, s);
    this.bulkSql.set(key, text);
    return text;
  }

  /** Removes every index row of resource `rk`. */
  async deleteIndexRows(db: QueryRunner, rk: number): Promise<void> {
    for (const text of this.deleteIndexSql.values()) await db.executeQuery(CompiledQuery.raw(text, [rk]));
  }

  /** Inserts the index rows of many resources, one multi-row statement per table and chunk. */
  async insertIndexRows(db: QueryRunner, items: readonly { rk: number; type: string; rows: IndexRows }[]): Promise<void> {
    for (const kind of INDEX_KINDS) {
      const fields = Object.keys(INDEX_COLUMNS[kind]);
      const width = fields.length + 2;
      const perStatement = Math.max(1, Math.floor(this.dialect.maxParameters / width) - 1);
      let params: unknown[] = [];
      let count = 0;
      for (const item of items) {
        for (const row of item.rows[kind] as unknown as Record<string, unknown>[]) {
          params.push(item.rk, item.type);
          for (const f of fields) params.push(row[f]);
          if (++count === perStatement) {
            await db.executeQuery(CompiledQuery.raw(this.insertIndexText(kind, count), params));
            params = [];
            count = 0;
          }
        }
      }
      // The rest in statements of at most CACHED_ROW_COUNTS rows, each compiled once per
      // size: compiling a statement of an odd size for one use cost more than running it.
      for (let from = 0; from < count; from += CACHED_ROW_COUNTS) {
        const rows = Math.min(CACHED_ROW_COUNTS, count - from);
        await db.executeQuery(CompiledQuery.raw(this.insertIndexText(kind, rows), params.slice(from * width, (from + rows) * width)));
      }
    }
  }

  private insertIndexText(kind: IndexKind, rows: number): string {
    const table = INDEX_TABLES[kind];
    const key = `${table}:${rows}`;
    const cached = this.insertIndexSql.get(key);
    if (cached) return cached;
    const columns: string[] = ['rk', 'type', ...Object.values(INDEX_COLUMNS[kind])];
    const s = sentinels(rows * columns.length);
    const values = Array.from({ length: rows }, (_, r) => Object.fromEntries(columns.map((c, i) => [c, s[r * columns.length + i]])));
    // The sentinel rows have exactly the table's columns (INDEX_COLUMNS mirrors schema.ts).
    const text = template(this.db.insertInto(table).values(values as never), s);
    this.insertIndexSql.set(key, text);
    return text;
  }
}

const byDialect = new WeakMap<StoreDialect, WriteStatements>();

/** The write statements of `dialect`, compiled on first use. */
export function writeStatementsFor(dialect: StoreDialect): WriteStatements {
  let statements = byDialect.get(dialect);
  if (!statements) {
    statements = new WriteStatements(dialect);
    byDialect.set(dialect, statements);
  }
  return statements;
}
