/**
 * A node's data directory: `chartroom.db` (encrypted SQLite), `chartroom.key` (the 256-bit
 * database key, mode 0600, never inside the database file) and `config.json`.
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

/** Creates a data directory with a new random key; refuses to overwrite an existing one. */
export function initDataDir(dir: string, opts: { practiceName?: string; keyFile?: string } = {}): DataDir {
  const abs = resolve(dir);
  if (isDataDir(abs)) throw new Error(`${abs} already holds a Chartroom data directory; nothing was changed.`);
  mkdirSync(abs, { recursive: true, mode: 0o700 });
  process.umask(0o077); // the database, its WAL and everything written later are private to this user
  const keyFile = opts.keyFile ?? 'chartroom.key';
  const keyPath = resolve(abs, keyFile);
  if (existsSync(keyPath)) throw new Error(`Key file ${keyPath} already exists; refusing to overwrite a key.`);
  writeFileSync(keyPath, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(keyPath, 0o600);
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

/** Reads the database key, refusing a key file that others can read. */
export function readKey(dd: DataDir): string {
  if (!existsSync(dd.keyFile)) throw new Error(`Key file ${dd.keyFile} is missing; the database cannot be opened without it.`);
  const mode = statSync(dd.keyFile).mode & 0o077;
  if (mode !== 0) throw new Error(`Key file ${dd.keyFile} is readable by others (mode ${(statSync(dd.keyFile).mode & 0o777).toString(8)}); run chmod 600 on it.`);
  const key = readFileSync(dd.keyFile, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/i.test(key)) throw new Error(`Key file ${dd.keyFile} does not hold a 256-bit hex key.`);
  return key;
}
