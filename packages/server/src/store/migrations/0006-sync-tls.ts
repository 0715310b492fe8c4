/**
 * Replication, second step (TLS pinning needs no table: the fingerprint column exists):
 * `sync_audit_heads`, per peer node the newest signed audit chain head this node accepted
 * (each new one must extend it), and the last refusal, for the status and an administrator.
 */
import type { Kysely, Migration } from 'kysely';
import type { StoreDialect } from '../dialect.js';

/** The migration for `sync_audit_heads`, on SQLite and PostgreSQL alike. */
export function syncAuditHeadsMigration(d: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('sync_audit_heads')
        .addColumn('node_id', 'text', (c) => d.binaryText(c.primaryKey()))
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('hash', 'text')
        .addColumn('public_key', 'text')
        .addColumn('signature', 'text')
        .addColumn('received_at', 'bigint')
        .addColumn('problem', 'text')
        .addColumn('problem_at', 'bigint')
        .execute();
    },
  };
}
