/**
 * Authentication for a node, transport-free: sign-in (password, then TOTP or a recovery
 * code), throttling, sessions, MFA enrolment, bearer tokens, and the {@link Principal} each
 * credential stands for. The HTTP routes and the CLI are thin adapters over this.
 */
import { OutcomeError, outcomeError } from '@chartroom/core';
import type { Principal, Role, UserId } from '@chartroom/core';
import type { Clock } from '../store/clock.js';
import { systemClock } from '../store/clock.js';
import type { StoreDialect } from '../store/dialect.js';
import type { TransactionRunner } from '../store/transaction-runner.js';
import { Accounts, parseRole, userInfo } from './accounts.js';
import type { AccountChange, UserInfo } from './accounts.js';
import { ApiTokens } from './api-tokens.js';
import { authDb } from './auth-tables.js';
import type { AuthDb, AuthUsersTable } from './auth-tables.js';
import { authError } from './auth-outcome.js';
import type { CredentialCrypto } from './credential-crypto.js';
import { LoginThrottle, THROTTLE_LIMITS } from './login-throttle.js';
import type { ThrottleKeyKind, ThrottleLimits } from './login-throttle.js';
import { ARGON2_PARAMS, hashPassword, needsRehash, verifyPassword } from './password-hash.js';
import type { Argon2Params } from './password-hash.js';
import { systemRandom } from './random-source.js';
import type { RandomSource } from './random-source.js';
import { RECOVERY_CODE_COUNT, newRecoveryCode, normalizeRecoveryCode } from './recovery-codes.js';
import { SESSION_LIMITS, Sessions, TrustedDevices, csrfTokenFor } from './sessions.js';
import type { SessionLimits } from './sessions.js';
import { newTotpSecret, totpCode, totpEnrolment, verifyTotp } from './totp.js';
import type { TotpEnrolment } from './totp.js';

export interface AuthSettings {
  session: SessionLimits;
  throttle: Record<ThrottleKeyKind, ThrottleLimits>;
  argon2: Argon2Params;
  /** Roles that must enrol a second factor before doing anything else (practice setting). */
  mfaRequiredRoles: readonly Role[];
}

export const DEFAULT_AUTH_SETTINGS: AuthSettings = {
  session: SESSION_LIMITS,
  throttle: THROTTLE_LIMITS,
  argon2: ARGON2_PARAMS,
  mfaRequiredRoles: ['admin', 'clinician'],
};

/** Settings from the practice's `config.json` (`mfaRequiredRoles`), checked; unknown roles are refused. */
export function mfaSettings(roles: readonly string[] | undefined): Partial<AuthSettings> {
  if (roles === undefined) return {};
  return { mfaRequiredRoles: roles.map((r) => parseRole(r)) };
}

/**
 * What authentication tells the audit trail (sign-ins, failures, sign-outs, account and
 * privilege changes). Listeners must not throw; an error is logged and ignored.
 */
export type AuthEvent =
  | { type: 'login'; outcome: 'success' | 'failure' | 'throttled' | 'mfa-required'; username: string; userId?: string; address?: string; sessionId?: string }
  | { type: 'logout'; userId: string; sessionId: string; reason: string }
  | { type: 'account'; change: AccountChange; userId: string; detail?: string };

export interface AuthServiceDeps {
  dialect: StoreDialect;
  writes: TransactionRunner;
  crypto: CredentialCrypto;
  clock?: Clock;
  random?: RandomSource;
  settings?: Partial<AuthSettings>;
  /** Receives authentication events (the audit trail subscribes here). */
  onEvent?: (event: AuthEvent) => void;
}

/** What a session is limited to until its user acts. */
export type SessionRestriction = 'password-change-required' | 'mfa-enrolment-required';

/** The answer to a successful sign-in (and to GET /api/session). */
export interface SessionView {
  user: { id: UserId; username: string; displayName: string; role: Role; practitionerId?: string };
  csrfToken: string;
  mfaEnrolled: boolean;
  /** Present when the session may only change its password or enrol MFA. */
  restriction?: SessionRestriction;
  mustChangePassword: boolean;
}

