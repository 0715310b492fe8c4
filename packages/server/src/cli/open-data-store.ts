/**
 * Opens the store a command writes to: the data directory's encrypted SQLite database, or
 * PostgreSQL when a `postgres://` URL is given (as `chartroom serve --store` does).
 */
import { openDataDir, readKey } from '../data-dir.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/open-store.js';

/** Opens the data directory's store, or the PostgreSQL store at `storeUrl`. */
export async function openDataStore(data: string, storeUrl?: string): Promise<Store> {
  if (storeUrl !== undefined) {
    if (!/^postgres(ql)?:\/\//.test(storeUrl)) throw new Error(`--store must be a postgres:// URL; got "${storeUrl}"`);
    return openStore({ kind: 'postgres', url: storeUrl });
  }
  const dd = openDataDir(data);
  return openStore({ kind: 'sqlite', file: dd.dbFile, keyHex: readKey(dd) });
}
