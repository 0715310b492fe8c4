/**
 * Opens an encrypted backup file read-only (no WAL switch, no header change), so checking a
 * backup never alters the bytes its manifest's checksum covers.
 */
import Database from 'better-sqlite3-multiple-ciphers';
import { WrongKeyError } from '../store/sqlite-dialect.js';

/** Opens `file` read-only with the node key (64 hex digits); a wrong key is a {@link WrongKeyError}. */
export function openBackupFile(file: string, keyHex: string): Database.Database {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma(`cipher='sqlcipher'`);
    db.pragma('legacy=4');
    db.pragma(`key="x'${keyHex}'"`);
    try {
      db.prepare('SELECT count(*) FROM sqlite_master').get();
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_NOTADB') throw new WrongKeyError(file);
      throw err;
    }
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}