export interface LoginInput {
  username: string;
  password: string;
  code?: string;
  address?: string;
  userAgent?: string;
  deviceToken?: string;
}

export interface LoginResult {
  sessionToken: string;
  sessionId: string;
  view: SessionView;
  /** A new trusted-device token to set as a cookie (when the device had none for this user). */
  newDeviceToken?: string;
}

/** An authenticated credential: its principal and, for sessions, what the session is limited to. */
export interface Authenticated {
  principal: Principal;
  user: AuthUsersTable;
  /** The cookie session's token (for the CSRF check); absent for bearer tokens. */
  sessionToken?: string;
  restriction?: SessionRestriction;
}

const WRONG_CREDENTIALS = 'Wrong user name or password';

/** The authentication service of a node. */
export class AuthService {
  readonly accounts: Accounts;
  readonly sessions: Sessions;
  readonly tokens: ApiTokens;
  readonly devices: TrustedDevices;
  readonly throttle: LoginThrottle;
  readonly settings: AuthSettings;
  private readonly db: AuthDb;
  private readonly clock: Clock;
  private readonly random: RandomSource;
  private dummyHash: Promise<string> | undefined;

  constructor(private readonly deps: AuthServiceDeps) {
    this.settings = { ...DEFAULT_AUTH_SETTINGS, ...deps.settings };
    this.clock = deps.clock ?? systemClock;
    this.random = deps.random ?? systemRandom;
    this.db = authDb(deps.dialect.db);
    this.sessions = new Sessions(this.db, deps.writes, deps.crypto, this.clock, this.random, this.settings.session);
    this.devices = new TrustedDevices(this.db, deps.writes, deps.crypto, this.clock, this.random);
    this.throttle = new LoginThrottle(this.db, deps.writes, this.clock, this.settings.throttle);
    this.tokens = new ApiTokens(this.db, deps.writes, deps.crypto, this.clock, this.random);
    this.accounts = new Accounts({
      db: this.db,
      writes: deps.writes,
      crypto: deps.crypto,
      clock: this.clock,
      random: this.random,
      argon2: this.settings.argon2,
      onCredentialsChanged: async (userId, reason) => {
        await this.sessions.endAll(userId, reason);
      },
      onChange: (userId, change, detail) => this.emit({ type: 'account', change, userId, ...(detail !== undefined ? { detail } : {}) }),
    });
  }

  /** Sends an event to the listener, if any (never throws). */
  emit(event: AuthEvent): void {
    try {
      this.deps.onEvent?.(event);
    } catch (err) {
      console.error('chartroom: an authentication event listener failed', event.type, err);
    }
  }

  /** The service's clock reading (ms). */
  now(): number {
    return this.clock.now();
  }

  /** True when `password` is the user's password. */
  passwordMatches(row: AuthUsersTable, password: string): Promise<boolean> {
    return verifyPassword(this.deps.crypto.open(row.password_hash), password);
  }

  /** A hash to verify against for unknown users, so they take as long as real ones. */
  private dummy(): Promise<string> {
    this.dummyHash ??= hashPassword(this.random.bytes(16).toString('hex'), this.settings.argon2);
    return this.dummyHash;
  }

  /** What a session of this user is limited to, if anything. */
  restrictionOf(user: AuthUsersTable): SessionRestriction | undefined {
    if (user.must_change_password) return 'password-change-required';
    if (!user.totp_enabled && this.settings.mfaRequiredRoles.includes(user.role as Role)) return 'mfa-enrolment-required';
    return undefined;
  }

  /** The session body of the shared API contract. */
  view(user: AuthUsersTable, sessionToken: string): SessionView {
    const info = userInfo(user);
    const restriction = this.restrictionOf(user);
    return {
      user: { id: info.id, username: info.username, displayName: info.displayName, role: info.role, ...(info.practitionerId ? { practitionerId: info.practitionerId } : {}) },
      csrfToken: csrfTokenFor(sessionToken),
      mfaEnrolled: info.mfaEnrolled,
      mustChangePassword: info.mustChangePassword,
      ...(restriction ? { restriction } : {}),
    };
  }

