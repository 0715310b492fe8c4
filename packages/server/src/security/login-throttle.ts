/**
 * Throttling of sign-in guesses (ASVS 5.0 §6.3.1): counters of failures per key — the user
 * name tried (`u:`), the network address (`a:`), or a trusted device (`d:`) — each with an
 * exponential backoff after a few free failures and a hard cap per hour. A device that
 * already signed in as a user has its own counter, so an attacker hammering the account
 * from elsewhere slows himself without locking the real user out (OWASP "device cookies").
 * The user name counts whether or not such a user exists: unknown and real users answer alike.
 */
import type { Clock } from '../store/clock.js';
import type { TransactionRunner } from '../store/transaction-runner.js';
import type { AuthDb, AuthThrottleTable } from './auth-tables.js';
import { authDb } from './auth-tables.js';

export interface ThrottleLimits {
  /** Failures allowed before any delay. */
  freeFailures: number;
  /** First delay; doubles with each further failure. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Counters reset after this long without a failure; the cap counts within it. */
  windowMs: number;
  /** Hard cap on failures per window. */
  maxPerWindow: number;
}

export type ThrottleKeyKind = 'u' | 'a' | 'd';

/** Defaults: an account or device allows 5 free failures, then 1 s, 2 s, 4 s… up to 15 min (so well under 100 an hour). */
export const THROTTLE_LIMITS: Record<ThrottleKeyKind, ThrottleLimits> = {
  u: { freeFailures: 5, baseDelayMs: 1_000, maxDelayMs: 15 * 60_000, windowMs: 60 * 60_000, maxPerWindow: 100 },
  d: { freeFailures: 5, baseDelayMs: 1_000, maxDelayMs: 15 * 60_000, windowMs: 60 * 60_000, maxPerWindow: 100 },
  // An address may be a whole clinic behind one router: more free failures, same backoff.
  a: { freeFailures: 20, baseDelayMs: 1_000, maxDelayMs: 15 * 60_000, windowMs: 60 * 60_000, maxPerWindow: 300 },
};

type Counter = Pick<AuthThrottleTable, 'failures' | 'first_failure' | 'last_failure' | 'blocked_until'>;

/** The counter after one more failure at `now` (the one decision function of the throttle). */
export function afterFailure(prev: Counter | undefined, now: number, limits: ThrottleLimits): Counter {
  const fresh = !prev || now - prev.last_failure >= limits.windowMs;
  const failures = fresh ? 1 : prev.failures + 1;
  const first = fresh ? now : prev.first_failure;
  const over = failures - limits.freeFailures;
  let blocked = over > 0 ? now + Math.min(limits.baseDelayMs * 2 ** Math.min(over - 1, 30), limits.maxDelayMs) : now;
  if (failures >= limits.maxPerWindow) blocked = Math.max(blocked, first + limits.windowMs);
  return { failures, first_failure: first, last_failure: now, blocked_until: blocked };
}

/** Milliseconds until a key may try again (0: now). */
export function retryAfter(counter: Counter | undefined, now: number): number {
  return counter ? Math.max(0, counter.blocked_until - now) : 0;
}

/** Failure counters in the store. */
export class LoginThrottle {
  constructor(
    private readonly db: AuthDb,
    private readonly writes: TransactionRunner,
    private readonly clock: Clock,
    private readonly limits: Record<ThrottleKeyKind, ThrottleLimits> = THROTTLE_LIMITS,
  ) {}

  /** The longest wait among `keys` (ms; 0 when all may try now). */
  async wait(keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return 0;
    const rows = await this.db.selectFrom('auth_throttle').selectAll().where('key', 'in', keys).execute();
    const now = this.clock.now();
    return Math.max(0, ...rows.map((r) => retryAfter(r, now)));
  }

  /** Counts one failure against every key. */
  async failed(keys: readonly string[]): Promise<void> {
    const now = this.clock.now();
    await this.writes.run(async (tx) => {
      const db = authDb(tx);
      for (const key of keys) {
        const prev = await db.selectFrom('auth_throttle').selectAll().where('key', '=', key).executeTakeFirst();
        const next = afterFailure(prev, now, this.limits[key.slice(0, 1) as ThrottleKeyKind] ?? THROTTLE_LIMITS.u);
        if (prev) await db.updateTable('auth_throttle').set(next).where('key', '=', key).execute();
        else await db.insertInto('auth_throttle').values({ key, ...next }).execute();
      }
    });
  }

  /** Clears the counters of `keys` (after a successful sign-in). */
  async succeeded(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.writes.run(async (tx) => {
      await authDb(tx).deleteFrom('auth_throttle').where('key', 'in', keys).execute();
    });
  }
}
