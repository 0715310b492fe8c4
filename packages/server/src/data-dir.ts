/**
 * A node's data directory: `chartroom.db` (encrypted SQLite), `chartroom.key` (the 256-bit
 * database key, mode 0600, never inside the database file) and `config.json`. For services,
 * the key may come from the environment variable `CHARTROOM_DB_KEY` instead of the file.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface NodeConfig {
  /** Name of the practice this node serves. */
  practiceName: string;
  /** This node's unique id. */
  nodeId: string;
  port: number;
  host: string;
  /** Where the key lives; relative paths are inside the data directory. */
  keyFile: string;
  createdAt: string;
  /** Practice setting: roles that must use a second factor (default admin and clinician; [] turns the requirement off). */
  mfaRequiredRoles?: string[];
  /** SMART apps allowed to connect (standalone launch, public clients with PKCE). */
  smartApps?: { clientId: string; name: string; redirectUris: string[] }[];
}

export interface DataDir {
  dir: string;
  dbFile: string;
  keyFile: string;
  config: NodeConfig;
}

const CONFIG = 'config.json';

/** True when `dir` already holds a Chartroom data directory. */
export function isDataDir(dir: string): boolean {
  return existsSync(join(dir, CONFIG));
}

/** A key that is missing, unreadable, badly formed, or ambiguous: nothing was opened. */
export class KeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyError';
  }
}

/** The environment variable that may hold the database key (64 hex digits) instead of the key file. */
export const KEY_ENV = 'CHARTROOM_DB_KEY';

const HEX_KEY = /^[0-9a-f]{64}$/i;

/** The key in `CHARTROOM_DB_KEY`, if set; refuses a value that is not a 256-bit hex key. */
export function envKey(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const raw = env[KEY_ENV];
  if (raw === undefined || raw.trim() === '') return undefined;
  const key = raw.trim();
  if (!HEX_KEY.test(key)) throw new KeyError(`${KEY_ENV} does not hold a 256-bit key (64 hexadecimal digits); nothing was opened.`);
  return key;
}

/**
 * Creates a data directory with a new random key (or the key of `CHARTROOM_DB_KEY`, which is
 * then not written to a file); refuses to overwrite an existing one.
 */
export function initDataDir(dir: string, opts: { practiceName?: string; keyFile?: string } = {}): DataDir {
  const abs = resolve(dir);
  if (isDataDir(abs)) throw new Error(`${abs} already holds a Chartroom data directory; nothing was changed.`);
  const fromEnv = envKey();
  mkdirSync(abs, { recursive: true, mode: 0o700 });
  process.umask(0o077); // the database, its WAL and everything written later are private to this user
  const keyFile = opts.keyFile ?? 'chartroom.key';
  const keyPath = resolve(abs, keyFile);
  if (existsSync(keyPath)) throw new KeyError(`Key file ${keyPath} already exists; refusing to overwrite a key.`);
  if (fromEnv === undefined) {
    writeFileSync(keyPath, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
    chmodSync(keyPath, 0o600);
  }
  const config: NodeConfig = {
    practiceName: opts.practiceName ?? 'Demo Practice',
    nodeId: randomBytes(8).toString('hex'),
    port: 8080,
    host: '127.0.0.1',
    keyFile,
    createdAt: new Date().toISOString(),
  };
  writeFileSync(join(abs, CONFIG), JSON.stringify(config, null, 2) + '\n', { mode: 0o600 });
  return { dir: abs, dbFile: join(abs, 'chartroom.db'), keyFile: keyPath, config };
}

/** Opens an existing data directory's configuration. */
export function openDataDir(dir: string): DataDir {
  const abs = resolve(dir);
  if (!isDataDir(abs)) throw new Error(`${abs} is not a Chartroom data directory; create one with: chartroom init --data ${dir}`);
  const config = JSON.parse(readFileSync(join(abs, CONFIG), 'utf8')) as NodeConfig;
  return { dir: abs, dbFile: join(abs, 'chartroom.db'), keyFile: resolve(abs, config.keyFile), config };
}

/** Reads a key file, refusing one that others can read or that does not hold a 256-bit hex key. */
export function readKeyFile(file: string): string {
  if (!existsSync(file)) throw new KeyError(`Key file ${file} is missing; the database cannot be opened without it (or set ${KEY_ENV}).`);
  const mode = statSync(file).mode;
  if ((mode & 0o077) !== 0) throw new KeyError(`Key file ${file} is readable by others (mode ${(mode & 0o777).toString(8)}); run chmod 600 on it.`);
  const key = readFileSync(file, 'utf8').trim();
  if (!HEX_KEY.test(key)) throw new KeyError(`Key file ${file} does not hold a 256-bit hex key.`);
  return key;
}

/**
 * Reads the database key: `CHARTROOM_DB_KEY` when set (a service's environment), else the key
 * file (mode 0600). When both exist they must agree — a mismatch is refused rather than
 * guessed (after `chartroom rekey`, the environment must be updated to the new key).
 */
export function readKey(dd: DataDir, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = envKey(env);
  if (fromEnv === undefined) return readKeyFile(dd.keyFile);
  if (existsSync(dd.keyFile) && readKeyFile(dd.keyFile).toLowerCase() !== fromEnv.toLowerCase()) {
    throw new KeyError(`${KEY_ENV} and the key file ${dd.keyFile} hold different keys; keep only the right one (after chartroom rekey the key file holds the new key). Nothing was opened.`);
  }
  return fromEnv;
}
