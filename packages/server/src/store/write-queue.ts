/**
 * Group commit for a store with one connection (SQLite): write transactions that arrive
 * while a batch is being written or committed run together in ONE physical transaction,
 * each inside its own SAVEPOINT, and share one COMMIT — one fsync for many writers.
 *
 * - A failing write is rolled back to its savepoint alone and gets its own error.
 * - Every promise settles only after COMMIT returns; when COMMIT fails, all are rejected
 *   with the commit error (a failed write's outcome may rest on writes that were lost).
 * - The batch holds the connection from BEGIN to COMMIT. Kysely's SQLite driver lets one
 *   user at a time have the connection (a FIFO mutex), so reads outside the batch run only
 *   between batches and never see a write that is not yet committed.
 *
 * - With a {@link CommitDurability} (SQLite in WAL mode), COMMIT does not wait for the disk;
 *   the group's promises settle after the WAL's fdatasync, which runs off the main thread
 *   while the next group is written (see wal-sync.ts for why that is as durable).
 *
 * The state lives in one object and {@link decideWriteQueue} decides every step
 * (after automerge-repo's synchronizer); the clock is injectable.
 */
import { CompiledQuery } from 'kysely';
import type { ControlledTransaction, Kysely, Transaction } from 'kysely';
import type { ChartDatabase } from './schema.js';
import type { Clock } from './clock.js';
import type { CommitDurability } from './wal-sync.js';

/** How large a group may grow before it commits, and how long it waits for writers. */
export interface WriteQueueLimits {
  /** Writes per physical transaction. */
  readonly maxBatchOps: number;
  /** Milliseconds from BEGIN after which no more writes join; the batch commits. */
  readonly maxBatchMs: number;
  /**
   * Extra turns of the event loop a new group may wait while writers keep arriving (more
   * were waiting after the last turn than before it): concurrent clients that were just
   * answered are sending their next writes. A lone writer never waits. Turns, not time: a
   * turn handles the I/O that is ready and costs next to nothing when none is.
   */
  readonly maxLingerTicks: number;
}

/** Defaults: large enough to absorb any burst of HTTP writers, small enough to bound latency. */
export const DEFAULT_WRITE_QUEUE_LIMITS: WriteQueueLimits = { maxBatchOps: 256, maxBatchMs: 50, maxLingerTicks: 2 } as const;

/**
 * A write transaction's body. It must use only `tx` (STYLE habit 8): a write through the
 * store's root handle from inside it would wait for the group that waits for it. (Not
 * detected: AsyncLocalStorage would enable promise hooks process-wide, measured at
 * 7-15% more CPU per write.)
 */
export type WriteFn<T> = (tx: Transaction<ChartDatabase>) => Promise<T>;

type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

interface WriteJob {
  readonly fn: WriteFn<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  outcome: Outcome | undefined;
}

/** Where the queue is in its cycle: idle → scheduled → open (running writes) → committing → idle. */
export type WriteQueuePhase = 'idle' | 'scheduled' | 'open' | 'committing';

/** Everything the queue knows, in one object. */
export interface WriteQueueState {
  phase: WriteQueuePhase;
  /** True while a step (a turn of the event loop, BEGIN, a write, COMMIT) is awaited. */
  busy: boolean;
  /** Writes waiting for a batch, in arrival order. */
  readonly pending: WriteJob[];
  /** Writes run in the open transaction, awaiting COMMIT. */
  readonly batch: WriteJob[];
  /** Clock time of BEGIN. */
  batchStartedAt: number;
  /** Turns of the event loop this group has waited for more writers. */
  lingerTicks: number;
  /** Writes that were waiting when the group last yielded a turn of the event loop. */
  pendingAtLastTurn: number;
  /** No new writes are accepted. */
  closed: boolean;
  /** Committed groups whose writes wait for the disk before they settle. */
  syncing: number;
}

/** The next thing the queue does. */
export type WriteQueueStep =
  /** Nothing to do now (no writes, or a step is in flight). */
  | { readonly kind: 'rest' }
  /** Writes are waiting: begin on the next turn of the event loop, so writers arriving in this one join. */
  | { readonly kind: 'schedule' }
  /** Writers kept arriving during the last turn: give the others one more turn to arrive. */
  | { readonly kind: 'linger' }
  /** Open the physical transaction. */
  | { readonly kind: 'begin' }
  /** Run the first pending write inside its own savepoint. */
  | { readonly kind: 'run' }
  /** Commit the batch and settle its promises. */
  | { readonly kind: 'commit' }
  /** Nothing was left to run: back to idle. */
  | { readonly kind: 'settle' };

