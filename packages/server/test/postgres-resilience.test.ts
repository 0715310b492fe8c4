/**
 * The hub's PostgreSQL can restart or fail over under a running node: connections that the
 * server ends (here with pg_terminate_backend, which is what a fast shutdown does to every
 * backend) must not crash the process, reads must run again on a new connection, and writes
 * that had not reached COMMIT must be retried whole — with nothing written twice.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { PG_SKIP, TEST_PG, postgresTestStore } from './helpers/stores.js';
import type { TestStore } from './helpers/stores.js';
import { ids } from './store-conformance-kit.js';

/** Ends every connection to the store's database, as a server restart would. */
async function terminateBackends(store: TestStore): Promise<number> {
  const admin = new pg.Client({ connectionString: TEST_PG });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ n: string }>(
      'select count(pg_terminate_backend(pid))::text as n from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
      [store.databaseName],
    );
    return Number(rows[0]?.n ?? 0);
  } finally {
    await admin.end();
  }
}

test('PostgreSQL store: terminated connections are replaced; reads and unfinished writes run again', { skip: PG_SKIP }, async () => {
  const store = await postgresTestStore();
  try {
    for (const family of ['Ng', 'Okafor', 'Lindqvist']) await store.repo.create({ resourceType: 'Patient', name: [{ family }] });
    // Open several pooled connections so that idle ones die too.
    await Promise.all(Array.from({ length: 4 }, () => ids(store, 'Patient', 'name=ng')));

    const killed = await terminateBackends(store);
    assert.ok(killed >= 1, `terminated ${killed} backends`);
    assert.equal((await ids(store, 'Patient', '')).length, 3, 'a read after the connections died still answers');

    assert.ok((await terminateBackends(store)) >= 1);
    const created = await store.repo.create({ resourceType: 'Patient', name: [{ family: 'Ødegård' }] });
    assert.equal((await store.repo.read('Patient', created.id)).rev, created.rev);
    assert.deepEqual(await store.repo.countByType(), { Patient: 4 }, 'the write happened exactly once');
  } finally {
    await store.dispose();
  }
});
