/**
 * One-way replication from a source to a target peer (ARCHITECTURE §4): read both
 * checkpoints → the source's changes since, in bounded batches → ask the target which
 * revisions it lacks → fetch them with their ancestry from the source → the target stores
 * them idempotently → write the checkpoint on both sides. The state and every decision
 * live in {@link decideReplicator}; this driver only runs batches and waits.
 *
 * While more changes are pending, the next batch is read (changes → revs-diff → fetch)
 * while the target stores this one. That is safe because storing is idempotent and only
 * adds: a revs-diff answered before this batch landed can only ask for more (revisions
 * that are stored by the time the next put arrives are skipped, and ancestry back to an
 * older leaf is still ancestry); checkpoints are written only after a batch is stored, in
 * order, and a prepared batch is dropped when the one before it fails. A long backlog (an
 * initial clone) is read in larger batches ({@link ReplicatorOptions.backlogBatchSize}).
 */
import { SYNC_PROTOCOL_VERSIONS, decideReplicator, initialReplicatorState } from '@chartroom/core';
import type { ReplicatorEvent, ReplicatorFailure, ReplicatorInput, ReplicatorState, ReplicatorStep, SyncDoc, SyncDocRevs, SyncResponseFor } from '@chartroom/core';
import { SyncTransportError } from './sync-transport.js';
import type { SyncTransport } from './sync-transport.js';

/** One side of a replication: its node id and how to reach it. */
export interface ReplicationSide {
  nodeId: string;
  transport: SyncTransport;
}

export interface ReplicatorOptions {
  source: ReplicationSide;
  target: ReplicationSide;
  /** Follow the change feed live (default false: stop once caught up). */
  continuous?: boolean;
  /** Changes per batch (default 500). */
  batchSize?: number;
  /**
   * Changes per batch while at least this many more are pending (an initial clone or a
   * long time offline); default 2,000 or `batchSize` if larger. Each batch is one write
   * transaction on the target, so this bounds how long a clinician's write can wait behind one.
   */
  backlogBatchSize?: number;
  /** Read the next batch while the target stores this one (default true). */
  pipeline?: boolean;
  /** Long-poll wait when caught up, in ms (default 10 s). */
  waitMs?: number;
  /** Names this run for the target's quarantine accounting. */
  session?: string;
  now?: () => number;
  random?: () => number;
  /** Waits `ms` (injectable for tests); resolves early when the replicator stops. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  onEvent?: (event: ReplicatorEvent) => void;
}

function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

/** The target held a batch for an administrator instead of applying it. */
export class QuarantinedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QuarantinedError';
  }
}

/** The failure kind of any error a batch threw. */
function failureOf(err: unknown): { kind: ReplicatorFailure; message: string } {
  if (err instanceof QuarantinedError) return { kind: 'quarantined', message: err.message };
  if (err instanceof SyncTransportError) return { kind: err.kind, message: err.message };
  return { kind: 'error', message: err instanceof Error ? err.message : String(err) };
}

/** A batch read from the source: its changes and the documents the target lacks. */
interface PreparedBatch {
  changes: SyncResponseFor<'changes'>;
  docs: SyncDoc[];
}

/** Replicates from `source` to `target`. */
export class Replicator {
  private current: ReplicatorState;
  /** The next batch, read while the previous one was being stored (keyed by its `since`). */
  private prepared: { since: number; batch: Promise<PreparedBatch> } | undefined;
  /** How many changes were pending after the last batch read (chooses the batch size). */
  private backlog = 0;
  private readonly abort = new AbortController();
  private readonly replication: string;
  private readonly session: string;

  constructor(private readonly opts: ReplicatorOptions) {
    this.current = initialReplicatorState(opts.continuous ?? false);
    this.replication = `${opts.source.nodeId}>${opts.target.nodeId}`;
    this.session = opts.session ?? `${this.replication}:${(opts.now ?? Date.now)()}`;
  }

  /** The current state (status, checkpoint, last error, last success). */
  get state(): ReplicatorState {
    return this.current;
  }

  /** Stops after the step in flight (a long poll is abandoned, not waited for). */
  stop(): void {
    this.abort.abort();
  }

  get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  private apply(input: ReplicatorInput): ReplicatorStep {
    const random = (this.opts.random ?? Math.random)();
    const decision = decideReplicator(this.current, input, random);
    this.current = decision.state;
    if (decision.event) this.opts.onEvent?.(decision.event);
    return decision.step;
  }

