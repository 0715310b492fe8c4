/**
 * How write transactions reach the database, chosen by the dialect's `groupCommit` flag:
 * a {@link WriteQueue} that groups concurrent writers into one physical transaction on
 * SQLite's single connection, or one pooled transaction per write on PostgreSQL.
 */
import type { StoreDialect } from './dialect.js';
import type { Clock } from './clock.js';
import { systemClock } from './clock.js';
import { WriteQueue, WriteQueueClosedError } from './write-queue.js';
import type { WriteFn, WriteQueueLimits, WriteQueueListener, WriteQueueEvent } from './write-queue.js';

/** Runs write transactions; every implementation settles a write only after its COMMIT. */
export interface TransactionRunner {
  /** Runs `fn` in a transaction (or a savepoint of a shared one); resolves after COMMIT. */
  run<T>(fn: WriteFn<T>): Promise<T>;
  /** Observes physical transactions (how many writes each committed). */
  subscribe(listener: WriteQueueListener): () => void;
  /** Refuses new writes and waits for the accepted ones to settle. */
  close(): Promise<void>;
}

export interface TransactionRunnerOptions {
  clock?: Clock;
  /** Group size limits, for dialects with group commit. */
  groupCommit?: Partial<WriteQueueLimits>;
}

/** Attempts of a transaction that keeps losing races (see StoreDialect.isTransientConflict). */
const MAX_ATTEMPTS = 4;

/**
 * One transaction per write from the connection pool (PostgreSQL). A transaction that
 * lost a race (two PUTs creating the same id: the loser hits the unique key) runs again,
 * and then sees the winner's row like any later writer would.
 */
export class PooledTransactions implements TransactionRunner {
  private readonly listeners = new Set<WriteQueueListener>();
  private closed = false;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly dialect: StoreDialect,
    private readonly clock: Clock = systemClock,
  ) {}

  run<T>(fn: WriteFn<T>): Promise<T> {
    if (this.closed) return Promise.reject(new WriteQueueClosedError());
    const p = this.attempt(fn, 1);
    const tracked = p.then(
      () => undefined,
      () => undefined,
    );
    this.inFlight.add(tracked);
    void tracked.then(() => this.inFlight.delete(tracked));
    return p;
  }

  private async attempt<T>(fn: WriteFn<T>, attempt: number): Promise<T> {
    const started = this.clock.now();
    let commitStarted = started;
    let committing = false;
    let value: T;
    try {
      value = await this.dialect.db.transaction().execute(async (tx) => {
        const result = await fn(tx);
        commitStarted = this.clock.now();
        committing = true;
        return result;
      });
    } catch (error) {
      if (attempt < MAX_ATTEMPTS && this.dialect.isTransientConflict(error)) return this.attempt(fn, attempt + 1);
      // The connection died before COMMIT was sent, so nothing was written: run it again on
      // a new connection. During COMMIT the outcome is unknown, so that error is reported.
      if (attempt < MAX_ATTEMPTS && !committing && this.dialect.isConnectionLost(error)) {
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
        return this.attempt(fn, attempt + 1);
      }
      throw error;
    }
    const now = this.clock.now();
    this.emit({ type: 'committed', ops: 1, failed: 0, ms: now - started, commitMs: now - commitStarted });
    return value;
  }

  subscribe(listener: WriteQueueListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.inFlight);
  }

  private emit(event: WriteQueueEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        console.error('chartroom: a transaction listener failed', event.type, err);
      }
    }
  }
}

/** The transaction runner a dialect calls for. */
export function openTransactionRunner(dialect: StoreDialect, options: TransactionRunnerOptions = {}): TransactionRunner {
  const clock = options.clock ?? systemClock;
  return dialect.groupCommit ? new WriteQueue(dialect.db, clock, options.groupCommit, dialect.durability) : new PooledTransactions(dialect, clock);
}
