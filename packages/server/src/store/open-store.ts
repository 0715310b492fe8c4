/**
 * Opens the chart store a node runs on: the data directory's encrypted SQLite file, or
 * PostgreSQL when a `postgres://` URL is given. Migrations run on every open.
 */
import type { StoreDialect } from './dialect.js';
import { migrateToLatest } from './migrations.js';
import { postgresDialect } from './postgres-dialect.js';
import { openSqliteDatabase, sqliteDialect } from './sqlite-dialect.js';
import { FhirRepository } from './fhir-repository.js';
import type { RepositoryOptions } from './fhir-repository.js';
import { loadDefinitions } from '../fhir/load-definitions.js';

export type StoreLocation = { kind: 'sqlite'; file: string; keyHex: string | undefined } | { kind: 'postgres'; url: string };

export interface Store {
  dialect: StoreDialect;
  repo: FhirRepository;
  close(): Promise<void>;
}

/** Opens a store, runs migrations, and returns its repository. */
export async function openStore(location: StoreLocation, options: RepositoryOptions = {}): Promise<Store> {
  loadDefinitions();
  const dialect = location.kind === 'sqlite' ? sqliteDialect(openSqliteDatabase(location)) : postgresDialect(location.url);
  try {
    await migrateToLatest(dialect);
  } catch (err) {
    await dialect.close();
    throw err;
  }
  return { dialect, repo: new FhirRepository(dialect, dialect.db, options), close: () => dialect.close() };
}
