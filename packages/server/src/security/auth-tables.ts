/**
 * Row shapes of the `auth_*` tables (migration 0002-auth-accounts), for typed queries through
 * `db.withTables<AuthTables>()`. Secrets are never stored in clear: see credential-crypto.ts.
 */
import type { Kysely, Transaction } from 'kysely';
import type { ChartDatabase } from '../store/schema.js';

export interface AuthUsersTable {
  id: string;
  username: string;
  display_name: string;
  role: string;
  practitioner_id: string | null;
  disabled: number;
  /** argon2id PHC string, sealed. */
  password_hash: string;
  must_change_password: number;
  /** Base32 TOTP secret, sealed; set at enrolment, active once `totp_enabled`. */
  totp_secret: string | null;
  totp_enabled: number;
  /** Last TOTP time step accepted (codes are single-use). */
  totp_last_step: number | null;
  /** A demo account: its TOTP code may be printed by `chartroom user totp-code`. */
  demo: number;
  created_at: number;
  updated_at: number;
}

export interface AuthRecoveryCodesTable {
  user_id: string;
  code_hash: string;
  used_at: number | null;
}

export interface AuthSessionsTable {
  id: string;
  token_hash: string;
  user_id: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  ended_at: number | null;
  end_reason: string | null;
  address: string | null;
  user_agent: string | null;
  mfa_at: number | null;
}

export interface AuthTokensTable {
  id: string;
  token_hash: string;
  user_id: string;
  label: string;
  /** Space-separated SMART-style scopes. */
  scopes: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
}

export interface AuthDevicesTable {
  id: string;
  token_hash: string;
  user_id: string;
  created_at: number;
  last_used_at: number;
}

export interface AuthThrottleTable {
  key: string;
  failures: number;
  first_failure: number;
  last_failure: number;
  blocked_until: number;
}

/** The authentication tables. */
// A type alias, not an interface: withTables needs an implicit index signature.
export type AuthTables = {
  auth_users: AuthUsersTable;
  auth_recovery_codes: AuthRecoveryCodesTable;
  auth_sessions: AuthSessionsTable;
  auth_tokens: AuthTokensTable;
  auth_devices: AuthDevicesTable;
  auth_throttle: AuthThrottleTable;
};

/** A Kysely handle (root or transaction) typed for the auth tables. */
export type AuthDb = Kysely<ChartDatabase & AuthTables>;

/** Retypes a store handle or a write transaction for the auth tables. */
export function authDb(db: Kysely<ChartDatabase> | Transaction<ChartDatabase>): AuthDb {
  return db.withTables<AuthTables>();
}
