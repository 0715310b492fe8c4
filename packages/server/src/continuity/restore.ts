/**
 * `chartroom restore PATH --data NEWDIR`: makes a new data directory from a backup — the
 * backup is verified first (nothing is written when it fails), then copied in with the
 * node's key and its configuration.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, chmodSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isDataDir } from '../data-dir.js';
import { openStore } from '../store/open-store.js';
import { readManifest, verifyTarget } from './verify.js';
import type { VerifyOptions, VerifyReport } from './verify.js';

/** What a restore did. */
export interface RestoreResult {
  dir: string;
  report: VerifyReport;
}

/**
 * Restores the backup `file` into the new data directory `dir` (which must not hold one).
 * The key comes from `opts.keyFile`, else from where the manifest says the node kept it.
 */
export async function restoreBackup(file: string, dir: string, opts: VerifyOptions = {}): Promise<RestoreResult> {
  const abs = resolve(dir);
  if (isDataDir(abs)) throw new Error(`${abs} already holds a Chartroom data directory; restore into a new one (nothing was changed).`);
  const report = await verifyTarget(file, opts);
  if (report.kind !== 'backup') throw new Error(`${resolve(file)} is a data directory, not a backup file; back it up first with chartroom backup`);
  if (!report.ok) {
    const problems = report.checks.filter((c) => c.status === 'problem').map((c) => `${c.name}: ${c.detail}`);
    throw new Error(`The backup failed verification; nothing was restored.\n  ${problems.join('\n  ')}`);
  }
  const manifest = readManifest(file);
  const keyFile = opts.keyFile ?? manifest?.keyFile;
  if (!keyFile) throw new Error('No key: give --key FILE');
  const key = readFileSync(keyFile, 'utf8').trim();
  mkdirSync(abs, { recursive: true, mode: 0o700 });
  const keyPath = join(abs, 'chartroom.key');
  if (existsSync(keyPath)) throw new Error(`Key file ${keyPath} already exists; refusing to overwrite a key.`);
  writeFileSync(keyPath, key + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(keyPath, 0o600);
  const dbFile = join(abs, 'chartroom.db');
  copyFileSync(resolve(file), `${dbFile}.partial`);
  renameSync(`${dbFile}.partial`, dbFile);
  const config = {
    practiceName: 'Restored practice',
    port: 8080,
    host: '127.0.0.1',
    ...(manifest?.config ?? {}),
    keyFile: 'chartroom.key',
    restoredFrom: { file: resolve(file), takenAt: manifest?.createdAt, restoredAt: new Date().toISOString() },
  };
  // A store opens (and migrates) before config.json exists, so a failure leaves no half data directory.
  const store = await openStore({ kind: 'sqlite', file: dbFile, keyHex: key });
  await store.close();
  writeFileSync(join(abs, 'config.json'), JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
  return { dir: abs, report };
}
