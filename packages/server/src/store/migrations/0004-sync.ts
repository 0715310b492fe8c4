/**
 * Replication (ARCHITECTURE §4): a conflict count on each current row (0 unless the
 * resource has more than one live leaf; the reconciliation inbox reads a partial index),
 * the node's identity and key pair, enrolled peers, one-time enrolment codes, replication
 * checkpoints, and batches held in quarantine for an administrator.
 */
import { sql } from 'kysely';
import type { Kysely, Migration } from 'kysely';
import type { StoreDialect } from '../dialect.js';

/** The migration for `resources.conflicts` and the `sync_*` tables, on SQLite and PostgreSQL alike. */
export function syncMigration(d: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('resources').addColumn('conflicts', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      await db.schema.createIndex('resources_conflicts').on('resources').columns(['conflicts', 'type', 'id']).where(sql.ref('conflicts'), '>', 0).execute();

      await db.schema
        .createTable('sync_identity')
        .addColumn('key', 'text', (c) => d.binaryText(c.primaryKey()))
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('sync_peers')
        .addColumn('node_id', 'text', (c) => d.binaryText(c.primaryKey()))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('direction', 'text', (c) => c.notNull())
        .addColumn('url', 'text')
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('practice', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'text')
        .addColumn('allow_http', 'integer', (c) => c.notNull())
        .addColumn('disabled', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('sync_invites')
        .addColumn('code_hash', 'text', (c) => d.binaryText(c.primaryKey()))
        .addColumn('practice', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('used_at', 'bigint')
        .addColumn('used_by', 'text')
        .execute();

      await db.schema
        .createTable('sync_checkpoints')
        .addColumn('replication', 'text', (c) => d.binaryText(c.primaryKey()))
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('sync_quarantine')
        .addColumn('id', 'text', (c) => d.binaryText(c.primaryKey()))
        .addColumn('peer', 'text', (c) => c.notNull())
        .addColumn('session', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('docs', 'integer', (c) => c.notNull())
        .addColumn('destructive', 'integer', (c) => c.notNull())
        .addColumn('resources', 'integer', (c) => c.notNull())
        .addColumn('digest', 'text', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('decided_at', 'bigint')
        .execute();
    },
  };
}
