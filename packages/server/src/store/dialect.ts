/**
 * What differs between SQLite and PostgreSQL, in one place: capability flags and a few
 * column definitions (after Kysely's own dialect adapters). Query code asks these; it never
 * tests which database it runs on.
 */
import type { ColumnDefinitionBuilder, Kysely } from 'kysely';
import type { ChartDatabase } from './schema.js';
import type { CommitDurability } from './wal-sync.js';

export interface StoreDialect {
  readonly name: 'sqlite' | 'postgres';
  readonly db: Kysely<ChartDatabase>;
  /** `SELECT … FOR UPDATE` locks rows (PostgreSQL); SQLite serialises writers instead. */
  readonly supportsForUpdate: boolean;
  /**
   * Writers share one connection (SQLite), so concurrent write transactions are grouped into
   * one physical transaction with a savepoint each and one COMMIT (see write-queue.ts).
   * False: each write gets its own transaction from the pool (PostgreSQL).
   */
  readonly groupCommit: boolean;
  /**
   * True for a failure that running the whole transaction again can cure: another
   * transaction won a race for a unique key, a serialization failure, a deadlock
   * (PostgreSQL). SQLite's one serialised writer never races, so it answers false.
   */
  isTransientConflict(error: unknown): boolean;
  /**
   * True when the connection to the database was lost (a server restart or failover:
   * PostgreSQL); a transaction that failed so before COMMIT is safe to run again. SQLite's
   * in-process connection is never lost, so it answers false.
   */
  isConnectionLost(error: unknown): boolean;
  /**
   * How group commits reach the disk without blocking the event loop (SQLite in WAL mode on
   * a file); undefined: COMMIT itself waits for the disk.
   */
  readonly durability?: CommitDurability;
  /** Largest number of bound parameters in one statement. */
  readonly maxParameters: number;
  /** Column type of an auto-increment primary key. */
  readonly autoIncrementType: 'integer' | 'bigint';
  /** Adds auto-increment to a primary key column definition. */
  autoIncrement(col: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
  /** Makes a text column compare bytewise, so prefix ranges use its index. */
  binaryText(col: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
  /** Releases connections and files. */
  close(): Promise<void>;
}
