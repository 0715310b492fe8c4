/**
 * Validation of large write batches on worker threads. Validating a resource against the
 * R4 StructureDefinitions costs more CPU than writing it (about 130 µs for an Observation,
 * more than its rows cost on encrypted SQLite), so bulk writers (imports, the demo,
 * replication) split a batch into chunks and share them with the threads: the writer takes
 * chunks from the front (validating in place any chunk no thread has claimed, then writing
 * it), the threads claim chunks from the back. Claims are made with atomic operations on
 * shared memory, because the writer may not return to the event loop for a whole batch (its
 * SQLite calls are synchronous) and so cannot hand out chunks by message. Nobody waits for a
 * thread to start (loading the definitions takes seconds), and with a free core the writer
 * does about half the validation.
 *
 * Threads start on first use and stop after a while without work (each holds its own copy
 * of the definitions), so a server that is not importing keeps no extra memory. Each runs
 * the very same `validateForWrite` on the JSON form of the resource, which is what the
 * store keeps, so a verdict is the one the writer would have reached.
 */
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { OutcomeError } from '@chartroom/core';
import type { OutcomeKind } from '@chartroom/core';
import { validateForWrite } from './validate-resource.js';

/** One resource's verdict: valid (`null`), refused with an outcome, or an unexpected error. */
export type ValidationVerdict = null | { kind: OutcomeKind; outcome: OperationOutcome } | { error: string };

/** Claim flags of a batch's chunks: free, the writer's, or thread `n`'s (`THREAD + n`). */
export const FREE = 0;
export const WRITER = 1;
export const THREAD = 2;

/** A batch offered to a thread: the chunks as JSON text and their shared claim flags. */
export interface ValidationRequest {
  batch: number;
  chunks: string[];
  claims: Int32Array;
  /** The claim value this thread writes. */
  me: number;
}

export type ValidationReply = { batch: number; chunk: number; verdicts: ValidationVerdict[] } | { batch: number; chunk: number; failure: string } | { ready: true };

/** Resources per chunk that bulk writers share with the threads (about 30 ms of validation). */
export const VALIDATION_CHUNK = 250;

export interface ValidationPoolOptions {
  /** Threads (default: the cores but one, at least one, at most four). */
  threads?: number;
  /** Threads stop after this long without work (default 30 s). */
  idleMs?: number;
}

/** The verdict `validateForWrite` reaches on `input`. */
export function validationVerdict(input: unknown): ValidationVerdict {
  try {
    validateForWrite(input);
    return null;
  } catch (err) {
    if (err instanceof OutcomeError) return { kind: err.kind, outcome: err.outcome };
    return { error: err instanceof Error ? err.message : String(err) };
  }
}

/** Turns a verdict back into what `validateForWrite` would have thrown. */
export function verdictError(v: Exclude<ValidationVerdict, null>): Error {
  return 'error' in v ? new Error(v.error) : new OutcomeError(v.kind, v.outcome);
}

interface Deferred {
  promise: Promise<ValidationVerdict[]>;
  resolve(v: ValidationVerdict[]): void;
}

function deferred(): Deferred {
  let resolve: (v: ValidationVerdict[]) => void = () => undefined;
  const promise = new Promise<ValidationVerdict[]>((r) => (resolve = r));
  return { promise, resolve };
}

interface Thread {
  worker: Worker;
  claim: number;
  ready: Promise<void>;
}

/** The chunks of one batch, taken in order by its writer. */
export class ValidationBatch {
  private readonly results = new Map<number, Deferred>();
  private readonly answered = new Set<number>();

  constructor(
    readonly id: number,
    private readonly pool: ValidationPool,
    readonly chunks: readonly (readonly unknown[])[],
    readonly claims: Int32Array,
  ) {}

  /**
   * The verdicts of chunk `k`: validated here when no thread has claimed it, else the
   * thread's answer (or, if that thread died, validated here after all).
   */
  take(k: number): Promise<ValidationVerdict[]> {
    const chunk = this.chunks[k];
    if (!chunk) throw new RangeError(`no chunk ${k}`);
    if (Atomics.compareExchange(this.claims, k, FREE, WRITER) === FREE) {
      this.pool.stats.inPlace += chunk.length;
      return Promise.resolve(chunk.map(validationVerdict));
    }
    return this.result(k).promise;
  }

  /**
   * Takes the chunks in order and hands each chunk's verdicts, with the index of its first
   * input, to `use`; the writer's work in `use` overlaps the threads' validation of later
   * chunks. Finishes the batch however it ends.
   */
  async each(use: (verdicts: ValidationVerdict[], start: number) => Promise<void> | void): Promise<void> {
    try {
      let start = 0;
      for (let k = 0; k < this.chunks.length; k++) {
        await use(await this.take(k), start);
        start += this.chunks[k]?.length ?? 0;
      }
    } finally {
      this.finish();
    }
  }

  /** Claims every chunk not yet claimed, so threads skip them (the writer is done or gave up). */
  finish(): void {
    for (let k = 0; k < this.chunks.length; k++) Atomics.compareExchange(this.claims, k, FREE, WRITER);
    this.pool.release(this);
  }

