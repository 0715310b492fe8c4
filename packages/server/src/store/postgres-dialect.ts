/**
 * PostgreSQL through `pg`: the hub's store, the same schema and queries as SQLite.
 */
import pg from 'pg';
import { Kysely, PostgresDialect, sql } from 'kysely';
import type { ChartDatabase } from './schema.js';
import type { StoreDialect } from './dialect.js';
import { isConnectionLost, resilientPool } from './postgres-resilient-pool.js';

// int8 (bigint) columns hold epoch milliseconds and sequences, all below 2^53.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));

/** SQLSTATEs of a lost race: unique_violation, serialization_failure, deadlock_detected. */
const TRANSIENT_CONFLICTS: ReadonlySet<string> = new Set(['23505', '40001', '40P01']);

/** Opens a pooled PostgreSQL store dialect for `connectionString`. */
export function postgresDialect(connectionString: string, poolSize = 10): StoreDialect {
  const pool = resilientPool(connectionString, poolSize);
  const db = new Kysely<ChartDatabase>({ dialect: new PostgresDialect({ pool }) });
  return {
    name: 'postgres',
    db,
    supportsForUpdate: true,
    groupCommit: false,
    isTransientConflict: (error) => TRANSIENT_CONFLICTS.has(String((error as { code?: unknown } | null)?.code)),
    isConnectionLost,
    maxParameters: 60_000,
    autoIncrementType: 'bigint',
    autoIncrement: (col) => col.generatedByDefaultAsIdentity(),
    binaryText: (col) => col.modifyEnd(sql`collate "C"`),
    close: async () => {
      await db.destroy();
    },
  };
}
