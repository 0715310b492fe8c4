/**
 * Store conformance, part 1: versions, history, deletion, the change log and batch import.
 * Runs unchanged against every store kind (SQLite; PostgreSQL when CHARTROOM_TEST_PG is set).
 * See https://hl7.org/fhir/R4/http.html#versioning and store-conformance-search.test.ts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OutcomeError, computeRevision } from '@chartroom/core';
import type { RevisionId } from '@chartroom/core';
import type { Patient, Resource } from '@medplum/fhirtypes';
import { STORE_KINDS, withStore } from './store-conformance-kit.js';

async function rejects(p: Promise<unknown>, kind: string, pattern?: RegExp): Promise<OutcomeError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof OutcomeError, `expected an OutcomeError, got ${String(err)}`);
    assert.equal(err.kind, kind);
    if (pattern) assert.match(err.message, pattern);
    return err;
  }
  assert.fail(`expected a ${kind} OutcomeError`);
}

for (const kind of STORE_KINDS) {
  describe(`store conformance (${kind.name}): versions`, { skip: kind.skip }, () => {
    test('create assigns generation 1 and a revision that depends only on content and parent', async () => {
      await withStore(kind, async (store, clock) => {
        clock.set('2021-02-03T04:05:06.789Z');
        const v = await store.repo.create({ resourceType: 'Patient', name: [{ family: 'Ng' }], gender: 'female' }, { id: 'a1' });
        assert.match(v.rev, /^1-[0-9a-f]{32}$/);
        assert.equal(v.deleted, false);
        // Same content in another key order, and with server meta, hashes the same.
        const sameContent: Resource = { gender: 'female', meta: { versionId: 'x', lastUpdated: '1999-01-01T00:00:00Z' }, name: [{ family: 'Ng' }], resourceType: 'Patient', id: 'a1' } as Patient;
        assert.equal(computeRevision(undefined, sameContent), v.rev);
        assert.notEqual(computeRevision(undefined, { ...sameContent, gender: 'male' } as Patient), v.rev);
        assert.notEqual(computeRevision(v.rev, sameContent), v.rev, 'a different parent gives a different revision');
        const json = JSON.parse(v.json) as Patient;
        assert.equal(json.id, 'a1');
        assert.equal(json.meta?.versionId, v.rev);
        assert.equal(json.meta?.lastUpdated, '2021-02-03T04:05:06.789Z');
        assert.equal(v.lastUpdated, Date.parse('2021-02-03T04:05:06.789Z'));
        const read = await store.repo.read('Patient', 'a1');
        assert.equal(read.json, v.json);
      });
    });

    test('the same write on two stores gives the same revision ids', async () => {
      const revs: string[][] = [];
      for (let i = 0; i < 2; i++) {
        await withStore(kind, async (store, clock) => {
          const first = await store.repo.update({ resourceType: 'Patient', id: 'same', name: [{ family: 'Olsen' }] });
          clock.ms += 60_000 * (i + 1); // a different time must not change the revision
          const second = await store.repo.update({ resourceType: 'Patient', id: 'same', name: [{ family: 'Olsen', given: ['Kari'] }] });
          revs.push([first.version.rev, second.version.rev]);
        });
      }
      assert.deepEqual(revs[0], revs[1]);
      assert.match(revs[0]?.[1] ?? '', /^2-[0-9a-f]{32}$/);
    });

    test('update links generation 2 to its parent; vread and history keep every version', async () => {
      await withStore(kind, async (store, clock) => {
        clock.set('2021-03-01T00:00:00Z');
        const v1 = await store.repo.create({ resourceType: 'Patient', name: [{ family: 'Berg' }] }, { id: 'p' });
        clock.set('2021-03-02T00:00:00Z');
        const u = await store.repo.update({ resourceType: 'Patient', id: 'p', name: [{ family: 'Berg-Larsen' }] });
        assert.equal(u.created, false);
        const v2 = u.version;
        assert.match(v2.rev, /^2-[0-9a-f]{32}$/);
        assert.equal(v2.rev, computeRevision(v1.rev, { resourceType: 'Patient', id: 'p', name: [{ family: 'Berg-Larsen' }] } as Patient));
        assert.equal((JSON.parse(v2.json) as Patient).meta?.lastUpdated, '2021-03-02T00:00:00.000Z');

        const rows = await store.dialect.db
          .selectFrom('revisions as v')
          .innerJoin('resources as r', 'r.rk', 'v.rk')
          .select(['v.rev', 'v.parent_rev', 'v.generation', 'v.leaf', 'v.deleted'])
          .where('r.type', '=', 'Patient')
          .where('r.id', '=', 'p')
          .orderBy('v.generation')
          .execute();
        assert.deepEqual(
          rows.map((r) => ({ ...r, generation: Number(r.generation), leaf: Number(r.leaf), deleted: Number(r.deleted) })),
          [
            { rev: v1.rev, parent_rev: null, generation: 1, leaf: 0, deleted: 0 },
            { rev: v2.rev, parent_rev: v1.rev, generation: 2, leaf: 1, deleted: 0 },
          ],
        );

        const old = await store.repo.vread('Patient', 'p', v1.rev);
        assert.deepEqual((JSON.parse(old.json) as Patient).name, [{ family: 'Berg' }]);
        assert.equal((await store.repo.read('Patient', 'p')).rev, v2.rev);
        await rejects(store.repo.vread('Patient', 'p', '9-00000000000000000000000000000000'), 'notFound');

        const h = await store.repo.history({ type: 'Patient', id: 'p', count: 10, offset: 0 });
        assert.deepEqual(h.versions.map((v) => v.rev), [v2.rev, v1.rev]);
        assert.equal(h.hasMore, false);
        const page = await store.repo.history({ type: 'Patient', id: 'p', count: 1, offset: 0 });
        assert.deepEqual(page.versions.map((v) => v.rev), [v2.rev]);
        assert.equal(page.hasMore, true);
        await rejects(store.repo.history({ type: 'Patient', id: 'nobody', count: 10, offset: 0 }), 'notFound');
      });
    });

    test('delete writes a tombstone revision: read is 410, history keeps it, update revives', async () => {
      await withStore(kind, async (store) => {
        const v1 = await store.repo.create({ resourceType: 'Patient', name: [{ family: 'Gone' }] }, { id: 'd' });
        assert.equal(await store.repo.delete('Patient', 'd'), true);
        assert.equal(await store.repo.delete('Patient', 'd'), false, 'deleting twice writes nothing');
        await rejects(store.repo.read('Patient', 'd'), 'gone');
        await rejects(store.repo.delete('Patient', 'never'), 'notFound');
        await rejects(store.repo.read('Patient', 'never'), 'notFound');

        const h = await store.repo.history({ type: 'Patient', id: 'd', count: 10, offset: 0 });
        assert.equal(h.versions.length, 2);
        const [tomb, first] = h.versions;
        assert.equal(tomb?.deleted, true);
        assert.match(tomb?.rev ?? '', /^2-[0-9a-f]{32}$/);
        assert.equal(first?.rev, v1.rev);
        await rejects(store.repo.vread('Patient', 'd', tomb?.rev ?? ''), 'gone');
        assert.equal((await store.repo.vread('Patient', 'd', v1.rev)).rev, v1.rev, 'old versions stay readable');

        const tombRow = await store.dialect.db.selectFrom('revisions').select(['parent_rev', 'deleted', 'leaf']).where('rev', '=', tomb?.rev ?? '').executeTakeFirstOrThrow();
        assert.deepEqual({ ...tombRow, deleted: Number(tombRow.deleted), leaf: Number(tombRow.leaf) }, { parent_rev: v1.rev, deleted: 1, leaf: 1 });

        const again = await store.repo.update({ resourceType: 'Patient', id: 'd', name: [{ family: 'Back' }] });
        assert.equal(again.created, true);
        assert.match(again.version.rev, /^3-/);
        assert.equal((await store.repo.read('Patient', 'd')).rev, again.version.rev);
      });
    });

    test('If-Match guards an update', async () => {
      await withStore(kind, async (store) => {
        const v1 = await store.repo.create({ resourceType: 'Patient', active: true }, { id: 'm' });
        await rejects(store.repo.update({ resourceType: 'Patient', id: 'm', active: false }, { ifMatch: 'W/"1-00000000000000000000000000000000"' }), 'preconditionFailed');
        const ok = await store.repo.update({ resourceType: 'Patient', id: 'm', active: false }, { ifMatch: `W/"${v1.rev}"` });
        assert.match(ok.version.rev, /^2-/);
      });
    });

    test('the change log sequence increases strictly with every write, deletes included', async () => {
      await withStore(kind, async (store) => {
        const before = await store.repo.lastSeq();
        const written: { type: string; id: string; rev: string }[] = [];
        const a = await store.repo.create({ resourceType: 'Patient', active: true }, { id: 'c1' });
        written.push({ type: 'Patient', id: 'c1', rev: a.rev });
        const b = await store.repo.create({ resourceType: 'Practitioner', active: true }, { id: 'c2' });
        written.push({ type: 'Practitioner', id: 'c2', rev: b.rev });
        const c = await store.repo.update({ resourceType: 'Patient', id: 'c1', active: false });
        written.push({ type: 'Patient', id: 'c1', rev: c.version.rev });
        await store.repo.delete('Practitioner', 'c2');
        const tomb = await store.repo.readCurrent('Practitioner', 'c2');
        written.push({ type: 'Practitioner', id: 'c2', rev: tomb?.rev ?? '' });
        const imported = await store.repo.importMany([
          { resourceType: 'Patient', id: 'c3', active: true },
          { resourceType: 'Patient', id: 'c1', active: true },
        ]);
        for (const v of imported) written.push({ type: v.type, id: v.id, rev: v.rev });

        const changes = await store.dialect.db.selectFrom('changes').select(['seq', 'type', 'id', 'rev', 'deleted']).where('seq', '>', before).orderBy('seq').execute();
        assert.deepEqual(
          changes.map((ch) => ({ type: ch.type, id: ch.id, rev: ch.rev })),
          written,
        );
        const seqs = changes.map((ch) => Number(ch.seq));
        for (let i = 1; i < seqs.length; i++) assert.ok((seqs[i] ?? 0) > (seqs[i - 1] ?? 0), `seq ${seqs[i]} after ${seqs[i - 1]}`);
        assert.deepEqual(changes.map((ch) => Number(ch.deleted)), [0, 0, 0, 1, 0, 0]);
        assert.equal(await store.repo.lastSeq(), seqs.at(-1));
        const cur = await store.dialect.db.selectFrom('resources').select(['id', 'seq']).where('type', '=', 'Patient').where('id', '=', 'c1').executeTakeFirstOrThrow();
        assert.equal(Number(cur.seq), seqs.at(-1), 'resources.seq is the sequence of the latest write');
      });
    });

    test('importMany stores every resource or none; the error names the bad index', async () => {
      await withStore(kind, async (store) => {
        const seqBefore = await store.repo.lastSeq();
        const err = await rejects(
          store.repo.importMany([
            { resourceType: 'Patient', id: 'i1', name: [{ family: 'Valid' }] },
            { resourceType: 'Patient', id: 'i2', birthDate: 'not-a-date' },
            { resourceType: 'Patient', id: 'i3' },
          ]),
          'badRequest',
          /\[1\]/,
        );
        assert.ok(err.outcome.issue.some((i) => (i.expression ?? []).some((x) => x.startsWith('[1]'))), JSON.stringify(err.outcome));
        assert.equal(await store.repo.lastSeq(), seqBefore);
        assert.equal(await store.repo.readCurrent('Patient', 'i1'), undefined);
        assert.equal(await store.repo.readCurrent('Patient', 'i3'), undefined);
        assert.deepEqual(await store.repo.countByType(), {});

        const ok = await store.repo.importMany([
          { resourceType: 'Patient', id: 'i1', name: [{ family: 'Valid' }] },
          { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/i1' } },
        ]);
        assert.equal(ok.length, 2);
        assert.match(ok[1]?.id ?? '', /^[A-Za-z0-9\-.]{1,64}$/);
        assert.deepEqual(await store.repo.countByType(), { Patient: 1, Observation: 1 });
        const obs = await store.repo.read('Observation', ok[1]?.id ?? '');
        assert.equal(obs.rev, ok[1]?.rev);
        assert.equal((JSON.parse(obs.json) as Resource).meta?.versionId, ok[1]?.rev);
        assert.equal(ok[0]?.rev, computeRevision(undefined, { resourceType: 'Patient', id: 'i1', name: [{ family: 'Valid' }] } as Patient) as RevisionId);
      });
    });
  });
}
