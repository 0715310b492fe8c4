/**
 * Concurrent writes on every store kind: optimistic locking with If-Match, concurrent
 * creates, a failing write next to good ones, and reads that run while a write transaction
 * is open. On SQLite the writes below share group commits (write-queue.ts); on PostgreSQL
 * each is its own pooled transaction. The outcomes must be the same.
 * See https://hl7.org/fhir/R4/http.html#concurrency
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { OutcomeError } from '@chartroom/core';
import type { Patient } from '@medplum/fhirtypes';
import { STORE_KINDS } from './helpers/stores.js';
import type { TestStore } from './helpers/stores.js';
import type { WriteQueueEvent } from '../src/store/write-queue.js';

async function withStore(open: () => Promise<TestStore>, fn: (store: TestStore) => Promise<void>): Promise<void> {
  const store = await open();
  try {
    await fn(store);
  } finally {
    await store.dispose();
  }
}

/** Records the physical transactions a store commits (not the WAL syncs that follow them). */
function recordCommits(store: TestStore): { events: WriteQueueEvent[]; stop: () => void } {
  const events: WriteQueueEvent[] = [];
  const stop = store.writes.subscribe((e) => {
    if (e.type !== 'synced') events.push(e);
  });
  return { events, stop };
}

function outcomeKind(reason: unknown): string {
  return reason instanceof OutcomeError ? reason.kind : `not an OutcomeError: ${String(reason)}`;
}

const patient = (family: string, extra: Partial<Patient> = {}): Patient => ({ resourceType: 'Patient', name: [{ family }], ...extra });