/** The one decision function: the next step for `state` at clock time `now`. */
export function decideWriteQueue(state: Readonly<WriteQueueState>, now: number, limits: WriteQueueLimits): WriteQueueStep {
  if (state.busy) return { kind: 'rest' };
  switch (state.phase) {
    case 'idle':
      return state.pending.length > 0 ? { kind: 'schedule' } : { kind: 'rest' };
    case 'scheduled':
      if (state.pending.length === 0) return { kind: 'settle' };
      if (state.pending.length > state.pendingAtLastTurn && state.pending.length < limits.maxBatchOps && state.lingerTicks < limits.maxLingerTicks) {
        return { kind: 'linger' };
      }
      return { kind: 'begin' };
    case 'open': {
      const full = state.batch.length >= limits.maxBatchOps || now - state.batchStartedAt >= limits.maxBatchMs;
      return state.pending.length > 0 && !full ? { kind: 'run' } : { kind: 'commit' };
    }
    case 'committing':
      return { kind: 'rest' };
    default:
      throw new Error(`Unknown write queue phase ${String(state.phase satisfies never)}`);
  }
}

/** What the queue reports after each physical transaction. */
export type WriteQueueEvent =
  /** `ms` runs from BEGIN to the end of COMMIT; `commitMs` is the COMMIT (the fsync) alone. */
  | { readonly type: 'committed'; readonly ops: number; readonly failed: number; readonly ms: number; readonly commitMs: number }
  /** The committed group's writes reached stable storage `syncMs` after COMMIT returned. */
  | { readonly type: 'synced'; readonly ops: number; readonly syncMs: number }
  | { readonly type: 'sync-failed'; readonly ops: number; readonly error: unknown }
  | { readonly type: 'commit-failed'; readonly ops: number; readonly error: unknown }
  | { readonly type: 'aborted'; readonly ops: number; readonly error: unknown };

export type WriteQueueListener = (event: WriteQueueEvent) => void;

/** Raised for a write submitted after {@link WriteQueue.close}. */
export class WriteQueueClosedError extends Error {
  constructor() {
    super('The store is closed; the write was not made.');
    this.name = 'WriteQueueClosedError';
  }
}

// Savepoint statements, the same in SQLite and PostgreSQL; compiled once, not per write.
const SAVEPOINT = CompiledQuery.raw('SAVEPOINT chartroom_write');
const ROLLBACK_TO_SAVEPOINT = CompiledQuery.raw('ROLLBACK TO SAVEPOINT chartroom_write');
const RELEASE_SAVEPOINT = CompiledQuery.raw('RELEASE SAVEPOINT chartroom_write');

/** Group commit over one Kysely SQLite handle; see the module comment. */
export class WriteQueue {
  readonly state: WriteQueueState = {
    phase: 'idle',
    busy: false,
    pending: [],
    batch: [],
    batchStartedAt: 0,
    lingerTicks: 0,
    pendingAtLastTurn: 0,
    closed: false,
    syncing: 0,
  };
  private readonly limits: WriteQueueLimits;
  private readonly listeners = new Set<WriteQueueListener>();
  private readonly drained: (() => void)[] = [];
  private trx: ControlledTransaction<ChartDatabase> | undefined;

  constructor(
    private readonly db: Kysely<ChartDatabase>,
    private readonly clock: Clock,
    limits: Partial<WriteQueueLimits> = {},
    private readonly durability?: CommitDurability,
  ) {
    this.limits = { ...DEFAULT_WRITE_QUEUE_LIMITS, ...limits };
  }

  /** Runs `fn` as one write in the next group; settles after that group's COMMIT. */
  run<T>(fn: WriteFn<T>): Promise<T> {
    if (this.state.closed) return Promise.reject(new WriteQueueClosedError());
    return new Promise<T>((resolve, reject) => {
      this.state.pending.push({ fn, resolve: resolve as (value: unknown) => void, reject, outcome: undefined });
      void this.drive();
    });
  }

