/**
 * Accounts and authentication: users (ids never reused: rows are never deleted), TOTP and
 * recovery codes, sessions, API tokens, trusted devices and login-failure counters.
 * Secrets are stored hashed or sealed by the security services (see security/credential-crypto.ts).
 */
import type { Kysely, Migration } from 'kysely';
import type { StoreDialect } from '../dialect.js';

/** The migration for the `auth_*` tables, on SQLite and PostgreSQL alike. */
export function authAccountsMigration(d: StoreDialect): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('auth_users')
        .addColumn('id', 'text', (c) => d.binaryText(c.primaryKey()))
        .addColumn('username', 'text', (c) => d.binaryText(c.notNull().unique()))
        .addColumn('display_name', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull())
        .addColumn('practitioner_id', 'text')
        .addColumn('disabled', 'integer', (c) => c.notNull())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('must_change_password', 'integer', (c) => c.notNull())
        .addColumn('totp_secret', 'text')
        .addColumn('totp_enabled', 'integer', (c) => c.notNull())
        .addColumn('totp_last_step', 'bigint')
        .addColumn('demo', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('auth_recovery_codes')
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('code_hash', 'text', (c) => c.notNull())
        .addColumn('used_at', 'bigint')
        .addPrimaryKeyConstraint('auth_recovery_codes_pk', ['user_id', 'code_hash'])
        .execute();

      await db.schema
        .createTable('auth_sessions')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('token_hash', 'text', (c) => d.binaryText(c.notNull().unique()))
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addColumn('ended_at', 'bigint')
        .addColumn('end_reason', 'text')
        .addColumn('address', 'text')
        .addColumn('user_agent', 'text')
        .addColumn('mfa_at', 'bigint')
        .execute();
      await db.schema.createIndex('auth_sessions_user').on('auth_sessions').columns(['user_id', 'ended_at']).execute();

      await db.schema
        .createTable('auth_tokens')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('token_hash', 'text', (c) => d.binaryText(c.notNull().unique()))
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('label', 'text', (c) => c.notNull())
        .addColumn('scopes', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint')
        .addColumn('revoked_at', 'bigint')
        .addColumn('last_used_at', 'bigint')
        .execute();
      await db.schema.createIndex('auth_tokens_user').on('auth_tokens').column('user_id').execute();

      await db.schema
        .createTable('auth_devices')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('token_hash', 'text', (c) => d.binaryText(c.notNull().unique()))
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('last_used_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('auth_throttle')
        .addColumn('key', 'text', (c) => d.binaryText(c.primaryKey()))
        .addColumn('failures', 'integer', (c) => c.notNull())
        .addColumn('first_failure', 'bigint', (c) => c.notNull())
        .addColumn('last_failure', 'bigint', (c) => c.notNull())
        .addColumn('blocked_until', 'bigint', (c) => c.notNull())
        .execute();
    },
  };
}
