/**
 * Online, consistent, encrypted backups of a node's SQLite database.
 *
 * SQLite's page-by-page backup API refuses to copy an encrypted database into a target
 * that better-sqlite3 opens without a key ("incompatible source and target databases"),
 * so the copy is `VACUUM INTO` on a connection of its own: it reads one consistent
 * snapshot inside a read transaction (WAL lets `serve` keep writing meanwhile), and
 * SQLite3MultipleCiphers writes the copy encrypted with the same key. The copy goes to a
 * temporary file renamed into place, so a backup path never holds half a backup. Beside it,
 * `PATH.json` (a manifest: when, which node, the file's SHA-256, counts, the key's
 * fingerprint — never the key).
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type Database from 'better-sqlite3-multiple-ciphers';
import { openDataDir, readKey } from '../data-dir.js';
import type { NodeConfig } from '../data-dir.js';
import { openSqliteDatabase } from '../store/sqlite-dialect.js';
import { openBackupFile } from './open-backup-file.js';

/** The manifest written beside a backup file as `PATH.json`. */
export interface BackupManifest {
  format: 'chartroom-backup/1';
  /** When the snapshot was taken (ISO 8601). */
  createdAt: string;
  practiceName: string;
  nodeId: string;
  /** The data directory backed up, and where its key file was (so a restore on the same machine finds it). */
  sourceDir: string;
  keyFile: string;
  /** First 16 hex digits of SHA-256 of the key: tells a wrong key from a damaged file. */
  keyFingerprint: string;
  /** SHA-256 and size of the backup file. */
  sha256: string;
  bytes: number;
  /** The change-log head in the snapshot. */
  lastSeq: number;
  /** Current (not deleted) resources per type, and all revisions. */
  counts: Record<string, number>;
  revisions: number;
  /** The node's config.json without secrets (keys whose name mentions a passphrase, secret or password). */
  config: Record<string, unknown>;
}

/** What a backup produced. */
export interface BackupResult {
  file: string;
  manifestFile: string;
  manifest: BackupManifest;
  elapsedMs: number;
}

/** SHA-256 (hex) of a key, shortened to 16 digits, for manifests and reports. */
export function keyFingerprint(keyHex: string): string {
  return createHash('sha256').update(keyHex.toLowerCase()).digest('hex').slice(0, 16);
}

/** SHA-256 (hex) of a file, streamed. */
export async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The manifest path of a backup file. */
export function manifestPathOf(file: string): string {
  return `${file}.json`;
}

/** config.json without anything secret. */
export function publicConfig(config: NodeConfig | Record<string, unknown>): Record<string, unknown> {
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (typeof v !== 'object' || v === null) return v;
    return Object.fromEntries(Object.entries(v).filter(([k]) => !/passphrase|secret|password|token/i.test(k)).map(([k, x]) => [k, strip(x)]));
  };
  return strip(config) as Record<string, unknown>;
}

/** Counts per type of current resources, all revisions and the change-log head, read from a raw connection. */
export function databaseCounts(db: Database.Database): { counts: Record<string, number>; revisions: number; lastSeq: number } {
  const rows = db.prepare('SELECT type, count(*) AS n FROM resources WHERE deleted = 0 GROUP BY type ORDER BY type').all() as { type: string; n: number }[];
  const revisions = (db.prepare('SELECT count(*) AS n FROM revisions').get() as { n: number }).n;
  const lastSeq = (db.prepare('SELECT coalesce(max(seq), 0) AS s FROM changes').get() as { s: number }).s;
  return { counts: Object.fromEntries(rows.map((r) => [r.type, r.n])), revisions, lastSeq };
}

/**
 * Backs up the data directory `dataDir` to `out` (an encrypted SQLite file readable with the
 * node's key) and writes `out.json`. Safe while `chartroom serve` writes to the same
 * directory; refuses to overwrite an existing file.
 */
export async function backupNode(dataDir: string, out: string, opts: { now?: () => number } = {}): Promise<BackupResult> {
  const started = performance.now();
  const dd = openDataDir(dataDir);
  const keyHex = readKey(dd);
  const file = resolve(out);
  if (existsSync(file)) throw new Error(`${file} already exists; a backup never overwrites a file.`);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.partial-${process.pid}`;
  rmSync(tmp, { force: true });
  const createdAt = new Date((opts.now ?? Date.now)()).toISOString();
  let snapshot: ReturnType<typeof databaseCounts>;
  try {
    const db = openSqliteDatabase({ file: dd.dbFile, keyHex });
    try {
      // VACUUM INTO copies one snapshot (it cannot run inside another transaction).
      db.prepare('VACUUM INTO ?').run(tmp);
    } finally {
      db.close();
    }
    // The counts are read from the copy itself, so the manifest describes exactly what was saved.
    const copy = openBackupFile(tmp, keyHex);
    try {
      snapshot = databaseCounts(copy);
    } finally {
      copy.close();
    }
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  const sha256 = await fileSha256(tmp);
  const manifest: BackupManifest = {
    format: 'chartroom-backup/1',
    createdAt,
    practiceName: dd.config.practiceName,
    nodeId: dd.config.nodeId,
    sourceDir: dd.dir,
    keyFile: dd.keyFile,
    keyFingerprint: keyFingerprint(keyHex),
    sha256,
    bytes: statSync(tmp).size,
    lastSeq: snapshot.lastSeq,
    counts: snapshot.counts,
    revisions: snapshot.revisions,
    config: publicConfig(dd.config),
  };
  writeFileSync(`${manifestPathOf(file)}.partial`, JSON.stringify(manifest, null, 2) + '\n', { mode: 0o600 });
  renameSync(tmp, file);
  renameSync(`${manifestPathOf(file)}.partial`, manifestPathOf(file));
  return { file, manifestFile: manifestPathOf(file), manifest, elapsedMs: performance.now() - started };
}
