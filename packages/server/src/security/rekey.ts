/**
 * `chartroom rekey`: replaces a data directory's database key (HIPAA 164.312(a)(2)(iv) key
 * management). Every SQLite database the key opens (`chartroom.db`, a hub's hosted practices
 * `practices/*.db`) is re-encrypted with SQLite3 Multiple Ciphers' `PRAGMA rekey`; the
 * credential columns keyed by it (sealed password hashes and TOTP seeds) are re-sealed;
 * secrets stored only as keyed hashes under the old key (sessions, API tokens, trusted
 * devices, recovery codes) cannot be re-hashed and are ended; the new key file replaces the
 * old atomically (rename), and the old key is kept as `<key file>.old-<UTC time>` (0600) so
 * that backups taken before can still be verified and restored.
 *
 * Crash safety: the new key is written first to `<key file>.new`; each database is rekeyed in
 * one SQLite transaction; a rerun finds `.new` and finishes (databases the new key already
 * opens are skipped, sealed values are opened with whichever key sealed them).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, renameSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import type { Store } from '../store/open-store.js';
import { isPlaintextSqlite, openStore } from '../store/open-store.js';
import { envKey, openDataDir, readKey, readKeyFile } from '../data-dir.js';
import type { DataDir } from '../data-dir.js';
import { credentialCrypto } from './credential-crypto.js';
import type { CredentialCrypto } from './credential-crypto.js';
import { authDb } from './auth-tables.js';
import { AuditLog } from './audit-log.js';
import { dataDirSigner } from './audit-signing.js';

/** A database is held by another process (a running `chartroom serve`): nothing more was changed. */
export class DatabaseInUseError extends Error {
  constructor(readonly file: string) {
    super(`${file} is in use by another process (a running chartroom serve or command?): stop it and run chartroom rekey again.`);
    this.name = 'DatabaseInUseError';
  }
}

export interface RekeyOptions {
  /** Also re-seal the credentials of this PostgreSQL store (a hub). */
  storeUrl?: string;
  /** The new key (tests); default 32 random bytes. */
  newKeyHex?: string;
  /** Time for the old key file's name and the ended sessions (tests). */
  now?: Date;
}

export interface RekeyResult {
  keyFile: string;
  /** Where the old key was moved (undefined when it came from CHARTROOM_DB_KEY alone). */
  oldKeyFile: string | undefined;
  /** The old key came from CHARTROOM_DB_KEY: the environment must now be given the new key. */
  fromEnvironment: boolean;
  /** Databases re-encrypted (or encrypted for the first time) and those already on the new key (a rerun). */
  databases: { file: string; was: 'encrypted' | 'unencrypted' | 'already-rekeyed' }[];
  credentials: { resealed: number; sessionsEnded: number; tokensRevoked: number; devicesForgotten: number; recoveryCodesCleared: number; usersWithRecoveryCodes: string[] };
}

function openKeyed(file: string, keyHex: string): Database.Database {
  const db = new Database(file, { fileMustExist: true });
  db.pragma(`cipher='sqlcipher'`);
  db.pragma('legacy=4');
  db.pragma(`key="x'${keyHex}'"`);
  return db;
}

/** True when `keyHex` opens `file`. */
function keyOpens(file: string, keyHex: string): boolean {
  let db: Database.Database | undefined;
  try {
    db = openKeyed(file, keyHex);
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return true;
  } catch {
    return false;
  } finally {
    db?.close();
  }
}

/**
 * Leaves WAL mode (a checkpoint that needs every other connection gone — so a running server
 * is detected here, and the change is refused rather than waited for) and takes the database
 * for this connection alone until it is closed.
 */
function takeExclusively(db: Database.Database, file: string): void {
  db.pragma('busy_timeout = 0');
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    const mode = db.pragma('journal_mode = DELETE', { simple: true }) as string;
    if (mode !== 'delete') throw new DatabaseInUseError(file);
    db.exec('BEGIN EXCLUSIVE; COMMIT;');
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_BUSY' || err instanceof DatabaseInUseError) throw new DatabaseInUseError(file);
    throw err;
  }
}

