/**
 * Opens the chart store a node runs on: the data directory's encrypted SQLite file, or
 * PostgreSQL when a `postgres://` URL is given. Migrations run on every open. An SQLite file
 * that is not encrypted is refused unless the caller opens it explicitly without a key
 * (`serve --insecure-unencrypted-dev`).
 */
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import type { StoreDialect } from './dialect.js';
import { migrateToLatest } from './migrations.js';
import { postgresDialect } from './postgres-dialect.js';
import { openSqliteDatabase, sqliteDialect } from './sqlite-dialect.js';
import { FhirRepository } from './fhir-repository.js';
import type { RepositoryOptions } from './fhir-repository.js';
import { openTransactionRunner } from './transaction-runner.js';
import type { TransactionRunner } from './transaction-runner.js';
import type { WriteQueueLimits } from './write-queue.js';
import { loadDefinitions } from '../fhir/load-definitions.js';

export type StoreLocation = { kind: 'sqlite'; file: string; keyHex: string | undefined } | { kind: 'postgres'; url: string };

export interface Store {
  dialect: StoreDialect;
  repo: FhirRepository;
  /** The store's write transactions (group commit on SQLite), observable for tests and metrics. */
  writes: TransactionRunner;
  /** Waits for accepted writes to commit, then releases the database. */
  close(): Promise<void>;
}

export interface StoreOptions extends RepositoryOptions {
  /** Group commit limits (SQLite). */
  groupCommit?: Partial<WriteQueueLimits>;
}

const PLAINTEXT_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/** True when `file` exists and is a plain (unencrypted) SQLite database: its header is readable. */
export function isPlaintextSqlite(file: string): boolean {
  if (!existsSync(file)) return false;
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(PLAINTEXT_HEADER.length);
    return readSync(fd, head, 0, head.length, 0) === head.length && head.equals(PLAINTEXT_HEADER);
  } finally {
    closeSync(fd);
  }
}

/** An unencrypted SQLite database where an encrypted one was expected; nothing was opened. */
export class UnencryptedDatabaseError extends Error {
  constructor(readonly file: string) {
    super(
      `${file} is NOT encrypted: refusing to open it. Encrypt it with: chartroom rekey --data DIR ` +
        `(for development only, serve it as it is with --insecure-unencrypted-dev).`,
    );
    this.name = 'UnencryptedDatabaseError';
  }
}

/** Opens a store, runs migrations, and returns its repository. */
export async function openStore(location: StoreLocation, options: StoreOptions = {}): Promise<Store> {
  loadDefinitions();
  if (location.kind === 'sqlite' && location.keyHex !== undefined && isPlaintextSqlite(location.file)) throw new UnencryptedDatabaseError(location.file);
  const dialect = location.kind === 'sqlite' ? sqliteDialect(openSqliteDatabase(location)) : postgresDialect(location.url);
  try {
    await migrateToLatest(dialect);
  } catch (err) {
    await dialect.close();
    throw err;
  }
  const writes = openTransactionRunner(dialect, { clock: options.clock, groupCommit: options.groupCommit });
  return {
    dialect,
    repo: new FhirRepository(dialect, dialect.db, options, false, writes),
    writes,
    close: async () => {
      await writes.close();
      await dialect.close();
    },
  };
}