  /**
   * Signs in. Unknown user, wrong password and disabled user give the same 401 after the same
   * work (one argon2 verification); a throttled attempt gets 429 before any verification.
   * The right password without the needed code gives 401 `mfa-required`.
   */
  async login(input: LoginInput): Promise<LoginResult> {
    const base = { type: 'login' as const, username: String(input.username ?? '').trim().toLowerCase().slice(0, 100), ...(input.address !== undefined ? { address: input.address } : {}) };
    try {
      const r = await this.signIn(input);
      this.emit({ ...base, outcome: 'success', userId: r.view.user.id, sessionId: r.sessionId });
      return r;
    } catch (err) {
      const code = err instanceof OutcomeError ? err.outcome.issue[0]?.details?.coding?.[0]?.code : undefined;
      const outcome = !(err instanceof OutcomeError) ? 'failure' : err.kind === 'tooManyRequests' ? 'throttled' : code === 'mfa-required' && !/not valid/.test(err.message) ? 'mfa-required' : 'failure';
      if (!(err instanceof OutcomeError && err.kind === 'badRequest')) this.emit({ ...base, outcome });
      throw err;
    }
  }

  private async signIn(input: LoginInput): Promise<LoginResult> {
    if (typeof input.username !== 'string' || typeof input.password !== 'string' || input.password.length > 1024) {
      throw outcomeError('badRequest', 'Sign-in needs a username and a password (strings)');
    }
    const username = input.username.trim().toLowerCase();
    const row = await this.accounts.rowByUsername(username);
    const deviceId = await this.devices.find(input.deviceToken, row?.id);
    const keys = deviceId ? [`d:${deviceId}`] : [`u:${username.slice(0, 100)}`, `a:${input.address ?? 'unknown'}`];
    const wait = await this.throttle.wait(keys);
    if (wait > 0) {
      throw outcomeError('tooManyRequests', `Too many failed sign-ins; try again in ${Math.ceil(wait / 1000)} s`);
    }
    const stored = row ? this.deps.crypto.open(row.password_hash) : await this.dummy();
    const passwordOk = await verifyPassword(stored, input.password);
    if (!row || !passwordOk || row.disabled) {
      await this.throttle.failed(keys);
      throw outcomeError('unauthorized', WRONG_CREDENTIALS);
    }
    let mfaAt: number | undefined;
    if (row.totp_enabled) {
      if (input.code === undefined || input.code === '') throw authError('unauthorized', 'mfa-required', 'Enter the 6-digit code from your authenticator app (or a recovery code)');
      if (!(await this.checkSecondFactor(row, String(input.code)))) {
        await this.throttle.failed(keys);
        throw authError('unauthorized', 'mfa-required', 'The code is not valid (or was already used); enter the current code from your authenticator app');
      }
      mfaAt = this.clock.now();
    }
    await this.throttle.succeeded(keys.filter((k) => !k.startsWith('a:')));
    if (needsRehash(stored, this.settings.argon2)) await this.accounts.rehash(row.id, input.password);
    const { token, session } = await this.sessions.create(row.id, { address: input.address, userAgent: input.userAgent, mfaAt });
    const newDeviceToken = deviceId ? undefined : await this.devices.issue(row.id);
    return { sessionToken: token, sessionId: session.id, view: this.view(row, token), ...(newDeviceToken ? { newDeviceToken } : {}) };
  }