/** Re-encrypts one database file from `oldKey` (undefined: the file is not encrypted) to `newKey`. */
function rekeyFile(file: string, oldKey: string | undefined, newKey: string): void {
  const db = oldKey === undefined ? new Database(file, { fileMustExist: true }) : openKeyed(file, oldKey);
  try {
    db.prepare('SELECT count(*) FROM sqlite_master').get(); // the old key opens it
    takeExclusively(db, file);
    if (oldKey === undefined) {
      db.pragma(`cipher='sqlcipher'`);
      db.pragma('legacy=4');
    }
    db.pragma(`rekey="x'${newKey}'"`);
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    db.pragma('journal_mode = WAL');
  } finally {
    db.close();
  }
  if (!keyOpens(file, newKey)) throw new Error(`${file} does not open with the new key after rekey; the key file was not replaced.`);
}

/** Checks first that no database is held by another process, so that none is changed when one is. */
function checkNotInUse(files: readonly string[], key: (file: string) => string | undefined): void {
  for (const file of files) {
    const k = key(file);
    const db = k === undefined ? new Database(file, { fileMustExist: true }) : openKeyed(file, k);
    try {
      db.pragma('busy_timeout = 0');
      const mode = db.pragma('journal_mode', { simple: true }) as string;
      if (mode === 'wal') {
        try {
          // Another connection holds the WAL's shared memory: switching out of WAL fails.
          if ((db.pragma('journal_mode = DELETE', { simple: true }) as string) !== 'delete') throw new DatabaseInUseError(file);
        } catch (err) {
          if ((err as { code?: string }).code === 'SQLITE_BUSY' || err instanceof DatabaseInUseError) throw new DatabaseInUseError(file);
          throw err;
        }
        db.pragma('journal_mode = WAL');
      }
    } finally {
      db.close();
    }
  }
}

/** Opens a sealed value with whichever key sealed it (a rerun may find it already re-sealed). */
function reseal(value: string, from: CredentialCrypto, to: CredentialCrypto): string | undefined {
  try {
    to.open(value);
    return undefined;
  } catch {
    return to.seal(from.open(value));
  }
}

async function rekeyCredentials(store: Store, oldKey: string, newKey: string, now: number, result: RekeyResult['credentials']): Promise<void> {
  const from = credentialCrypto(oldKey);
  const to = credentialCrypto(newKey);
  await store.writes.run(async (tx) => {
    const db = authDb(tx);
    for (const u of await db.selectFrom('auth_users').select(['id', 'password_hash', 'totp_secret']).execute()) {
      const password = reseal(u.password_hash, from, to);
      const totp = u.totp_secret === null ? undefined : reseal(u.totp_secret, from, to);
      if (password === undefined && totp === undefined) continue;
      await db
        .updateTable('auth_users')
        .set({ ...(password === undefined ? {} : { password_hash: password }), ...(totp === undefined ? {} : { totp_secret: totp }) })
        .where('id', '=', u.id)
        .execute();
      result.resealed += (password === undefined ? 0 : 1) + (totp === undefined ? 0 : 1);
    }
    const ended = await db.updateTable('auth_sessions').set({ ended_at: now, end_reason: 'database key changed' }).where('ended_at', 'is', null).executeTakeFirst();
    result.sessionsEnded += Number(ended.numUpdatedRows);
    const revoked = await db.updateTable('auth_tokens').set({ revoked_at: now }).where('revoked_at', 'is', null).executeTakeFirst();
    result.tokensRevoked += Number(revoked.numUpdatedRows);
    const devices = await db.deleteFrom('auth_devices').executeTakeFirst();
    result.devicesForgotten += Number(devices.numDeletedRows);
    const holders = await db.selectFrom('auth_recovery_codes').innerJoin('auth_users', 'auth_users.id', 'auth_recovery_codes.user_id').select('auth_users.username').where('auth_recovery_codes.used_at', 'is', null).distinct().execute();
    result.usersWithRecoveryCodes.push(...holders.map((h) => h.username));
    const codes = await db.deleteFrom('auth_recovery_codes').executeTakeFirst();
    result.recoveryCodesCleared += Number(codes.numDeletedRows);
  });
}

/** `20261125T150201Z`: a UTC time for a file name. */
function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