for (const kind of STORE_KINDS) {
  describe(`concurrent writes (${kind.name})`, { skip: kind.skip }, () => {
    test('20 concurrent updates with the same If-Match: exactly one succeeds, the others are 412', async () => {
      await withStore(kind.open, async (store) => {
        const v1 = await store.repo.create(patient('Base'), { id: 'race' });
        const results = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) =>
            store.repo.update({ ...patient(`Writer${i}`), id: 'race' }, { ifMatch: `W/"${v1.rev}"` }),
          ),
        );
        const won = results.filter((r) => r.status === 'fulfilled');
        const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
        assert.equal(won.length, 1, 'exactly one update wins');
        assert.deepEqual(lost.map((r) => outcomeKind(r.reason)), Array(19).fill('preconditionFailed'));
        const winner = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof store.repo.update>>>).value.version;
        assert.match(winner.rev, /^2-/);
        const current = await store.repo.read('Patient', 'race');
        assert.equal(current.json, winner.json, 'the stored version is the winner');
        const history = await store.repo.history({ type: 'Patient', id: 'race', count: 50, offset: 0 });
        assert.deepEqual(history.versions.map((v) => v.rev), [winner.rev, v1.rev], 'one new revision, child of the first');
      });
    });

    test('concurrent creates all land, each with its own change sequence', async () => {
      await withStore(kind.open, async (store) => {
        const { events, stop } = recordCommits(store);
        const created = await Promise.all(Array.from({ length: 50 }, (_, i) => store.repo.create(patient(`Many${i}`))));
        stop();
        assert.equal(new Set(created.map((v) => v.id)).size, 50);
        for (const [i, v] of created.entries()) {
          const read = await store.repo.read('Patient', v.id);
          assert.equal(read.json, v.json);
          assert.equal((JSON.parse(read.json) as Patient).name?.[0]?.family, `Many${i}`);
        }
        const changes = await store.dialect.db
          .selectFrom('changes')
          .select(['seq', 'id', 'rev'])
          .where('id', 'in', created.map((v) => v.id))
          .execute();
        assert.equal(changes.length, 50, 'one change per create');
        assert.equal(new Set(changes.map((c) => Number(c.seq))).size, 50, 'distinct sequences');
        const revisions = await store.dialect.db.selectFrom('revisions').select(['seq', 'rev']).execute();
        const seqOfRev = new Map(changes.map((c) => [c.rev, Number(c.seq)]));
        for (const r of revisions) assert.equal(Number(r.seq), seqOfRev.get(r.rev), 'the revision row carries its change sequence');
        const committed = events.filter((e) => e.type === 'committed');
        assert.equal(committed.reduce((n, e) => n + e.ops, 0), 50, 'every create was committed once');
        if (store.dialect.groupCommit) {
          assert.ok(committed.length < 50, `creates were grouped (${committed.length} commits for 50 creates)`);
        }
      });
    });

    test('a failing write next to good ones is undone alone and gets its own error', async () => {
      // All fourteen writes below are queued in one turn; a batch window far longer than they
      // can take keeps them in one group on a loaded machine too (the default closes it at 50 ms).
      await withStore(() => kind.open({ groupCommit: { maxBatchMs: 60_000 } }), async (store) => {
        const existing = await store.repo.create(patient('Keep'), { id: 'keep' });
        const { events, stop } = recordCommits(store);
        class DoomedError extends Error {}
        const good = Array.from({ length: 10 }, (_, i) => store.repo.create(patient(`Good${i}`)));
        const doomed = store.repo.withTransaction(async (tx) => {
          await tx.create(patient('Doomed'), { id: 'doomed' });
          await tx.update({ ...patient('Overwritten'), id: 'keep' });
          throw new DoomedError('the transaction bundle failed after two writes');
        });
        const staleUpdate = store.repo.update({ ...patient('Stale'), id: 'keep' }, { ifMatch: '1-00000000000000000000000000000000' });
        const duplicate = store.repo.create(patient('Duplicate'), { id: 'keep' });
        const missingDelete = store.repo.delete('Patient', 'never-was');
        const results = await Promise.allSettled([...good, doomed, staleUpdate, duplicate, missingDelete]);
        stop();

        const [doomedResult, staleResult, duplicateResult, deleteResult] = results.slice(10);
        assert.ok(doomedResult?.status === 'rejected' && doomedResult.reason instanceof DoomedError, 'the bundle gets its own error');
        assert.equal(staleResult?.status === 'rejected' && outcomeKind(staleResult.reason), 'preconditionFailed');
        assert.equal(duplicateResult?.status === 'rejected' && outcomeKind(duplicateResult.reason), 'badRequest');
        assert.equal(deleteResult?.status === 'rejected' && outcomeKind(deleteResult.reason), 'notFound');
        const goodVersions = results.slice(0, 10).map((r) => {
          assert.equal(r.status, 'fulfilled');
          return (r as PromiseFulfilledResult<Awaited<(typeof good)[number]>>).value;
        });
        for (const v of goodVersions) assert.equal((await store.repo.read('Patient', v.id)).json, v.json);

        // The failed bundle left nothing behind: no resource, no changed resource, no change entries.
        await assert.rejects(store.repo.read('Patient', 'doomed'), (e: unknown) => outcomeKind(e) === 'notFound');
        assert.equal((await store.repo.read('Patient', 'keep')).json, existing.json);
        const changeCount = await store.dialect.db.selectFrom('changes').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
        assert.equal(Number(changeCount.n), 1 + 10, 'change log: the first create and the ten good ones');
        const indexRows = await store.dialect.db.selectFrom('sp_string').select('value').where('value', 'like', '%doomed%').execute();
        assert.deepEqual(indexRows, []);

        if (store.dialect.groupCommit) {
          const committed = events.filter((e) => e.type === 'committed');
          assert.deepEqual(
            committed.map((e) => [e.ops, e.failed]),
            [[14, 4]],
            'all fourteen writes shared one commit, four of them failed',
          );
        }
      });
    });

    test('a read while a write transaction is open never sees its uncommitted rows', async () => {
      await withStore(kind.open, async (store) => {
        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        let inside!: () => void;
        const written = new Promise<void>((resolve) => (inside = resolve));
        let released = false;
        const writer = store.repo.withTransaction(async (tx) => {
          const v = await tx.create(patient('Invisible'), { id: 'pending' });
          inside();
          await gate;
          return v;
        });
        // The row is written inside the open transaction (a writer that fails instead ends the test, not hangs it).
        await Promise.race([written, writer]);
        let readDone = false;
        const read = store.repo.readCurrent('Patient', 'pending').then((v) => {
          readDone = true;
          assert.ok(v === undefined || released, 'a read that sees the row ran only after the writer finished');
          return v;
        });
        const search = store.repo.history({ type: 'Patient', count: 10, offset: 0 }).then((h) => {
          assert.ok(h.versions.length === 0 || released, 'history shows the version only after the writer finished');
        });
        await new Promise((resolve) => setTimeout(resolve, 50));
        if (!readDone) assert.ok(store.dialect.groupCommit, 'only a single-connection store makes readers wait for the batch');
        released = true;
        release();
        const version = await writer;
        await Promise.all([read, search]);
        assert.equal((await store.repo.read('Patient', 'pending')).json, version.json, 'after the commit the row is visible');
      });
    });
  });
}

describe('acknowledgement after commit', () => {
  for (const kind of STORE_KINDS) {
    test(`${kind.name}: every write settles only after the COMMIT of its group`, { skip: kind.skip }, async () => {
      await withStore(kind.open, async (store) => {
        const log: string[] = [];
        const stop = store.writes.subscribe((e) => log.push(`${e.type}:${e.type === 'committed' ? e.ops : ''}`));
        const writes = Array.from({ length: 8 }, (_, i) => store.repo.create(patient(`Order${i}`)).then(() => log.push(`settled:${i}`)));
        await Promise.all(writes);
        stop();
        const firstSettled = log.findIndex((l) => l.startsWith('settled:'));
        assert.ok(firstSettled > 0 && log.slice(0, firstSettled).every((l) => l.startsWith('committed:') || l === 'synced:'), `commit before settle: ${log.join(' ')}`);
        const committedOps = log.filter((l) => l.startsWith('committed:')).reduce((n, l) => n + Number(l.split(':')[1]), 0);
        assert.equal(committedOps, 8);
        // On a file, the group's WAL sync comes between its COMMIT and the acknowledgements.
        const expected = store.dialect.durability ? ['committed:8', 'synced:'] : ['committed:8'];
        if (store.dialect.groupCommit) assert.deepEqual(log.slice(0, firstSettled), expected, 'one group for eight writers that arrived together');
      });
    });
  }
});

