/**
 * Browser sessions: 256-bit random tokens (the cookie) stored only as keyed hashes; an idle
 * timeout (default 15 min) and an absolute lifetime (default 12 h) checked on every request;
 * server-side revocation (logout, "end this session", disabling the user). The CSRF token of
 * a session is derived from its token, so it needs no storage and dies with the session.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../store/clock.js';
import type { TransactionRunner } from '../store/transaction-runner.js';
import type { AuthDb, AuthSessionsTable, AuthUsersTable } from './auth-tables.js';
import { authDb } from './auth-tables.js';
import type { CredentialCrypto } from './credential-crypto.js';
import type { RandomSource } from './random-source.js';
import { randomToken } from './random-source.js';

export interface SessionLimits {
  idleMs: number;
  absoluteMs: number;
  /** last_seen_at is written at most this often (a write per request would slow reads). */
  touchEveryMs: number;
}

export const SESSION_LIMITS: SessionLimits = { idleMs: 15 * 60_000, absoluteMs: 12 * 60 * 60_000, touchEveryMs: 30_000 };

/** A session as its owner sees it in "my sessions". */
export interface SessionInfo {
  id: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  address?: string;
  userAgent?: string;
  current?: boolean;
}

/** Why a session stopped: checked in this order. */
export type SessionEnd = 'ended' | 'user-disabled' | 'expired' | 'idle';

/** Decides whether a session row is still valid at `now` (the one decision function). */
export function sessionState(s: Pick<AuthSessionsTable, 'ended_at' | 'last_seen_at' | 'expires_at'>, user: Pick<AuthUsersTable, 'disabled'> | undefined, now: number, limits: SessionLimits): SessionEnd | 'active' {
  if (s.ended_at !== null) return 'ended';
  if (!user || user.disabled) return 'user-disabled';
  if (now >= s.expires_at) return 'expired';
  if (now - s.last_seen_at >= limits.idleMs) return 'idle';
  return 'active';
}

/** The CSRF token of a session token (SHA-256, base64url). */
export function csrfTokenFor(sessionToken: string): string {
  return createHash('sha256').update('chartroom csrf|').update(sessionToken).digest('base64url');
}

export function sessionInfo(s: AuthSessionsTable, currentId?: string): SessionInfo {
  return {
    id: s.id,
    createdAt: new Date(s.created_at).toISOString(),
    lastSeenAt: new Date(s.last_seen_at).toISOString(),
    expiresAt: new Date(s.expires_at).toISOString(),
    ...(s.address ? { address: s.address } : {}),
    ...(s.user_agent ? { userAgent: s.user_agent } : {}),
    ...(currentId !== undefined ? { current: s.id === currentId } : {}),
  };
}

/** The sessions service. */
export class Sessions {
  constructor(
    private readonly db: AuthDb,
    private readonly writes: TransactionRunner,
    private readonly crypto: CredentialCrypto,
    private readonly clock: Clock,
    private readonly random: RandomSource,
    readonly limits: SessionLimits = SESSION_LIMITS,
  ) {}

  /** Starts a session; returns its token (for the cookie, never stored) and row. */
  async create(userId: string, meta: { address?: string; userAgent?: string; mfaAt?: number }): Promise<{ token: string; session: AuthSessionsTable }> {
    const token = randomToken(this.random, 32);
    const now = this.clock.now();
    const session: AuthSessionsTable = {
      id: this.random.bytes(16).toString('hex'),
      token_hash: this.crypto.digest(token),
      user_id: userId,
      created_at: now,
      last_seen_at: now,
      expires_at: now + this.limits.absoluteMs,
      ended_at: null,
      end_reason: null,
      address: meta.address?.slice(0, 100) ?? null,
      user_agent: meta.userAgent?.slice(0, 300) ?? null,
      mfa_at: meta.mfaAt ?? null,
    };
    await this.writes.run(async (tx) => {
      await authDb(tx).insertInto('auth_sessions').values(session).execute();
    });
    return { token, session };
  }

