/**
 * WAL checkpoints off the main thread (SQLite).
 *
 * SQLite copies the WAL back into the database file in a "checkpoint", by default inside the
 * COMMIT that pushes the WAL past 1,000 pages; that checkpoint syncs the WAL, writes the
 * pages and syncs the database file, all on the thread that committed. On a node that is the
 * event loop: measured under a create load, checkpoints were two thirds of COMMIT's time.
 * Here a worker thread with its own connection runs a PASSIVE checkpoint (it never waits for
 * readers or writers) every `intervalMs`, and the main connection's automatic checkpoint only
 * guards against a WAL that grows past `safetyPages` (the worker stopped or lagging).
 */
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3-multiple-ciphers';

export interface CheckpointerOptions {
  /** Milliseconds between checkpoints (default 250). */
  intervalMs?: number;
  /** WAL pages at which the main connection checkpoints by itself (default 20,000 ≈ 80 MB). */
  safetyPages?: number;
}

/** Messages from checkpoint-worker.mjs. */
type WorkerMessage = { type: 'ready' } | { type: 'done' } | { type: 'checkpointed'; frames: number; log: number } | { type: 'error'; message: string };

export class BackgroundCheckpointer {
  private worker: Worker | undefined;
  private exited: Promise<void> | undefined;
  private readonly waiters: (() => void)[] = [];
  /** Checkpoints that copied frames, and the last error, for tests and diagnostics. */
  checkpoints = 0;
  lastError: string | undefined;

  constructor(
    private readonly raw: Database.Database,
    private readonly keyHex: string | undefined,
    private readonly options: CheckpointerOptions = {},
  ) {}

  /** Starts the worker (once) and hands the routine checkpoints to it. */
  start(): void {
    if (this.worker) return;
    const worker = new Worker(new URL('./checkpoint-worker.mjs', import.meta.url), {
      workerData: { file: resolve(this.raw.name), keyHex: this.keyHex, intervalMs: this.options.intervalMs ?? 250 },
    });
    worker.unref();
    worker.on('message', (msg: WorkerMessage) => {
      if (msg.type === 'checkpointed') this.checkpoints++;
      else if (msg.type === 'error') this.lastError = msg.message;
      else if (msg.type === 'done') this.waiters.shift()?.();
    });
    worker.on('error', (err) => {
      // The safety net below still bounds the WAL; say so once.
      this.lastError = err.message;
      console.error('chartroom: the background checkpointer stopped; SQLite checkpoints on commit again', err);
      this.raw.pragma('wal_autocheckpoint = 1000');
    });
    this.exited = new Promise((resolve) => worker.once('exit', () => resolve()));
    this.worker = worker;
    this.raw.pragma(`wal_autocheckpoint = ${this.options.safetyPages ?? 20_000}`);
  }

  /** Runs one checkpoint in the worker now and waits for it (tests). */
  runNow(): Promise<void> {
    const worker = this.worker;
    if (!worker) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      worker.postMessage('now');
    });
  }

  /** Stops the worker and gives checkpoints back to the main connection. */
  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.worker = undefined;
    worker.postMessage('stop');
    const timeout = setTimeout(() => void worker.terminate(), 2_000);
    await this.exited;
    clearTimeout(timeout);
    for (const resolve of this.waiters.splice(0)) resolve();
    if (this.raw.open) this.raw.pragma('wal_autocheckpoint = 1000');
  }
}
