/**
 * Scheduled backups for `serve`: every N hours a backup into a folder, keeping the newest K.
 * Each backup runs `chartroom backup` in a child process, so the copy (which reads the whole
 * database) never stalls the node's requests.
 */
import { execFile } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `config.json` → `continuity.backup`. */
export interface BackupScheduleConfig {
  /** Folder the backups go to. */
  dir: string;
  /** Hours between backups (default 24). */
  everyHours?: number;
  /** Backups kept (default 14); older ones are deleted after a successful backup. */
  keep?: number;
}

const PATTERN = /^chartroom-\d{8}T\d{6}Z\.db$/;

/** The file name of a scheduled backup taken at `ms`. */
export function backupFileName(ms: number): string {
  return `chartroom-${new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}.db`;
}

/** Deletes all but the newest `keep` scheduled backups (and their manifests) in `dir`; returns what it deleted. */
export function pruneBackups(dir: string, keep: number): string[] {
  const files = readdirSync(dir).filter((f) => PATTERN.test(f)).sort();
  const old = files.slice(0, Math.max(0, files.length - keep));
  for (const f of old) {
    rmSync(join(dir, f), { force: true });
    rmSync(join(dir, `${f}.json`), { force: true });
  }
  return old;
}

const BIN = fileURLToPath(new URL('../../bin/chartroom.js', import.meta.url));

/** Runs `chartroom backup` in a child process. */
export function backupInChild(dataDir: string, out: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, 'backup', '--data', dataDir, '--out', out], { maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`backup failed: ${stderr.trim() || err.message}`));
      else resolve(stdout.trim());
    });
  });
}

/** A running schedule; `stop()` waits for a backup in progress. */
export interface Schedule {
  stop(): Promise<void>;
}

/**
 * Runs `task` every `everyMs` (first run after one interval), one at a time, reporting
 * failures to `onError` and carrying on.
 */
export function every(everyMs: number, task: () => Promise<void>, onError: (err: unknown) => void, firstDelayMs = everyMs): Schedule {
  let running: Promise<void> | undefined;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = (): void => {
    if (stopped) return;
    running = task()
      .catch(onError)
      .finally(() => {
        running = undefined;
        if (!stopped) {
          timer = setTimeout(tick, everyMs);
          timer.unref();
        }
      });
  };
  timer = setTimeout(tick, firstDelayMs);
  timer.unref();
  return {
    stop: async () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}

/** Starts scheduled backups of `dataDir` as configured. */
export function scheduleBackups(dataDir: string, config: BackupScheduleConfig, log: (line: string) => void = console.log): Schedule {
  const everyMs = Math.max(1, config.everyHours ?? 24) * 3_600_000;
  const keep = Math.max(1, config.keep ?? 14);
  return every(
    everyMs,
    async () => {
      const out = join(config.dir, backupFileName(Date.now()));
      await backupInChild(dataDir, out);
      const pruned = pruneBackups(config.dir, keep);
      log(`Backup written to ${out}${pruned.length ? ` (${pruned.length} older removed, keeping ${keep})` : ''}`);
    },
    (err) => log(`chartroom: scheduled backup failed: ${(err as Error).message}`),
  );
}