  /** A thread's answer for chunk `k`. */
  settle(k: number, verdicts: ValidationVerdict[]): void {
    this.answered.add(k);
    this.result(k).resolve(verdicts);
  }

  /** Thread `claim` is gone: the chunks it claimed and did not answer are validated here. */
  threadLost(claim: number): void {
    for (let k = 0; k < this.chunks.length; k++) {
      if (Atomics.load(this.claims, k) !== claim || this.answered.has(k)) continue;
      this.settle(k, (this.chunks[k] ?? []).map(validationVerdict));
    }
  }

  private result(k: number): Deferred {
    let d = this.results.get(k);
    if (!d) {
      d = deferred();
      this.results.set(k, d);
    }
    return d;
  }
}

export class ValidationPool {
  /** Resources validated by their writer and by the threads (tests, diagnostics). */
  readonly stats = { inPlace: 0, threaded: 0 };
  private threads: Thread[] = [];
  private readonly batches = new Map<number, ValidationBatch>();
  private seq = 0;
  private claimSeq = THREAD;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly size: number;
  private readonly idleMs: number;

  constructor(options: ValidationPoolOptions = {}) {
    this.size = options.threads ?? Math.max(1, Math.min(4, availableParallelism() - 1));
    this.idleMs = options.idleMs ?? 30_000;
  }

  /** Starts the threads (if not running) and resolves once each has loaded the definitions. */
  async whenReady(): Promise<void> {
    while (this.threads.length < this.size) this.threads.push(this.spawn());
    this.touch();
    for (const t of this.threads) t.worker.ref();
    await Promise.all(this.threads.map((t) => t.ready));
    if (this.batches.size === 0) for (const t of this.threads) t.worker.unref();
  }

  /**
   * Splits `inputs` into chunks of `chunkSize` and offers them to the threads. The writer
   * must take the chunks in order and call `finish()` when done (or giving up).
   */
  submit(inputs: readonly unknown[], chunkSize: number): ValidationBatch {
    const chunks: unknown[][] = [];
    for (let start = 0; start < inputs.length; start += chunkSize) chunks.push(inputs.slice(start, start + chunkSize));
    const batch = new ValidationBatch(++this.seq, this, chunks, new Int32Array(new SharedArrayBuffer(4 * chunks.length)));
    let json: string[];
    try {
      json = chunks.map((c) => JSON.stringify(c));
    } catch {
      return batch; // not JSON (it could not be stored either): the writer validates it all
    }
    while (this.threads.length < this.size) this.threads.push(this.spawn());
    this.batches.set(batch.id, batch);
    for (const t of this.threads) {
      t.worker.ref();
      t.worker.postMessage({ batch: batch.id, chunks: json, claims: batch.claims, me: t.claim } satisfies ValidationRequest);
    }
    this.touch();
    return batch;
  }

  /** Forgets a finished batch; threads idle again no longer keep the process alive. */
  release(batch: ValidationBatch): void {
    this.batches.delete(batch.id);
    if (this.batches.size === 0) for (const t of this.threads) t.worker.unref();
  }

  /** Stops every thread; chunks they held are validated by their writers instead. */
  async close(): Promise<void> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const threads = this.threads;
    await Promise.all(threads.map((t) => t.worker.terminate()));
    this.threads = [];
  }

  private spawn(): Thread {
    const worker = new Worker(new URL('./validation-worker.mjs', import.meta.url));
    let readied: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => (readied = resolve));
    const thread: Thread = { worker, claim: this.claimSeq++, ready };
    worker.on('message', (msg: ValidationReply) => {
      if ('ready' in msg) return readied();
      const batch = this.batches.get(msg.batch);
      if (!batch) return;
      if ('failure' in msg) {
        batch.threadLost(thread.claim); // validated by the writer instead
        return;
      }
      this.stats.threaded += msg.verdicts.length;
      batch.settle(msg.chunk, msg.verdicts);
    });
    const lost = (): void => {
      readied();
      this.threads = this.threads.filter((t) => t !== thread);
      for (const batch of this.batches.values()) batch.threadLost(thread.claim);
    };
    worker.on('error', lost);
    worker.on('exit', lost);
    if (this.batches.size === 0) worker.unref();
    return thread;
  }

  private touch(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.batches.size > 0) return this.touch();
      void this.close();
    }, this.idleMs);
    this.idleTimer.unref();
  }
}

let shared: ValidationPool | undefined;

/**
 * The process's pool, shared by every store it opens; `undefined` when
 * `CHARTROOM_VALIDATION_THREADS=0` (validate on the main thread, e.g. on a one-core box).
 */
export function sharedValidationPool(): ValidationPool | undefined {
  const configured = process.env.CHARTROOM_VALIDATION_THREADS;
  const threads = configured ? Number(configured) : undefined;
  if (threads !== undefined && (!Number.isInteger(threads) || threads < 0)) {
    throw new Error(`CHARTROOM_VALIDATION_THREADS must be a whole number of threads (0 to validate on the main thread), not "${configured}"`);
  }
  if (threads === 0) return undefined;
  shared ??= new ValidationPool({ threads });
  return shared;
}
