/**
 * Versioned schema migrations, run at every start; Kysely records which ran, so running
 * them again changes nothing.
 */
import { Migrator, sql } from 'kysely';
import type { Kysely, Migration, MigrationProvider } from 'kysely';
import type { StoreDialect } from './dialect.js';
import { authAccountsMigration } from './migrations/0002-auth-accounts.js';
import { auditMigration } from './migrations/0003-audit.js';
import { syncMigration } from './migrations/0004-sync.js';
import { syncAuditHeadsMigration } from './migrations/0006-sync-tls.js';
import { continuityMigration } from './migrations/0008-continuity.js';

function initial(d: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('resources')
        .addColumn('rk', d.autoIncrementType, (c) => d.autoIncrement(c.primaryKey()))
        .addColumn('type', 'text', (c) => d.binaryText(c.notNull()))
        .addColumn('id', 'text', (c) => d.binaryText(c.notNull()))
        .addColumn('rev', 'text', (c) => c.notNull())
        .addColumn('deleted', 'integer', (c) => c.notNull())
        .addColumn('last_updated', 'bigint', (c) => c.notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('content', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('resources_type_id').on('resources').columns(['type', 'id']).unique().execute();
      await db.schema.createIndex('resources_type_updated').on('resources').columns(['type', 'last_updated']).execute();

      await db.schema
        .createTable('revisions')
        .addColumn('rk', 'bigint', (c) => c.notNull())
        .addColumn('rev', 'text', (c) => c.notNull())
        .addColumn('parent_rev', 'text')
        .addColumn('generation', 'integer', (c) => c.notNull())
        .addColumn('deleted', 'integer', (c) => c.notNull())
        .addColumn('leaf', 'integer', (c) => c.notNull())
        .addColumn('last_updated', 'bigint', (c) => c.notNull())
        .addColumn('seq', 'bigint', (c) => c.notNull())
        .addColumn('content', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('revisions_pk', ['rk', 'rev'])
        .execute();
      await db.schema.createIndex('revisions_seq').on('revisions').column('seq').execute();

      await db.schema
        .createTable('changes')
        .addColumn('seq', d.autoIncrementType, (c) => d.autoIncrement(c.primaryKey()))
        .addColumn('type', 'text', (c) => c.notNull())
        .addColumn('id', 'text', (c) => c.notNull())
        .addColumn('rev', 'text', (c) => c.notNull())
        .addColumn('deleted', 'integer', (c) => c.notNull())
        .execute();

      const indexTable = async (name: string, cols: [string, 'text' | 'bigint' | 'double precision', boolean][], lookup: string[]): Promise<void> => {
        let t = db.schema
          .createTable(name)
          .addColumn('rk', 'bigint', (c) => c.notNull())
          .addColumn('type', 'text', (c) => d.binaryText(c.notNull()))
          .addColumn('code', 'text', (c) => d.binaryText(c.notNull()));
        for (const [col, type, notNull] of cols) {
          t = t.addColumn(col, type, (c) => {
            const b = type === 'text' ? d.binaryText(c) : c;
            return notNull ? b.notNull() : b;
          });
        }
        await t.execute();
        await db.schema.createIndex(`${name}_lookup`).on(name).columns(['type', 'code', ...lookup, 'rk']).execute();
        await db.schema.createIndex(`${name}_rk`).on(name).columns(['rk', 'code']).execute();
      };
      await indexTable('sp_string', [['value', 'text', true], ['exact', 'text', true]], ['value']);
      await indexTable('sp_token', [['system', 'text', false], ['value', 'text', false]], ['value', 'system']);
      await indexTable('sp_date', [['low', 'bigint', true], ['high', 'bigint', true]], ['low', 'high']);
      // gt, ge, eb and ap bound the end of the range: scan by high as well as by low.
      await db.schema.createIndex('sp_date_high').on('sp_date').columns(['type', 'code', 'high', 'low', 'rk']).execute();
      await indexTable('sp_reference', [['target_type', 'text', false], ['target_id', 'text', false], ['ref', 'text', true]], ['target_id', 'target_type']);
      // Everything that points at one resource, whatever the parameter: $everything, _revinclude=…:*.
      await db.schema.createIndex('sp_reference_target').on('sp_reference').columns(['target_id', 'target_type', 'rk']).execute();
      await indexTable('sp_number', [['value', 'double precision', true]], ['value']);
      await indexTable('sp_quantity', [['value', 'double precision', true], ['system', 'text', false], ['unit', 'text', false]], ['value']);
      await indexTable('sp_uri', [['value', 'text', true]], ['value']);
      await sql`select 1`.execute(db);
    },
  };
}

/**
 * All migrations by name. Never edit one that has shipped; add a new one. Each area keeps
 * its own in `migrations/NNNN-area.ts` (a function of the dialect) and adds one line here.
 * Names are applied in sorted order; areas developed side by side may be applied out of
 * order on a database that already ran later ones, so each must stand on its own.
 */
export function migrations(d: StoreDialect): Record<string, Migration> {
  return {
    '0001-initial': initial(d),
    '0002-auth-accounts': authAccountsMigration(d),
    '0003-audit': auditMigration(d),
    '0004-sync': syncMigration(d),
    '0006-sync-tls': syncAuditHeadsMigration(d),
    '0008-continuity': continuityMigration(d),
  };
}

/** Brings the schema up to date; safe to run at every start. */
export async function migrateToLatest(d: StoreDialect): Promise<void> {
  const provider: MigrationProvider = { getMigrations: () => Promise.resolve(migrations(d)) };
  const migrator = new Migrator({ db: d.db, provider, allowUnorderedMigrations: true });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    throw new Error(`Schema migration ${failed?.migrationName ?? ''} failed: ${String(error)}`);
  }
}