  /** Runs until caught up (one-shot) or stopped (continuous); resolves with whether it ended without error. */
  async run(): Promise<{ ok: boolean; state: ReplicatorState }> {
    const now = this.opts.now ?? Date.now;
    const sleep = this.opts.sleep ?? defaultSleep;
    let step: ReplicatorStep;
    try {
      step = this.apply({ type: 'start', checkpoint: await this.readCheckpoint() });
    } catch (err) {
      step = this.apply({ type: 'failed', ...failureOf(err), at: now() });
    }
    for (;;) {
      if (this.stopped) step = this.apply({ type: 'stop' });
      switch (step.type) {
        case 'done':
          return { ok: step.ok, state: this.current };
        case 'wait':
          await sleep(step.ms, this.abort.signal);
          if (this.stopped) continue;
          try {
            step = this.apply({ type: 'start', checkpoint: await this.readCheckpoint() });
          } catch (err) {
            step = this.apply({ type: 'failed', ...failureOf(err), at: now() });
          }
          break;
        case 'run-batch':
          try {
            const r = await this.batch(step.since, step.waitForChanges);
            step = this.apply({ type: 'batch-done', ...r, at: now() });
          } catch (err) {
            step = this.apply({ type: 'failed', ...failureOf(err), at: now() });
          }
          break;
        default: {
          const never: never = step;
          throw new Error(`Unknown replicator step ${JSON.stringify(never)}`);
        }
      }
    }
  }

  /** Says hello to both sides and reads both checkpoints; replication resumes from the lower. */
  private async readCheckpoint(): Promise<number> {
    const { source, target } = this.opts;
    const hello = { type: 'hello' as const, versions: [...SYNC_PROTOCOL_VERSIONS], nodeId: target.nodeId };
    await source.transport.request(hello);
    await target.transport.request({ ...hello, nodeId: source.nodeId });
    const a = await source.transport.request({ type: 'get-checkpoint', v: 1, replication: this.replication });
    const b = await target.transport.request({ type: 'get-checkpoint', v: 1, replication: this.replication });
    return Math.min(a.seq, b.seq);
  }

  /** Changes to read after `since`: larger batches while a long backlog is pending. */
  private limitFor(): number {
    const small = this.opts.batchSize ?? 500;
    const large = Math.max(small, this.opts.backlogBatchSize ?? 2000);
    return this.backlog >= large ? large : small;
  }

  /** Reads one batch from the source: changes → revs-diff (target) → fetch (source). */
  private async read(since: number, waitMs: number): Promise<PreparedBatch> {
    const { source, target } = this.opts;
    const changes = await source.transport.request({ type: 'changes', v: 1, since, limit: this.limitFor(), waitMs });
    if (this.stopped || changes.changes.length === 0) return { changes, docs: [] };
    const byDoc = new Map<string, SyncDocRevs>();
    for (const c of changes.changes) {
      const key = `${c.type}/${c.id}`;
      const item = byDoc.get(key) ?? { type: c.type, id: c.id, revs: [] };
      if (!item.revs.includes(c.rev)) item.revs.push(c.rev);
      byDoc.set(key, item);
    }
    const diff = await target.transport.request({ type: 'revs-diff', v: 1, items: [...byDoc.values()] });
    if (diff.items.length === 0) return { changes, docs: [] };
    const fetched = await source.transport.request({
      type: 'fetch',
      v: 1,
      items: diff.items.map((d) => ({ type: d.type, id: d.id, revs: d.missing, have: d.have })),
    });
    return { changes, docs: fetched.docs };
  }

  /** One batch: changes → revs-diff → fetch (or the batch prepared during the last put) → put → checkpoints. */
  private async batch(since: number, waitForChanges: boolean): Promise<{ lastSeq: number; changes: number; written: number; pending: number }> {
    const { target } = this.opts;
    const waitMs = waitForChanges ? (this.opts.waitMs ?? 10_000) : 0;
    const ready = this.prepared?.since === since ? this.prepared.batch : undefined;
    this.prepared = undefined;
    const { changes, docs } = await (ready ?? this.read(since, waitMs));
    this.backlog = changes.pending;
    if (this.stopped) return { lastSeq: since, changes: 0, written: 0, pending: changes.pending + changes.changes.length };
    let written = 0;
    if (changes.changes.length > 0) {
      if ((this.opts.pipeline ?? true) && changes.pending > 0) {
        const next = this.read(changes.lastSeq, 0);
        next.catch(() => undefined); // surfaces when the next batch uses it; dropped if this one fails
        this.prepared = { since: changes.lastSeq, batch: next };
      }
      try {
        if (docs.length > 0) {
          const put = await target.transport.request({ type: 'put', v: 1, session: this.session, docs });
          if (put.quarantined !== null) {
            throw new QuarantinedError(
              `batch of ${docs.length} resources quarantined on ${target.nodeId} as ${put.quarantined}: it deletes or rewrites too much; an administrator must approve it (chartroom sync quarantine)`,
            );
          }
          written = put.stored;
        }
        await target.transport.request({ type: 'set-checkpoint', v: 1, replication: this.replication, seq: changes.lastSeq });
        await this.opts.source.transport.request({ type: 'set-checkpoint', v: 1, replication: this.replication, seq: changes.lastSeq });
      } catch (err) {
        this.prepared = undefined;
        throw err;
      }
    }
    return { lastSeq: changes.lastSeq, changes: changes.changes.length, written, pending: changes.pending };
  }
}
