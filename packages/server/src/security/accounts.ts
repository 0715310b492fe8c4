/**
 * User accounts: add, list, disable, enable, reset a password, change a role, change one's own
 * password. Ids are random UUIDs and rows are never deleted, so an id is never reused.
 * Transport-free: the CLI and the admin API call the same methods.
 */
import { outcomeError, ROLES } from '@chartroom/core';
import type { Role, UserId } from '@chartroom/core';
import type { Clock } from '../store/clock.js';
import type { TransactionRunner } from '../store/transaction-runner.js';
import type { AuthDb, AuthUsersTable } from './auth-tables.js';
import { authDb } from './auth-tables.js';
import type { CredentialCrypto } from './credential-crypto.js';
import { ARGON2_PARAMS, hashPassword, verifyPassword } from './password-hash.js';
import type { Argon2Params } from './password-hash.js';
import { checkPassword } from './password-policy.js';
import type { RandomSource } from './random-source.js';

/** Kinds of account change reported to the audit trail. */
export type AccountChange = 'added' | 'disabled' | 'enabled' | 'role-changed' | 'password-reset' | 'password-changed' | 'mfa-enabled' | 'mfa-disabled';

/** A user as the API and the CLI show it (no secrets). */
export interface UserInfo {
  id: UserId;
  username: string;
  displayName: string;
  role: Role;
  practitionerId?: string;
  disabled: boolean;
  mfaEnrolled: boolean;
  mustChangePassword: boolean;
  createdAt: string;
}

export interface NewUser {
  username: string;
  displayName?: string;
  role: Role;
  practitionerId?: string;
  /** Omitted: a one-time password is generated and must be changed at first sign-in. */
  password?: string;
  demo?: boolean;
}

/** Normalises and checks a user name: 2–64 of a-z 0-9 . _ - (case-insensitive). */
export function normalizeUsername(username: string): string {
  const u = username.trim().toLowerCase();
  if (!/^[a-z0-9][a-z0-9._-]{1,63}$/.test(u)) {
    throw outcomeError('badRequest', `User name "${username}" is not valid: use 2 to 64 letters, digits, dots, dashes or underscores`, 'username');
  }
  return u;
}

/** Checks a role name. */
export function parseRole(role: string): Role {
  if (!(ROLES as readonly string[]).includes(role)) throw outcomeError('badRequest', `Unknown role "${role}"; roles are ${ROLES.join(', ')}`, 'role');
  return role as Role;
}

/** A one-time password: 16 characters of an unambiguous alphabet (~80 bits). */
export function oneTimePassword(random: RandomSource): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789';
  let s = '';
  while (s.length < 16) {
    for (const b of random.bytes(32)) {
      if (b < 224 && s.length < 16) s += alphabet[b % 56]; // 224 = 4 × 56
    }
  }
  return `${s.slice(0, 4)}-${s.slice(4, 8)}-${s.slice(8, 12)}-${s.slice(12)}`;
}

/** The public view of a user row. */
export function userInfo(row: AuthUsersTable): UserInfo {
  return {
    id: row.id as UserId,
    username: row.username,
    displayName: row.display_name,
    role: row.role as Role,
    ...(row.practitioner_id ? { practitionerId: row.practitioner_id } : {}),
    disabled: row.disabled === 1,
    mfaEnrolled: row.totp_enabled === 1,
    mustChangePassword: row.must_change_password === 1,
    createdAt: new Date(Number(row.created_at)).toISOString(),
  };
}

export interface AccountsDeps {
  db: AuthDb;
  writes: TransactionRunner;
  crypto: CredentialCrypto;
  clock: Clock;
  random: RandomSource;
  argon2?: Argon2Params;
  /** Called after a user's credentials change or the user is disabled (ends sessions). */
  onCredentialsChanged?: (userId: string, reason: string) => Promise<void>;
  /** Called after every change of an account (for the audit trail). */
  onChange?: (userId: string, change: AccountChange, detail?: string) => void;
}

/** The accounts service. */
export class Accounts {
  constructor(private readonly deps: AccountsDeps) {}

  private get argon2(): Argon2Params {
    return this.deps.argon2 ?? ARGON2_PARAMS;
  }

