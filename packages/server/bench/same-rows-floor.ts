/**
 * A second floor for imports: every row Chartroom writes for a resource — the change log
 * entry, the resources row, the revision row and all of its search index rows — inserted
 * by plain prepared statements into a copy of the same database. The one-table floor
 * (raw-sqlite-floor.ts) shows what SQLite does for the resource alone; this one shows what
 * SQLite itself costs for the rows the issue asks for (versions, change log, an index of
 * every R4 search parameter), so the difference between the two is the price of the schema
 * and the difference between this floor and Chartroom is the price of our code (validation,
 * index extraction, revision ids, JSON).
 *
 * The copy is made with `VACUUM INTO` (same key, same cipher) after the practice is loaded;
 * each timed batch is first imported by Chartroom, then its rows are read back from the
 * store and replayed, untimed reading and timed inserting, into the copy. Rows arrive
 * ready-made (no JSON, no validation): the floor measures SQLite's work only.
 */
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { sql } from 'kysely';
import type Database from 'better-sqlite3-multiple-ciphers';
import { openSqliteDatabase } from '../src/store/sqlite-dialect.js';
import type { Store } from '../src/store/open-store.js';
import { INDEX_TABLES } from '../src/store/schema.js';

type Row = Record<string, unknown>;

/** One resource's rows, in the order Chartroom writes them. */
interface ResourceRows {
  change: Row;
  resource: Row;
  revision: Row;
  index: { table: string; row: Row }[];
}

const TABLES = ['changes', 'resources', 'revisions', ...Object.values(INDEX_TABLES)] as const;

/** The copy of a store's database into which Chartroom's rows are replayed. */
export class SameRowsFloor {
  private readonly inserts = new Map<string, Database.Statement>();
  private readonly columns = new Map<string, string[]>();
  private readonly insertAll: (items: ResourceRows[]) => void;

  private constructor(
    private readonly db: Database.Database,
    private readonly file: string,
  ) {
    for (const table of TABLES) {
      const cols = (db.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name);
      this.columns.set(table, cols);
      this.inserts.set(table, db.prepare(`INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`));
    }
    const run = (table: string, row: Row): void => {
      const stmt = this.inserts.get(table) as Database.Statement;
      stmt.run(...(this.columns.get(table) as string[]).map((c) => row[c]));
    };
    this.insertAll = db.transaction((items: ResourceRows[]) => {
      for (const r of items) {
        run('changes', r.change);
        run('resources', r.resource);
        run('revisions', r.revision);
        for (const ix of r.index) run(ix.table, ix.row);
      }
    });
  }

  /** Copies the SQLite store `store` (key `keyHex`) into `dir` and opens the copy. */
  static async copyOf(store: Store, keyHex: string | undefined, dir: string): Promise<SameRowsFloor> {
    const file = join(dir, 'same-rows-floor.db');
    rmSync(file, { force: true });
    await sql`VACUUM INTO ${sql.lit(file)}`.execute(store.dialect.db);
    return new SameRowsFloor(openSqliteDatabase({ file, keyHex }), file);
  }

  /** The store's highest change sequence: rows written after it are the next batch's. */
  static async lastSeq(store: Store): Promise<number> {
    const row = await store.dialect.db.selectFrom('changes').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirst();
    return Number(row?.seq ?? 0);
  }

  /**
   * Reads the rows Chartroom wrote after change `afterSeq` (new resources only: a timed
   * batch creates, it never updates), grouped per resource in write order.
   */
  static async rowsAfter(store: Store, afterSeq: number): Promise<ResourceRows[]> {
    const db = store.dialect.db;
    const changes = (await db.selectFrom('changes').selectAll().where('seq', '>', afterSeq).orderBy('seq').execute()) as Row[];
    const resources = (await db.selectFrom('resources').selectAll().where('seq', '>', afterSeq).execute()) as Row[];
    const revisions = (await db.selectFrom('revisions').selectAll().where('seq', '>', afterSeq).execute()) as Row[];
    const bySeq = new Map<number, ResourceRows>();
    const byRk = new Map<number, ResourceRows>();
    for (const change of changes) bySeq.set(Number(change.seq), { change, resource: {}, revision: {}, index: [] });
    for (const resource of resources) {
      const item = bySeq.get(Number(resource.seq));
      if (!item) throw new Error(`same-rows floor: resources row without its change (seq ${String(resource.seq)})`);
      item.resource = resource;
      byRk.set(Number(resource.rk), item);
    }
    for (const revision of revisions) {
      const item = byRk.get(Number(revision.rk));
      if (!item) throw new Error('same-rows floor: a batch updated an existing resource; only creates are replayed');
      item.revision = revision;
    }
    const rks = [...byRk.keys()];
    if (rks.length > 0) {
      const [lo, hi] = [Math.min(...rks), Math.max(...rks)];
      for (const table of Object.values(INDEX_TABLES)) {
        const rows = (await db.selectFrom(table).selectAll().where('rk', '>=', lo).where('rk', '<=', hi).execute()) as Row[];
        for (const row of rows) byRk.get(Number(row.rk))?.index.push({ table, row });
      }
    }
    const out = [...bySeq.values()];
    for (const item of out) if (!item.resource.rk || !item.revision.rk) throw new Error('same-rows floor: a change without its rows');
    return out;
  }

  /** Inserts `rows` in transactions of `perTransaction` resources; returns milliseconds spent. */
  replay(rows: ResourceRows[], perTransaction: number): number {
    const t0 = performance.now();
    for (let i = 0; i < rows.length; i += perTransaction) this.insertAll(rows.slice(i, i + perTransaction));
    return performance.now() - t0;
  }

  /** Index rows in `rows` (for the report). */
  static indexRowCount(rows: ResourceRows[]): number {
    return rows.reduce((n, r) => n + r.index.length, 0);
  }

  /** Closes and deletes the copy. */
  close(): void {
    this.db.close();
    for (const suffix of ['', '-wal', '-shm']) rmSync(this.file + suffix, { force: true });
  }
}
