/**
 * Wakes long-polling change requests when the store commits a write (continuous
 * replication): listens to the store's transactions, so a change is announced within the
 * same turn as its COMMIT. Writes by another process are seen by the waiters' polling.
 */
import type { TransactionRunner } from '../store/transaction-runner.js';

/** Announces commits to waiters. */
export class ChangeNotifier {
  private waiters = new Set<() => void>();
  private readonly unsubscribe: () => void;

  constructor(writes: Pick<TransactionRunner, 'subscribe'>) {
    this.unsubscribe = writes.subscribe((event) => {
      if (event.type === 'committed') this.wake();
    });
  }

  /** Wakes every waiter now. */
  wake(): void {
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const w of waiters) w();
  }

  /** Resolves at the next commit or after `ms`, whichever comes first. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  /** Stops listening and releases every waiter. */
  close(): void {
    this.unsubscribe();
    this.wake();
  }
}