  /** The stored row of a user by id (undefined when none). */
  async row(id: string): Promise<AuthUsersTable | undefined> {
    return this.deps.db.selectFrom('auth_users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** The stored row by user name (case-insensitive); undefined for a malformed or unknown name. */
  async rowByUsername(username: string): Promise<AuthUsersTable | undefined> {
    const u = username.trim().toLowerCase();
    if (!/^[a-z0-9][a-z0-9._-]{1,63}$/.test(u)) return undefined;
    return this.deps.db.selectFrom('auth_users').selectAll().where('username', '=', u).executeTakeFirst();
  }

  /** A user by id, or 404. */
  async get(id: string): Promise<UserInfo> {
    const row = await this.row(id);
    if (!row) throw outcomeError('notFound', `No user with id ${id}`);
    return userInfo(row);
  }

  /** A user by user name or id, or 404. */
  async find(nameOrId: string): Promise<UserInfo> {
    const row = (await this.rowByUsername(nameOrId)) ?? (await this.row(nameOrId));
    if (!row) throw outcomeError('notFound', `No user "${nameOrId}"`);
    return userInfo(row);
  }

  /** Every user, by user name. */
  async list(): Promise<UserInfo[]> {
    const rows = await this.deps.db.selectFrom('auth_users').selectAll().orderBy('username').execute();
    return rows.map(userInfo);
  }

  /** Adds a user; returns it and, when no password was given, the one-time password. */
  async add(input: NewUser): Promise<{ user: UserInfo; oneTimePassword?: string }> {
    const username = normalizeUsername(input.username);
    const role = parseRole(input.role);
    if (input.practitionerId !== undefined && !/^[A-Za-z0-9\-.]{1,64}$/.test(input.practitionerId)) {
      throw outcomeError('badRequest', `practitionerId "${input.practitionerId}" is not a FHIR id`, 'practitionerId');
    }
    const generated = input.password === undefined ? oneTimePassword(this.deps.random) : undefined;
    const password = input.password ?? (generated as string);
    if (input.password !== undefined) checkPassword(password, { username });
    if (await this.rowByUsername(username)) throw outcomeError('conflict', `User name "${username}" is taken (user names of disabled users are kept too)`, 'username');
    const hash = this.deps.crypto.seal(await hashPassword(password, this.argon2));
    const now = this.deps.clock.now();
    const row: AuthUsersTable = {
      id: crypto.randomUUID(),
      username,
      display_name: input.displayName?.trim() || username,
      role,
      practitioner_id: input.practitionerId ?? null,
      disabled: 0,
      password_hash: hash,
      must_change_password: generated ? 1 : 0,
      totp_secret: null,
      totp_enabled: 0,
      totp_last_step: null,
      demo: input.demo ? 1 : 0,
      created_at: now,
      updated_at: now,
    };
    await this.deps.writes.run(async (tx) => {
      const db = authDb(tx);
      if (await db.selectFrom('auth_users').select('id').where('username', '=', username).executeTakeFirst()) {
        throw outcomeError('conflict', `User name "${username}" is taken`, 'username');
      }
      await db.insertInto('auth_users').values(row).execute();
    });
    this.deps.onChange?.(row.id, 'added', `role ${role}`);
    return { user: userInfo(row), ...(generated ? { oneTimePassword: generated } : {}) };
  }

  private async update(id: string, values: Partial<AuthUsersTable>): Promise<UserInfo> {
    const existing = await this.row(id);
    if (!existing) throw outcomeError('notFound', `No user with id ${id}`);
    await this.deps.writes.run(async (tx) => {
      await authDb(tx)
        .updateTable('auth_users')
        .set({ ...values, updated_at: this.deps.clock.now() })
        .where('id', '=', id)
        .execute();
    });
    return this.get(id);
  }

  /** Disables a user and ends their sessions at once (the row and id stay). */
  async disable(id: string): Promise<UserInfo> {
    const user = await this.update(id, { disabled: 1 });
    await this.deps.onCredentialsChanged?.(id, 'user disabled');
    this.deps.onChange?.(id, 'disabled');
    return user;
  }

  /** Enables a disabled user. */
  async enable(id: string): Promise<UserInfo> {
    const user = await this.update(id, { disabled: 0 });
    this.deps.onChange?.(id, 'enabled');
    return user;
  }

  /** Changes a user's role (their sessions end, so the new role applies at once). */
  async setRole(id: string, role: string): Promise<UserInfo> {
    const user = await this.update(id, { role: parseRole(role) });
    await this.deps.onCredentialsChanged?.(id, 'role changed');
    this.deps.onChange?.(id, 'role-changed', `role ${user.role}`);
    return user;
  }

  /** Sets a new one-time password (to be changed at next sign-in) and ends the user's sessions. */
  async resetPassword(id: string): Promise<{ user: UserInfo; oneTimePassword: string }> {
    const otp = oneTimePassword(this.deps.random);
    const user = await this.update(id, { password_hash: this.deps.crypto.seal(await hashPassword(otp, this.argon2)), must_change_password: 1 });
    await this.deps.onCredentialsChanged?.(id, 'password reset');
    this.deps.onChange?.(id, 'password-reset');
    return { user, oneTimePassword: otp };
  }

  /** Sets a password chosen by an administrator (checked against the policy; no forced change). */
  async setPassword(id: string, password: string): Promise<UserInfo> {
    const row = await this.row(id);
    if (!row) throw outcomeError('notFound', `No user with id ${id}`);
    checkPassword(password, { username: row.username });
    return this.update(id, { password_hash: this.deps.crypto.seal(await hashPassword(password, this.argon2)), must_change_password: 0 });
  }

  /** A user's own password change: the current password must be right; the new one must pass the policy. */
  async changePassword(id: string, current: string, next: string): Promise<UserInfo> {
    const row = await this.row(id);
    if (!row || row.disabled) throw outcomeError('notFound', `No user with id ${id}`);
    if (!(await verifyPassword(this.deps.crypto.open(row.password_hash), current))) {
      throw outcomeError('badRequest', 'The current password is not right', 'currentPassword');
    }
    checkPassword(next, { username: row.username }, 'newPassword');
    if (next === current) throw outcomeError('badRequest', 'The new password must differ from the current one', 'newPassword');
    const user = await this.update(id, { password_hash: this.deps.crypto.seal(await hashPassword(next, this.argon2)), must_change_password: 0 });
    this.deps.onChange?.(id, 'password-changed');
    return user;
  }

  /** Stores a rehashed password (stronger parameters) after a successful sign-in. */
  async rehash(id: string, password: string): Promise<void> {
    await this.update(id, { password_hash: this.deps.crypto.seal(await hashPassword(password, this.argon2)) });
  }
}