function writeKeyFileDurably(file: string, keyHex: string): void {
  const fd = openSync(file, 'wx', 0o600);
  try {
    writeSync(fd, keyHex + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The SQLite databases a data directory's key opens. */
export function keyedDatabases(dd: DataDir): string[] {
  const files = existsSync(dd.dbFile) ? [dd.dbFile] : [];
  const practices = join(dd.dir, 'practices');
  if (existsSync(practices)) for (const f of readdirSync(practices).sort()) if (f.endsWith('.db')) files.push(join(practices, f));
  return files;
}

/** Replaces the data directory's database key; see the module comment. */
export async function rekeyDataDir(dir: string, opts: RekeyOptions = {}): Promise<RekeyResult> {
  const dd = openDataDir(dir);
  const now = opts.now ?? new Date();
  const fromEnvironment = envKey() !== undefined;
  const pending = `${dd.keyFile}.new`;
  const resuming = existsSync(pending);
  const oldKey = resuming && !fromEnvironment && existsSync(dd.keyFile) ? readKeyFile(dd.keyFile) : readKey(dd);
  const newKey = resuming ? readKeyFile(pending) : (opts.newKeyHex ?? randomBytes(32).toString('hex'));
  if (!/^[0-9a-f]{64}$/i.test(newKey)) throw new Error('The new key must be 64 hexadecimal digits (256 bits).');
  if (newKey.toLowerCase() === oldKey.toLowerCase()) throw new Error('The new key is the old key; nothing was changed.');

  const files = keyedDatabases(dd);
  const state = new Map<string, 'encrypted' | 'unencrypted' | 'already-rekeyed'>();
  for (const file of files) {
    if (isPlaintextSqlite(file)) state.set(file, 'unencrypted');
    else if (keyOpens(file, oldKey)) state.set(file, 'encrypted');
    else if (keyOpens(file, newKey)) state.set(file, 'already-rekeyed');
    else throw new Error(`Neither the current key nor the new one opens ${file}; nothing was changed.`);
  }
  checkNotInUse(files, (f) => (state.get(f) === 'unencrypted' ? undefined : state.get(f) === 'encrypted' ? oldKey : newKey));
  if (!resuming) writeKeyFileDurably(pending, newKey);

  const result: RekeyResult = {
    keyFile: dd.keyFile,
    oldKeyFile: undefined,
    fromEnvironment,
    databases: [],
    credentials: { resealed: 0, sessionsEnded: 0, tokensRevoked: 0, devicesForgotten: 0, recoveryCodesCleared: 0, usersWithRecoveryCodes: [] },
  };
  for (const file of files) {
    const was = state.get(file) ?? 'encrypted';
    if (was !== 'already-rekeyed') rekeyFile(file, was === 'unencrypted' ? undefined : oldKey, newKey);
    result.databases.push({ file, was });
  }

  // Credentials keyed by the old key, in every store that holds accounts.
  const stores: (() => Promise<Store>)[] = files.map((file) => () => openStore({ kind: 'sqlite', file, keyHex: newKey }));
  if (opts.storeUrl !== undefined) stores.push(() => openStore({ kind: 'postgres', url: opts.storeUrl as string }));
  for (const open of stores) {
    const store = await open();
    try {
      await rekeyCredentials(store, oldKey, newKey, now.getTime(), result.credentials);
    } finally {
      await store.close();
    }
  }

  // The new key file replaces the old one (rename: atomic); the old key is kept beside it.
  if (existsSync(dd.keyFile)) {
    result.oldKeyFile = join(dirname(dd.keyFile), `${basename(dd.keyFile)}.old-${stamp(now)}`);
    renameSync(dd.keyFile, result.oldKeyFile);
  }
  renameSync(pending, dd.keyFile);
  fsyncDir(dirname(dd.keyFile));

  // The key change itself is a security event in the node's audit trail (now under the new key).
  if (files.length > 0) {
    const store = await openStore({ kind: 'sqlite', file: dd.dbFile, keyHex: newKey });
    try {
      const log = await AuditLog.open({ db: store.dialect.db, writes: store.writes, nodeId: dd.config.nodeId, signer: dataDirSigner(dd.dir) });
      log.record({
        action: 'privilege-change',
        severity: 'high',
        address: 'local',
        description: `database key replaced (chartroom rekey): ${result.databases.length} database(s) re-encrypted, ${result.credentials.sessionsEnded} session(s) ended, ${result.credentials.tokensRevoked} API token(s) revoked, recovery codes of ${result.credentials.usersWithRecoveryCodes.length} user(s) cleared`,
      });
      await log.close();
    } finally {
      await store.close();
    }
  }
  return result;
}