  /**
   * The active session and its user for a cookie token, or undefined. An idle or expired
   * session is ended on the way (server-side); an active one has its last-seen time moved.
   */
  async authenticate(token: string): Promise<{ session: AuthSessionsTable; user: AuthUsersTable } | undefined> {
    if (token.length < 20 || token.length > 100) return undefined;
    const session = await this.db.selectFrom('auth_sessions').selectAll().where('token_hash', '=', this.crypto.digest(token)).executeTakeFirst();
    if (!session) return undefined;
    const user = await this.db.selectFrom('auth_users').selectAll().where('id', '=', session.user_id).executeTakeFirst();
    const now = this.clock.now();
    const state = sessionState(session, user, now, this.limits);
    if (state !== 'active' || !user) {
      if (state !== 'ended') await this.end(session.id, state);
      return undefined;
    }
    if (now - session.last_seen_at >= this.limits.touchEveryMs) await this.touch(session.id, now);
    return { session, user };
  }

  /** Moves the last-seen time (also on unlock). */
  async touch(id: string, now = this.clock.now(), mfaAt?: number): Promise<void> {
    await this.writes.run(async (tx) => {
      await authDb(tx)
        .updateTable('auth_sessions')
        .set({ last_seen_at: now, ...(mfaAt !== undefined ? { mfa_at: mfaAt } : {}) })
        .where('id', '=', id)
        .where('ended_at', 'is', null)
        .execute();
    });
  }

  /** Ends one session. */
  async end(id: string, reason: string): Promise<void> {
    await this.writes.run(async (tx) => {
      await authDb(tx).updateTable('auth_sessions').set({ ended_at: this.clock.now(), end_reason: reason }).where('id', '=', id).where('ended_at', 'is', null).execute();
    });
  }

  /** Ends every session of a user (but `exceptId`); returns how many. */
  async endAll(userId: string, reason: string, exceptId?: string): Promise<number> {
    return this.writes.run(async (tx) => {
      let q = authDb(tx).updateTable('auth_sessions').set({ ended_at: this.clock.now(), end_reason: reason }).where('user_id', '=', userId).where('ended_at', 'is', null);
      if (exceptId !== undefined) q = q.where('id', '!=', exceptId);
      const r = await q.executeTakeFirst();
      return Number(r.numUpdatedRows);
    });
  }

  /** A user's sessions that are still active at `now`. */
  async list(userId: string): Promise<AuthSessionsTable[]> {
    const now = this.clock.now();
    const rows = await this.db
      .selectFrom('auth_sessions')
      .selectAll()
      .where('user_id', '=', userId)
      .where('ended_at', 'is', null)
      .where('expires_at', '>', now)
      .where('last_seen_at', '>', now - this.limits.idleMs)
      .orderBy('created_at', 'desc')
      .execute();
    return rows;
  }
}

/**
 * Trusted devices: a long-lived random cookie set at a successful sign-in. A device that holds
 * one for a user is throttled on its own counter (see login-throttle.ts).
 */
export class TrustedDevices {
  constructor(
    private readonly db: AuthDb,
    private readonly writes: TransactionRunner,
    private readonly crypto: CredentialCrypto,
    private readonly clock: Clock,
    private readonly random: RandomSource,
  ) {}

  /** The device id when `token` is a device cookie issued to `userId`. */
  async find(token: string | undefined, userId: string | undefined): Promise<string | undefined> {
    if (!token || !userId || token.length > 100) return undefined;
    const row = await this.db.selectFrom('auth_devices').select(['id', 'user_id']).where('token_hash', '=', this.crypto.digest(token)).executeTakeFirst();
    return row && row.user_id === userId ? row.id : undefined;
  }

  /** Issues a device cookie token for a user. */
  async issue(userId: string): Promise<string> {
    const token = randomToken(this.random, 32);
    const now = this.clock.now();
    await this.writes.run(async (tx) => {
      await authDb(tx)
        .insertInto('auth_devices')
        .values({ id: this.random.bytes(12).toString('hex'), token_hash: this.crypto.digest(token), user_id: userId, created_at: now, last_used_at: now })
        .execute();
    });
    return token;
  }
}
