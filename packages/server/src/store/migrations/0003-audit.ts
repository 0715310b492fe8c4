/**
 * The audit trail (ONC 170.315(d)(2), (d)(10)): an append-only, per-node hash-chained event
 * table, the patients each event touched (for "who looked at this chart"), the signed chain
 * heads, and break-the-glass grants.
 */
import type { Kysely, Migration } from 'kysely';
import type { StoreDialect } from '../dialect.js';

/** The migration for the `audit_*` tables, on SQLite and PostgreSQL alike. */
export function auditMigration(d: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('audit_events')
        .addColumn('node_id', 'text', (c) => d.binaryText(c.notNull()))
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('recorded_at', 'bigint', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text')
        .addColumn('username', 'text')
        .addColumn('role', 'text')
        .addColumn('address', 'text')
        .addColumn('purpose', 'text', (c) => c.notNull())
        .addColumn('resource', 'text')
        .addColumn('content', 'text', (c) => c.notNull())
        .addColumn('prev_hash', 'text', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('audit_events_pk', ['node_id', 'seq'])
        .execute();
      await db.schema.createIndex('audit_events_time').on('audit_events').columns(['recorded_at']).execute();
      await db.schema.createIndex('audit_events_action').on('audit_events').columns(['action', 'recorded_at']).execute();

      await db.schema
        .createTable('audit_event_patients')
        .addColumn('patient_id', 'text', (c) => d.binaryText(c.notNull()))
        .addColumn('recorded_at', 'bigint', (c) => c.notNull())
        .addColumn('node_id', 'text', (c) => c.notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('audit_event_patients_pk', ['patient_id', 'recorded_at', 'node_id', 'seq'])
        .execute();

      await db.schema
        .createTable('audit_heads')
        .addColumn('node_id', 'text', (c) => d.binaryText(c.notNull()))
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('hash', 'text', (c) => c.notNull())
        .addColumn('signed_at', 'bigint', (c) => c.notNull())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('signature', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('audit_heads_pk', ['node_id', 'seq'])
        .execute();

      await db.schema
        .createTable('audit_break_glass')
        .addColumn('id', 'text', (c) => d.binaryText(c.primaryKey()))
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('username', 'text')
        .addColumn('patient_id', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('granted_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('node_id', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_break_glass_user').on('audit_break_glass').columns(['user_id', 'expires_at']).execute();
    },
  };
}
