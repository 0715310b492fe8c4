/**
 * Encrypted SQLite through better-sqlite3-multiple-ciphers: SQLCipher v4 compatible AES-256,
 * WAL journal and `synchronous=FULL`, so an acknowledged write survives kill -9 and power loss.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { Kysely, SqliteDialect, sql } from 'kysely';
import type { SqliteDatabase, SqliteStatement } from 'kysely';
import type { ChartDatabase } from './schema.js';
import type { StoreDialect } from './dialect.js';
import { resolve } from 'node:path';
import { WalSync } from './wal-sync.js';
import type { CommitDurability } from './wal-sync.js';
import { BackgroundCheckpointer } from './checkpointer.js';

/** Raised when the key does not open the database file. */
export class WrongKeyError extends Error {
  constructor(file: string) {
    super(
      `Cannot open ${file}: the key does not decrypt it. Check that the key file belongs to this data directory ` +
        `(a database is never opened with a different key, and nothing was changed).`,
    );
    this.name = 'WrongKeyError';
  }
}

export interface SqliteOptions {
  /** Database file path, or ':memory:'. */
  file: string;
  /** 32-byte key as 64 hex digits; undefined opens the file unencrypted (tests of the cipher only). */
  keyHex: string | undefined;
}

/** The key each handle was opened with, for the background checkpointer's own connection. */
const keys = new WeakMap<Database.Database, string>();

/** Opens (creating if needed) an encrypted SQLite database and checks the key. */
export function openSqliteDatabase(opts: SqliteOptions): Database.Database {
  const raw = new Database(opts.file);
  if (opts.keyHex !== undefined) keys.set(raw, opts.keyHex);
  try {
    if (opts.keyHex !== undefined) {
      if (!/^[0-9a-f]{64}$/i.test(opts.keyHex)) throw new Error('The database key must be 64 hexadecimal digits (256 bits).');
      raw.pragma(`cipher='sqlcipher'`);
      raw.pragma('legacy=4');
      raw.pragma(`key="x'${opts.keyHex}'"`);
    }
    try {
      raw.prepare('SELECT count(*) FROM sqlite_master').get();
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_NOTADB') throw new WrongKeyError(opts.file);
      throw err;
    }
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = FULL');
    raw.pragma('foreign_keys = ON');
    raw.pragma('busy_timeout = 5000');
    raw.pragma('cache_size = -65536');
    raw.pragma('temp_store = MEMORY');
    return raw;
  } catch (err) {
    raw.close();
    throw err;
  }
}

/**
 * The handle Kysely's SQLite driver uses, with a bounded cache of prepared statements:
 * the driver prepares every query it runs, and preparing costs more than running the small
 * statements of a write. A statement still iterating (a streamed query) is never handed out
 * twice; a fresh one is prepared instead. SQLite re-prepares cached statements itself after
 * a schema change.
 */
export function cachingStatements(raw: Database.Database, capacity = 256): SqliteDatabase {
  const cache = new Map<string, Database.Statement>();
  return {
    close: () => raw.close(),
    prepare(text: string): SqliteStatement {
      const hit = cache.get(text);
      if (hit && !hit.busy) {
        cache.delete(text); // re-insert: the Map's order is the recency order
        cache.set(text, hit);
        return hit;
      }
      const stmt = raw.prepare(text);
      if (!hit) {
        cache.set(text, stmt);
        if (cache.size > capacity) cache.delete(cache.keys().next().value as string);
      }
      return stmt;
    },
  };
}

/** The SQLite store dialect over an open database handle. */
export function sqliteDialect(raw: Database.Database): StoreDialect {
  const db = new Kysely<ChartDatabase>({ dialect: new SqliteDialect({ database: cachingStatements(raw) }) });
  const onDisk = !raw.memory && raw.pragma('journal_mode', { simple: true }) === 'wal';
  const durability = onDisk ? walDurability(raw) : undefined;
  return {
    name: 'sqlite',
    db,
    raw,
    supportsForUpdate: false,
    groupCommit: true,
    isTransientConflict: () => false,
    isConnectionLost: () => false,
    durability,
    maxParameters: 32_000,
    autoIncrementType: 'integer',
    autoIncrement: (col) => col.autoIncrement(),
    binaryText: (col) => col,
    close: async () => {
      await durability?.close();
      await db.destroy();
      if (raw.open) raw.close();
    },
  } as StoreDialect & { raw: Database.Database };
}

/**
 * Gives a bulk writer (import, demo) a page cache of `mib` MiB instead of the server's 64 MiB:
 * an import inserts index rows all over B-trees that outgrow a small cache by far, and every
 * page that falls out is read, decrypted and authenticated again. No-op on PostgreSQL.
 */
export function useBulkWriteCache(dialect: StoreDialect, mib = 1024): void {
  const raw = (dialect as StoreDialect & { raw?: Database.Database }).raw;
  raw?.pragma(`cache_size = -${mib * 1024}`);
}

/** Runs `PRAGMA wal_checkpoint` (used before backups and at shutdown). */
export async function checkpoint(dialect: StoreDialect): Promise<void> {
  await sql`PRAGMA wal_checkpoint(TRUNCATE)`.execute(dialect.db);
}

/** The durability of a store on a WAL file, with its parts exposed for tests. */
export interface WalDurability extends CommitDurability {
  readonly syncer: WalSync;
  readonly checkpointer: BackgroundCheckpointer;
}

/**
 * Group commits on a WAL file: acknowledged after an fdatasync off the main thread
 * (wal-sync.ts), with checkpoints in a worker thread (checkpointer.ts), started with the
 * first write so that read-only uses of a database start no thread.
 */
function walDurability(raw: Database.Database): WalDurability {
  const sync = new WalSync(`${resolve(raw.name)}-wal`);
  const checkpointer = new BackgroundCheckpointer(raw, keys.get(raw));
  return {
    relaxed: sync.relaxed,
    strict: sync.strict,
    flush: () => {
      checkpointer.start();
      return sync.flush();
    },
    close: async () => {
      await sync.close();
      await checkpointer.close();
    },
    syncer: sync,
    checkpointer,
  };
}
