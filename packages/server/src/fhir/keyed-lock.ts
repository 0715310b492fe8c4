/**
 * An in-process lock by key, so that a search-then-write (a conditional create) cannot race a
 * twin request in the same process. One lock per store dialect (transaction-bound
 * repositories share it). It does not span processes: see the report on advisory locks.
 */
import type { FhirRepository } from '../store/fhir-repository.js';

/** Queues callers per key; `run` holds every key it is given (in sorted order, so no deadlock). */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `fn` while holding all `keys`. */
  async run<T>(keys: readonly string[], fn: () => Promise<T>): Promise<T> {
    const releases: (() => void)[] = [];
    try {
      for (const key of [...new Set(keys)].sort()) releases.push(await this.acquire(key));
      return await fn();
    } finally {
      for (const release of releases.reverse()) release();
    }
  }

  private async acquire(key: string): Promise<() => void> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => held);
    this.tails.set(key, tail);
    await previous;
    return () => {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };
  }
}

const locks = new WeakMap<object, KeyedLock>();

/** The lock shared by every repository over the same store. */
export function lockFor(repo: FhirRepository): KeyedLock {
  let lock = locks.get(repo.dialect);
  if (!lock) {
    lock = new KeyedLock();
    locks.set(repo.dialect, lock);
  }
  return lock;
}

/** The lock key of conditional creates on a resource type. */
export function conditionalCreateKey(type: string): string {
  return `conditional-create:${type}`;
}