/** Stores whose writes share a physical transaction: SQLite. */
const GROUPED = STORE_KINDS.filter((k) => k.name === 'sqlite');

for (const kind of GROUPED) {
  describe(`group commit failures (${kind.name})`, { skip: kind.skip }, () => {
    test('when COMMIT fails every write of the group is rejected and none is stored', async () => {
      await withStore(kind.open, async (store) => {
        assert.ok(store.dialect.groupCommit);
        // A deferred foreign key is checked at COMMIT: a real engine refusing a real COMMIT.
        await sql`CREATE TABLE test_parent (id INTEGER PRIMARY KEY)`.execute(store.dialect.db);
        await sql`CREATE TABLE test_child (parent INTEGER REFERENCES test_parent(id) DEFERRABLE INITIALLY DEFERRED)`.execute(store.dialect.db);
        const { events, stop } = recordCommits(store);
        const creates = Array.from({ length: 5 }, (_, i) => store.repo.create(patient(`Lost${i}`), { id: `lost-${i}` }));
        const dangling = store.writes.run(async (tx) => {
          await sql`INSERT INTO test_child (parent) VALUES (42)`.execute(tx);
          return 'written';
        });
        const results = await Promise.allSettled([...creates, dangling]);
        stop();
        for (const r of results) {
          assert.equal(r.status, 'rejected');
          assert.match(String((r as PromiseRejectedResult).reason), /FOREIGN KEY/i);
        }
        assert.deepEqual(events.map((e) => [e.type, e.ops]), [['commit-failed', 6]]);
        for (let i = 0; i < 5; i++) assert.equal(await store.repo.readCurrent('Patient', `lost-${i}`), undefined);
        const orphans = await sql<{ n: number }>`SELECT count(*) AS n FROM test_child`.execute(store.dialect.db);
        assert.equal(Number(orphans.rows[0]?.n), 0);
        // The store goes on working.
        const after = await store.repo.create(patient('After'));
        assert.equal((await store.repo.read('Patient', after.id)).json, after.json);
      });
    });

    test('a write that breaks the transaction fails its whole group; later writes start a new one', async () => {
      await withStore(kind.open, async (store) => {
        const before = store.repo.create(patient('Before'), { id: 'before' });
        const breaker = store.writes.run(async (tx) => {
          await sql`ROLLBACK`.execute(tx); // ends the physical transaction under the group's feet
        });
        const results = await Promise.allSettled([before, breaker]);
        assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected'], 'the earlier write in the group was lost with it, so it is not acknowledged');
        assert.equal(await store.repo.readCurrent('Patient', 'before'), undefined);
        const later = await store.repo.create(patient('Later'), { id: 'later' });
        assert.equal((await store.repo.read('Patient', 'later')).json, later.json);
      });
    });

    test('maxBatchOps and maxBatchMs bound a group', async () => {
      let now = 1_000;
      const clock = { now: () => now };
      const store = await kind.open({ clock, groupCommit: { maxBatchOps: 3, maxBatchMs: 10 } } as Parameters<typeof kind.open>[0]);
      try {
        const { events, stop } = recordCommits(store);
        await Promise.all(Array.from({ length: 10 }, (_, i) => store.repo.create(patient(`Bounded${i}`))));
        assert.deepEqual(events.map((e) => e.ops), [3, 3, 3, 1], 'at most three writes per group');
        events.length = 0;
        // The first write takes 20 ms on the injected clock: the group is closed after it.
        const slow = store.writes.run(async () => {
          now += 20;
        });
        await Promise.all([slow, store.repo.create(patient('Next1')), store.repo.create(patient('Next2'))]);
        stop();
        assert.deepEqual(events.map((e) => e.ops), [1, 2]);
      } finally {
        await store.dispose();
      }
    });

    test('close waits for accepted writes and refuses new ones', async () => {
      await withStore(kind.open, async (store) => {
        const accepted = Array.from({ length: 5 }, (_, i) => store.repo.create(patient(`Closing${i}`)));
        const closed = store.writes.close();
        await assert.rejects(store.repo.create(patient('TooLate')), /store is closed/);
        const versions = await Promise.all(accepted);
        await closed;
        for (const v of versions) assert.equal((await store.repo.read('Patient', v.id)).json, v.json);
      });
    });
  });
}
