/**
 * The floor: the same rows, inserts and reads through plain better-sqlite3-multiple-ciphers
 * prepared statements on an encrypted file opened with the store's own pragmas (WAL,
 * synchronous=FULL): no HTTP, no validation, no revisions, no indexes beyond (type, id).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type Database from 'better-sqlite3-multiple-ciphers';
import type { Resource } from '@medplum/fhirtypes';
import { openSqliteDatabase } from '../src/store/sqlite-dialect.js';
import type { Store } from '../src/store/open-store.js';

interface RawRow {
  type: string;
  id: string;
  content: string;
}

const COPY_CHUNK = 5_000;

/** An encrypted SQLite file with one table of resources, written and read with prepared statements. */
export class RawSqliteFloor {
  private readonly insert: Database.Statement<[string, string, string]>;
  private readonly select: Database.Statement<[string, string], { content: string }>;
  private readonly insertMany: (rows: RawRow[]) => void;

  private constructor(private readonly db: Database.Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS raw_resources (rk INTEGER PRIMARY KEY, type TEXT NOT NULL, id TEXT NOT NULL, content TEXT NOT NULL);
             CREATE UNIQUE INDEX IF NOT EXISTS raw_resources_type_id ON raw_resources (type, id);`);
    this.insert = db.prepare('INSERT INTO raw_resources (type, id, content) VALUES (?, ?, ?)');
    this.select = db.prepare('SELECT content FROM raw_resources WHERE type = ? AND id = ?');
    this.insertMany = db.transaction((rows: RawRow[]) => {
      for (const r of rows) this.insert.run(r.type, r.id, r.content);
    });
  }

  /** Creates the floor's database file in `dir` with a new random key. */
  static open(dir: string): RawSqliteFloor {
    return new RawSqliteFloor(openSqliteDatabase({ file: join(dir, 'raw-floor.db'), keyHex: randomBytes(32).toString('hex') }));
  }

  /** Copies the current resources of a Chartroom store; returns the rows copied. */
  async copyFrom(store: Store): Promise<number> {
    let rows = 0;
    let after = 0;
    for (;;) {
      const chunk = await store.dialect.db
        .selectFrom('resources')
        .select(['rk', 'type', 'id', 'content'])
        .where('rk', '>', after)
        .where('deleted', '=', 0)
        .orderBy('rk')
        .limit(COPY_CHUNK)
        .execute();
      const last = chunk[chunk.length - 1];
      if (!last) return rows;
      after = last.rk;
      this.insertMany(chunk);
      rows += chunk.length;
    }
  }

  /** The stored JSON of `type/id`; throws when missing. */
  read(type: string, id: string): string {
    const row = this.select.get(type, id);
    if (!row) throw new Error(`raw floor: ${type}/${id} is missing`);
    return row.content;
  }

  /** Serialises and inserts one resource in its own (autocommit, fsynced) transaction. */
  insertOne(resource: Resource & { id: string }): void {
    this.insert.run(resource.resourceType, resource.id, JSON.stringify(resource));
  }

  /** Serialises and inserts resources in one transaction. */
  insertBatch(resources: Resource[]): void {
    this.insertMany(
      resources.map((r) => {
        if (!r.id) throw new Error('raw floor: a resource without id');
        return { type: r.resourceType, id: r.id, content: JSON.stringify(r) };
      }),
    );
  }

  /** Closes the database file. */
  close(): void {
    this.db.close();
  }
}
