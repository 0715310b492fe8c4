/**
 * Continuity (issue 7): `continuity_received`, the change-log sequence numbers of revisions
 * this node received from peers (replication), so the offline reconciliation report counts
 * only what was written on this node.
 */
import type { Kysely, Migration } from 'kysely';
import type { StoreDialect } from '../dialect.js';

/** The migration for `continuity_received`, on SQLite and PostgreSQL alike. */
export function continuityMigration(_d: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('continuity_received')
        .addColumn('seq', 'bigint', (c) => c.primaryKey())
        .execute();
    },
  };
}