  /** Checks a TOTP code (single use) or a recovery code (single use), recording the use. */
  async checkSecondFactor(row: AuthUsersTable, code: string): Promise<boolean> {
    if (!row.totp_enabled || !row.totp_secret) return false;
    const now = this.clock.now();
    const step = verifyTotp(this.deps.crypto.open(row.totp_secret), code, now, row.totp_last_step);
    if (step !== undefined) {
      // Conditional update: two requests racing with one code cannot both win.
      return this.deps.writes.run(async (tx) => {
        const db = authDb(tx);
        const r = await db
          .updateTable('auth_users')
          .set({ totp_last_step: step })
          .where('id', '=', row.id)
          .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
          .executeTakeFirst();
        return Number(r.numUpdatedRows) === 1;
      });
    }
    const normalized = normalizeRecoveryCode(code);
    if (!normalized) return false;
    const hash = this.deps.crypto.digest(`recovery|${row.id}|${normalized}`);
    return this.deps.writes.run(async (tx) => {
      const r = await authDb(tx)
        .updateTable('auth_recovery_codes')
        .set({ used_at: now })
        .where('user_id', '=', row.id)
        .where('code_hash', '=', hash)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    });
  }

  /** Authenticates a session cookie token. */
  async authenticateSession(token: string, address?: string): Promise<Authenticated | undefined> {
    const found = await this.sessions.authenticate(token);
    if (!found) return undefined;
    const { session, user } = found;
    const restriction = this.restrictionOf(user);
    return {
      principal: principalOf(user, { kind: 'session', credentialId: session.id, mfaAt: session.mfa_at ?? undefined, address }),
      user,
      sessionToken: token,
      ...(restriction ? { restriction } : {}),
    };
  }

  /** Authenticates a bearer token. */
  async authenticateToken(token: string, address?: string): Promise<Authenticated | undefined> {
    const found = await this.tokens.authenticate(token);
    if (!found) return undefined;
    const scopes = found.token.scopes.split(' ');
    if (scopes.every((s) => s.startsWith('system/'))) {
      // A backend-service token: no user context (the policy's system caller); the issuer's name is kept for the audit trail.
      const principal: Principal = { kind: 'token', username: found.user.username, credentialId: found.token.id, scopes };
      if (address !== undefined) principal.address = address;
      return { principal, user: found.user };
    }
    return { principal: principalOf(found.user, { kind: 'token', credentialId: found.token.id, scopes, address }), user: found.user };
  }

  /** The idle lock screen: the session's user types the password again. */
  async unlock(sessionId: string, user: AuthUsersTable, password: string): Promise<void> {
    const keys = [`u:${user.username}`];
    const wait = await this.throttle.wait(keys);
    if (wait > 0) throw outcomeError('tooManyRequests', `Too many failed attempts; try again in ${Math.ceil(wait / 1000)} s`);
    if (typeof password !== 'string' || !(await verifyPassword(this.deps.crypto.open(user.password_hash), password))) {
      await this.throttle.failed(keys);
      throw outcomeError('unauthorized', 'Wrong password');
    }
    await this.sessions.touch(sessionId);
  }

  /** Step-up: proves the second factor again for this session (sets its MFA time). */
  async stepUp(sessionId: string, user: AuthUsersTable, code: string): Promise<number> {
    if (!(await this.checkSecondFactor(user, code))) {
      await this.throttle.failed([`u:${user.username}`]);
      throw authError('unauthorized', 'mfa-required', 'The code is not valid (or was already used)');
    }
    const now = this.clock.now();
    await this.sessions.touch(sessionId, now, now);
    return now;
  }

  /** Starts TOTP enrolment: a new secret (not active until verified), its URI and QR code. */
  async enrolTotp(userId: string): Promise<TotpEnrolment> {
    const row = await this.accounts.row(userId);
    if (!row) throw outcomeError('notFound', `No user with id ${userId}`);
    if (row.totp_enabled) throw outcomeError('conflict', 'A second factor is already set up; disable it first to enrol a new one');
    const secret = newTotpSecret(this.random);
    await this.deps.writes.run(async (tx) => {
      await authDb(tx).updateTable('auth_users').set({ totp_secret: this.deps.crypto.seal(secret), totp_last_step: null, updated_at: this.clock.now() }).where('id', '=', userId).execute();
    });
    return totpEnrolment(secret, row.username);
  }

