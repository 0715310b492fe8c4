/**
 * The store's source of time, injectable so that tests of timestamps, batching and
 * timeouts are deterministic (STYLE habit 14).
 */

/** Epoch milliseconds, like `Date.now()`. */
export interface Clock {
  now(): number;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => Date.now() };