  /** Registers a listener for batch events; returns the unsubscribe function. */
  subscribe(listener: WriteQueueListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Refuses new writes and resolves once every accepted write has settled. */
  close(): Promise<void> {
    this.state.closed = true;
    if (this.isDrained()) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  /** Takes steps until the decision is to rest. Every caller may call it; only one step runs at a time. */
  private async drive(): Promise<void> {
    for (;;) {
      const step = decideWriteQueue(this.state, this.clock.now(), this.limits);
      switch (step.kind) {
        case 'rest':
          if (this.isDrained()) this.notifyDrained();
          return;
        case 'schedule':
          this.state.phase = 'scheduled';
          this.state.lingerTicks = 0;
          this.nextTick();
          return;
        case 'linger':
          this.state.lingerTicks++;
          this.nextTick();
          return;
        case 'settle':
          this.state.phase = 'idle';
          break;
        case 'begin':
          await this.step(() => this.begin());
          break;
        case 'run':
          await this.step(() => this.runNext());
          break;
        case 'commit':
          await this.step(() => this.commit());
          break;
        default:
          throw new Error(`Unknown write queue step ${JSON.stringify(step satisfies never)}`);
      }
    }
  }

  /** Drives again on the next turn of the event loop, after the I/O that is ready now. */
  private nextTick(): void {
    this.state.pendingAtLastTurn = this.state.pending.length;
    this.state.busy = true;
    setImmediate(() => {
      this.state.busy = false;
      void this.drive();
    });
  }

  /** Runs one awaited step with `busy` set, so concurrent drive() calls rest meanwhile. */
  private async step(body: () => Promise<void>): Promise<void> {
    this.state.busy = true;
    try {
      await body();
    } finally {
      this.state.busy = false;
    }
  }

  private isDrained(): boolean {
    return this.state.phase === 'idle' && !this.state.busy && this.state.pending.length === 0 && this.state.syncing === 0;
  }

  private async begin(): Promise<void> {
    try {
      if (this.durability) await this.db.executeQuery(this.durability.relaxed);
      this.trx = await this.db.startTransaction().execute();
    } catch (error) {
      // BEGIN itself failed (the database is closed or broken): every waiting write fails with it.
      const jobs = this.state.pending.splice(0);
      this.state.phase = 'idle';
      for (const job of jobs) job.reject(error);
      this.emit({ type: 'aborted', ops: jobs.length, error });
      return;
    }
    this.state.phase = 'open';
    this.state.batchStartedAt = this.clock.now();
  }

  private async runNext(): Promise<void> {
    const trx = this.trx;
    const job = this.state.pending.shift();
    if (!trx || !job) throw new Error('Write queue invariant broken: run without an open transaction or a pending write');
    this.state.batch.push(job);
    try {
      await trx.executeQuery(SAVEPOINT);
      try {
        job.outcome = { ok: true, value: await job.fn(trx) };
      } catch (error) {
        job.outcome = { ok: false, error };
      }
      if (!job.outcome.ok) await trx.executeQuery(ROLLBACK_TO_SAVEPOINT);
      await trx.executeQuery(RELEASE_SAVEPOINT);
    } catch (error) {
      // The transaction itself is broken (e.g. SQLite rolled it back on an I/O error): no write
      // of this batch can be trusted, so all of them fail with this error.
      await this.abort(error);
    }
  }

  private async commit(): Promise<void> {
    const trx = this.trx;
    if (!trx) throw new Error('Write queue invariant broken: commit without an open transaction');
    this.state.phase = 'committing';
    const started = this.state.batchStartedAt;
    const commitStarted = this.clock.now();
    try {
      await trx.commit().execute();
    } catch (error) {
      await this.abort(error, 'commit-failed');
      return;
    }
    const jobs = this.finishBatch();
    const now = this.clock.now();
    const failed = jobs.filter((job) => !job.outcome?.ok).length;
    this.emit({ type: 'committed', ops: jobs.length, failed, ms: now - started, commitMs: now - commitStarted });
    const durability = this.durability;
    if (!durability) {
      settle(jobs);
      return;
    }
    // Writes outside the queue (between groups) wait for the disk again.
    try {
      await this.db.executeQuery(durability.strict);
    } catch (error) {
      console.error('chartroom: could not restore synchronous = FULL after a commit', error);
    }
    this.state.syncing++;
    durability.flush().then(
      () => {
        this.state.syncing--;
        this.emit({ type: 'synced', ops: jobs.length, syncMs: this.clock.now() - now });
        settle(jobs);
        void this.drive();
      },
      (error: unknown) => {
        // The group is in the database but may not be on the disk: nobody is told it was saved.
        this.state.syncing--;
        this.emit({ type: 'sync-failed', ops: jobs.length, error });
        for (const job of jobs) job.reject(error);
        void this.drive();
      },
    );
  }

  /** Rolls the whole transaction back and rejects every write of the batch with `error`. */
  private async abort(error: unknown, type: 'aborted' | 'commit-failed' = 'aborted'): Promise<void> {
    const trx = this.trx;
    let reported = error;
    if (trx && !trx.isCommitted && !trx.isRolledBack) {
      try {
        await trx.rollback().execute(); // releases the connection even when it throws
      } catch (rollbackError) {
        reported = new AggregateError([error, rollbackError], `${error instanceof Error ? error.message : String(error)}; the rollback failed too`);
      }
    }
    const jobs = this.finishBatch();
    for (const job of jobs) job.reject(error);
    this.emit({ type, ops: jobs.length, error: reported });
  }

  private finishBatch(): WriteJob[] {
    this.trx = undefined;
    this.state.phase = 'idle';
    return this.state.batch.splice(0);
  }

  private emit(event: WriteQueueEvent): void {
    if (this.listeners.size === 0) return;
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (err) {
        // Listeners only observe; a broken one is reported but cannot break the write path.
        console.error('chartroom: a write queue listener failed', event.type, err);
      }
    }
  }

  private notifyDrained(): void {
    for (const resolve of this.drained.splice(0)) resolve();
  }
}

/** Settles each write of a committed group with its own outcome. */
function settle(jobs: readonly WriteJob[]): void {
  for (const job of jobs) {
    const outcome = job.outcome;
    if (outcome?.ok) job.resolve(outcome.value);
    else job.reject(outcome ? outcome.error : new Error('Write queue invariant broken: a write in a committed batch has no outcome'));
  }
}
