/**
 * Durable commits without blocking the event loop (SQLite in WAL mode).
 *
 * With `synchronous = FULL`, SQLite calls fsync on the WAL inside every COMMIT, and
 * better-sqlite3 runs COMMIT on the main thread: for the 2 ms or so an fsync takes on a
 * typical disk, the node can do nothing else — no request is parsed, no write prepared.
 * The write queue therefore commits its groups with `synchronous = NORMAL` (the commit
 * only writes the WAL frames) and settles the group's writes after an `fdatasync` of the
 * WAL file that started after that COMMIT returned; the fdatasync runs on libuv's thread
 * pool while the next group is prepared and written.
 *
 * Why that is as durable as FULL for every acknowledged write: a write is acknowledged only
 * after its COMMIT wrote its frames (the commit frame included) to the WAL file and an
 * fdatasync of that file, begun afterwards, returned. Recovery replays every WAL frame up to
 * the last valid commit frame. SQLite in NORMAL mode still syncs the WAL before each
 * checkpoint, the database after it, and the WAL header when the WAL is reused. Writes made
 * outside the queue keep FULL (the queue switches back after each COMMIT).
 *
 * What changes: another request may read a group's writes between its COMMIT and the end
 * of its fdatasync (a power cut in that window loses those writes, which nobody was told
 * were saved — the same window PostgreSQL has with `synchronous_commit = off` for readers).
 */
import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { CompiledQuery } from 'kysely';

/** How the write queue makes a group durable. */
export interface CommitDurability {
  /** Run before BEGIN: the COMMIT that follows writes the WAL without waiting for the disk. */
  readonly relaxed: CompiledQuery;
  /** Run after COMMIT: writes outside the queue wait for the disk again. */
  readonly strict: CompiledQuery;
  /** Resolves once everything committed before the call is on stable storage. */
  flush(): Promise<void>;
  /** Releases the file handle (after the last flush). */
  close(): Promise<void>;
}

/**
 * fdatasync of one WAL file, coalesced: a flush requested while one runs is served by the
 * next one (which starts when the running one ends), so many groups share one sync.
 */
export class WalSync implements CommitDurability {
  readonly relaxed = CompiledQuery.raw('PRAGMA synchronous = NORMAL');
  readonly strict = CompiledQuery.raw('PRAGMA synchronous = FULL');
  private handle: Promise<FileHandle> | undefined;
  private running: Promise<void> | undefined;
  private waiting: Promise<void> | undefined;
  /** Completed fdatasync calls (for tests and metrics). */
  syncs = 0;

  constructor(private readonly walPath: string) {}

  flush(): Promise<void> {
    // A sync that has not started yet covers this caller too.
    if (this.waiting) return this.waiting;
    const running = this.running;
    if (!running) return this.start();
    // The running sync may have begun before this caller's COMMIT: wait for the next one.
    const next = running
      .catch(() => undefined)
      .then(() => {
        this.waiting = undefined;
        return this.start();
      });
    this.waiting = next;
    return next;
  }

  private start(): Promise<void> {
    const p = this.syncOnce();
    this.running = p;
    const clear = (): void => {
      if (this.running === p) this.running = undefined;
    };
    p.then(clear, clear);
    return p;
  }

  private async syncOnce(): Promise<void> {
    this.handle ??= open(this.walPath, 'r+');
    let fh: FileHandle;
    try {
      fh = await this.handle;
    } catch (err) {
      this.handle = undefined;
      throw err;
    }
    await fh.datasync();
    this.syncs++;
  }

  async close(): Promise<void> {
    await this.running?.catch(() => undefined);
    await this.waiting?.catch(() => undefined);
    const handle = this.handle;
    this.handle = undefined;
    if (handle) await (await handle.catch(() => undefined))?.close();
  }
}
