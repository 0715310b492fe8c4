/**
 * Opens the store a command writes to: the data directory's encrypted SQLite database, or
 * PostgreSQL when a `postgres://` URL is given (as `chartroom serve --store` does).
 */
import { openDataDir, readKey } from '../data-dir.js';
import { isPlaintextSqlite, openStore } from '../store/open-store.js';
import type { Store } from '../store/open-store.js';

/**
 * Opens the data directory's store, or the PostgreSQL store at `storeUrl`. An unencrypted
 * SQLite database is refused unless `insecureUnencryptedDev` (then it is opened as it is,
 * and `onInsecure` is told, to log it loudly).
 */
export async function openDataStore(data: string, storeUrl?: string, opts: { insecureUnencryptedDev?: boolean; onInsecure?: (file: string) => void } = {}): Promise<Store> {
  if (storeUrl !== undefined) {
    if (!/^postgres(ql)?:\/\//.test(storeUrl)) throw new Error(`--store must be a postgres:// URL; got "${storeUrl}"`);
    return openStore({ kind: 'postgres', url: storeUrl });
  }
  const dd = openDataDir(data);
  if (opts.insecureUnencryptedDev && isPlaintextSqlite(dd.dbFile)) {
    opts.onInsecure?.(dd.dbFile);
    return openStore({ kind: 'sqlite', file: dd.dbFile, keyHex: undefined });
  }
  return openStore({ kind: 'sqlite', file: dd.dbFile, keyHex: readKey(dd) });
}
