/**
 * Real stores for tests: encrypted SQLite in a temporary directory, and a throwaway
 * PostgreSQL database on the server named by CHARTROOM_TEST_PG (skipped visibly when unset).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStore } from '../../src/store/open-store.js';
import type { Store, StoreOptions } from '../../src/store/open-store.js';

export interface TestStore extends Store {
  /** Closes the store and removes its files or database. */
  dispose(): Promise<void>;
  /** The throwaway database's name (PostgreSQL only). */
  databaseName?: string;
}

/** The PostgreSQL server URL for tests, or undefined when unset or empty (tests then skip with a message). */
export const TEST_PG = process.env.CHARTROOM_TEST_PG || undefined;

/** Message for `t.skip` / `{ skip }` when PostgreSQL tests cannot run. */
export const PG_SKIP = TEST_PG ? false : 'PostgreSQL tests skipped: set CHARTROOM_TEST_PG=postgres://postgres@127.0.0.1:5432/postgres to run them';

/** A new encrypted SQLite store in its own temporary directory. */
export async function sqliteTestStore(options: StoreOptions = {}): Promise<TestStore> {
  const dir = mkdtempSync(join(tmpdir(), 'chartroom-test-'));
  const store = await openStore({ kind: 'sqlite', file: join(dir, 'chartroom.db'), keyHex: randomBytes(32).toString('hex') }, options);
  return {
    ...store,
    dispose: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A new PostgreSQL store in a throwaway database created on the CHARTROOM_TEST_PG server. */
export async function postgresTestStore(options: StoreOptions = {}): Promise<TestStore> {
  if (!TEST_PG) throw new Error('CHARTROOM_TEST_PG is not set');
  const name = `chartroom_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_PG });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(TEST_PG);
  url.pathname = `/${name}`;
  const store = await openStore({ kind: 'postgres', url: url.toString() }, options);
  return {
    ...store,
    databaseName: name,
    dispose: async () => {
      await store.close();
      const a = new pg.Client({ connectionString: TEST_PG });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

/** The store kinds to run a conformance suite against, with a skip reason where unavailable. */
export const STORE_KINDS: { name: string; open: (o?: StoreOptions) => Promise<TestStore>; skip: string | false }[] = [
  { name: 'sqlite', open: sqliteTestStore, skip: false },
  { name: 'postgres', open: postgresTestStore, skip: PG_SKIP },
];
