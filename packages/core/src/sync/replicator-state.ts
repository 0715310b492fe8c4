/**
 * The replicator's state and its one decision function (STYLE habits 5 and 6): the driver
 * runs batches and feeds their outcomes back as inputs; {@link decideReplicator} says what
 * to do next and which typed event to emit. Pure and isomorphic: time and randomness come
 * in through the inputs, so backoff and retry are tested without waiting.
 */

/** Where a replication stands, as shown to people. */
export type ReplicatorStatus = 'starting' | 'active' | 'idle' | 'paused-offline' | 'denied' | 'error' | 'stopped';

/** How a batch failed: offline and error back off and retry; denied stops; quarantined waits for an administrator. */
export type ReplicatorFailure = 'offline' | 'denied' | 'error' | 'quarantined';

export interface ReplicatorState {
  readonly status: ReplicatorStatus;
  /** Follow the change feed live (true) or stop once caught up ("sync now"). */
  readonly continuous: boolean;
  /** Source sequence acknowledged by both checkpoints. */
  readonly checkpoint: number;
  /** Consecutive failures (0 after a success). */
  readonly failures: number;
  readonly lastError: string | undefined;
  /** Clock time of the last successful exchange. */
  readonly lastSuccessAt: number | undefined;
  /** Source changes after the checkpoint, as the source last said. */
  readonly pending: number;
  /** Documents written to the target so far in this run. */
  readonly written: number;
}

/** What happened. */
export type ReplicatorInput =
  | { type: 'start'; checkpoint: number }
  | { type: 'batch-done'; lastSeq: number; changes: number; written: number; pending: number; at: number }
  | { type: 'failed'; kind: ReplicatorFailure; message: string; at: number }
  | { type: 'stop' };

/** What the driver does next. */
export type ReplicatorStep =
  | { type: 'run-batch'; since: number; waitForChanges: boolean }
  | { type: 'wait'; ms: number }
  | { type: 'done'; ok: boolean };

/** Typed events for listeners (status page, logs, tests). */
export type ReplicatorEvent =
  | { type: 'active'; checkpoint: number; pending: number }
  | { type: 'idle'; checkpoint: number }
  | { type: 'paused-offline'; message: string; retryInMs: number }
  | { type: 'denied'; message: string }
  | { type: 'error'; message: string; retryInMs: number | undefined };

/** Backoff limits. */
export const REPLICATOR_BACKOFF = { baseMs: 500, maxMs: 30_000, quarantineMs: 60_000, oneShotAttempts: 3 } as const;

/** A new replicator's state. */
export function initialReplicatorState(continuous: boolean): ReplicatorState {
  return { status: 'starting', continuous, checkpoint: 0, failures: 0, lastError: undefined, lastSuccessAt: undefined, pending: 0, written: 0 };
}

/** Exponential backoff with jitter: `random` in [0, 1). */
export function backoffMs(failures: number, random: number): number {
  const ceiling = Math.min(REPLICATOR_BACKOFF.maxMs, REPLICATOR_BACKOFF.baseMs * 2 ** Math.max(0, failures - 1));
  return Math.round(ceiling * (0.5 + random / 2));
}

/** Decides the next step from the state and what just happened. */
export function decideReplicator(
  state: ReplicatorState,
  input: ReplicatorInput,
  random: number,
): { state: ReplicatorState; step: ReplicatorStep; event?: ReplicatorEvent } {
  switch (input.type) {
    case 'start':
      return { state: { ...state, status: 'active', checkpoint: input.checkpoint }, step: { type: 'run-batch', since: input.checkpoint, waitForChanges: false } };
    case 'batch-done': {
      const next: ReplicatorState = {
        ...state,
        checkpoint: input.lastSeq,
        failures: 0,
        lastError: undefined,
        lastSuccessAt: input.at,
        pending: input.pending,
        written: state.written + input.written,
        status: input.pending > 0 ? 'active' : 'idle',
      };
      const caughtUp = input.pending === 0;
      const event: ReplicatorEvent | undefined =
        caughtUp && state.status !== 'idle'
          ? { type: 'idle', checkpoint: input.lastSeq }
          : !caughtUp && state.status !== 'active'
            ? { type: 'active', checkpoint: input.lastSeq, pending: input.pending }
            : undefined;
      if (caughtUp && !state.continuous) return { state: next, step: { type: 'done', ok: true }, event };
      return { state: next, step: { type: 'run-batch', since: input.lastSeq, waitForChanges: caughtUp }, event };
    }
    case 'failed': {
      const failures = state.failures + 1;
      if (input.kind === 'denied') {
        return { state: { ...state, status: 'denied', failures, lastError: input.message }, step: { type: 'done', ok: false }, event: { type: 'denied', message: input.message } };
      }
      const giveUp = !state.continuous && failures >= REPLICATOR_BACKOFF.oneShotAttempts;
      const ms = input.kind === 'quarantined' ? REPLICATOR_BACKOFF.quarantineMs : backoffMs(failures, random);
      const status: ReplicatorStatus = input.kind === 'offline' ? 'paused-offline' : 'error';
      const next: ReplicatorState = { ...state, status, failures, lastError: input.message };
      const event: ReplicatorEvent =
        input.kind === 'offline'
          ? { type: 'paused-offline', message: input.message, retryInMs: giveUp ? 0 : ms }
          : { type: 'error', message: input.message, retryInMs: giveUp ? undefined : ms };
      if (giveUp || (input.kind === 'quarantined' && !state.continuous)) return { state: next, step: { type: 'done', ok: false }, event };
      return { state: next, step: { type: 'wait', ms }, event };
    }
    case 'stop':
      return { state: { ...state, status: 'stopped' }, step: { type: 'done', ok: state.failures === 0 } };
    default: {
      const never: never = input;
      throw new Error(`Unknown replicator input ${JSON.stringify(never)}`);
    }
  }
}