  /** Confirms enrolment with a first code; turns MFA on and returns new recovery codes (shown once). */
  async confirmTotp(userId: string, code: string): Promise<{ recoveryCodes: string[] }> {
    const row = await this.accounts.row(userId);
    if (!row?.totp_secret) throw outcomeError('conflict', 'Start enrolment first (POST /api/account/mfa/enrol)');
    if (row.totp_enabled) throw outcomeError('conflict', 'A second factor is already set up');
    const step = verifyTotp(this.deps.crypto.open(row.totp_secret), String(code ?? ''), this.clock.now(), row.totp_last_step);
    if (step === undefined) throw outcomeError('badRequest', 'The code is not valid; enter the current 6-digit code from your authenticator app', 'code');
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, () => newRecoveryCode(this.random));
    await this.deps.writes.run(async (tx) => {
      const db = authDb(tx);
      await db.updateTable('auth_users').set({ totp_enabled: 1, totp_last_step: step, updated_at: this.clock.now() }).where('id', '=', userId).execute();
      await db.deleteFrom('auth_recovery_codes').where('user_id', '=', userId).execute();
      await db
        .insertInto('auth_recovery_codes')
        .values(codes.map((c) => ({ user_id: userId, code_hash: this.deps.crypto.digest(`recovery|${userId}|${normalizeRecoveryCode(c) as string}`), used_at: null })))
        .execute();
    });
    this.emit({ type: 'account', change: 'mfa-enabled', userId });
    return { recoveryCodes: codes };
  }

  /** Turns MFA off for a user (their own, with password and code; or an admin reset). */
  async disableTotp(userId: string): Promise<void> {
    await this.deps.writes.run(async (tx) => {
      const db = authDb(tx);
      await db.updateTable('auth_users').set({ totp_enabled: 0, totp_secret: null, totp_last_step: null, updated_at: this.clock.now() }).where('id', '=', userId).execute();
      await db.deleteFrom('auth_recovery_codes').where('user_id', '=', userId).execute();
    });
    this.emit({ type: 'account', change: 'mfa-disabled', userId });
  }

  /** Sets up TOTP at once (demo users, tests): returns the secret. */
  async enrolTotpDirectly(userId: string): Promise<string> {
    const secret = newTotpSecret(this.random);
    await this.deps.writes.run(async (tx) => {
      await authDb(tx).updateTable('auth_users').set({ totp_secret: this.deps.crypto.seal(secret), totp_enabled: 1, totp_last_step: null }).where('id', '=', userId).execute();
    });
    return secret;
  }

  /** The current TOTP code of a demo user (refused for real users). */
  async demoTotpCode(nameOrId: string): Promise<string> {
    const user = await this.accounts.find(nameOrId);
    const row = await this.accounts.row(user.id);
    if (!row?.demo) throw outcomeError('forbidden', `${user.username} is not a demo user; its codes come only from its authenticator app`);
    if (!row.totp_enabled || !row.totp_secret) throw outcomeError('conflict', `${user.username} has no second factor set up`);
    return totpCode(this.deps.crypto.open(row.totp_secret), this.clock.now());
  }

  /** The TOTP secret of a demo user (for printing its otpauth URI). */
  async demoTotpSecret(userId: string): Promise<string | undefined> {
    const row = await this.accounts.row(userId);
    return row?.demo && row.totp_secret ? this.deps.crypto.open(row.totp_secret) : undefined;
  }
}

/** The principal a user's credential stands for. */
export function principalOf(user: AuthUsersTable, c: Pick<Principal, 'kind' | 'credentialId' | 'scopes' | 'mfaAt' | 'address'>): Principal {
  const p: Principal = { kind: c.kind, userId: user.id as UserId, username: user.username, role: user.role as Role };
  if (user.practitioner_id) p.practitionerId = user.practitioner_id;
  if (c.credentialId !== undefined) p.credentialId = c.credentialId;
  if (c.scopes !== undefined) p.scopes = c.scopes;
  if (c.mfaAt !== undefined) p.mfaAt = c.mfaAt;
  if (c.address !== undefined) p.address = c.address;
  return p;
}

export type { AccountChange, UserInfo };
