/**
 * Revision trees, conflicts and the replication store, on SQLite and PostgreSQL
 * (STORE_KINDS): replicated revisions are stored idempotently, every node picks the same
 * winner and keeps the losers, reads flag conflicts, append-only kinds never conflict,
 * resolve closes the other leaves, bad batches change nothing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Resource } from '@medplum/fhirtypes';
import { DO_NOT_REPLICATE } from '@chartroom/core';
import type { SyncDoc } from '@chartroom/core';
import { STORE_KINDS } from './helpers/stores.js';
import { nodeSnapshot, patient, replicate, syncBoth, syncTestNode } from './sync-kit.js';
import type { SyncTestNode } from './sync-kit.js';
import { checkReplicatedDocs } from '../src/store/replication-store.js';
import { handleFhirRequest } from '../src/fhir/router.js';

async function withNodes(open: (typeof STORE_KINDS)[number]['open'], n: number, fn: (nodes: SyncTestNode[]) => Promise<void>): Promise<void> {
  const nodes: SyncTestNode[] = [];
  try {
    for (let i = 0; i < n; i++) nodes.push(await syncTestNode(`node-${String.fromCharCode(97 + i)}`, open));
    await fn(nodes);
  } finally {
    for (const node of nodes) await node.dispose();
  }
}

function obs(id: string, value: number): Resource {
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
    valueQuantity: { value, unit: '/min' },
  } as Resource;
}

for (const kind of STORE_KINDS) {
  describe(`replication store (${kind.name})`, { skip: kind.skip }, () => {
    it('replicates resources with their history, and replaying changes nothing', async () => {
      await withNodes(kind.open, 2, async ([a, b]) => {
        if (!a || !b) return;
        await a.store.repo.update(patient('p1', 'Okafor'));
        await a.store.repo.update(patient('p1', 'Okafor-Smith'));
        await a.store.repo.update(patient('p2', 'Muñoz'));
        await a.store.repo.delete('Patient', 'p2');
        await replicate(a, b);
        assert.deepEqual(await nodeSnapshot(b), await nodeSnapshot(a));
        const read = await b.store.repo.read('Patient', 'p1');
        assert.match(read.json, /Okafor-Smith/);
        await assert.rejects(b.store.repo.read('Patient', 'p2'), /deleted/);
        // Search indexes follow the replicated winner.
        const found = await handleFhirRequest({ method: 'GET', path: 'Patient', query: { name: 'okafor-smith' }, body: undefined, baseUrl: 'http://x' }, b.store.repo);
        const bundle = (typeof found.body === 'string' ? JSON.parse(found.body) : found.body) as { entry?: { resource: { id: string } }[] };
        assert.deepEqual(bundle.entry?.map((e) => e.resource.id), ['p1']);
        // Replaying the whole feed stores nothing new.
        const seqBefore = await b.store.repo.lastSeq();
        const docs = await a.repl.fetch([{ type: 'Patient', id: 'p1', revs: (await a.repl.revisionTree('Patient', 'p1')).map((r) => r.rev), have: [] }]);
        const again = await b.repl.putRevisions(docs);
        assert.equal(again.stored, 0);
        assert.equal(await b.store.repo.lastSeq(), seqBefore);
        // And replicating back changes nothing on a.
        const aSeq = await a.store.repo.lastSeq();
        await replicate(b, a);
        assert.equal(await a.store.repo.lastSeq(), aSeq);
      });
    });

    it('concurrent edits make a conflict with the same winner on every node; losers are kept; reads flag it', async () => {
      await withNodes(kind.open, 3, async ([a, b, c]) => {
        if (!a || !b || !c) return;
        await a.store.repo.update(patient('p1', 'Original'));
        await syncBoth(a, b);
        await syncBoth(a, c);
        await a.store.repo.update(patient('p1', 'EditedOnA'));
        await b.store.repo.update(patient('p1', 'EditedOnB'));
        await b.store.repo.update(patient('p1', 'EditedOnB-again'));
        await syncBoth(a, b);
        await syncBoth(b, c);
        await syncBoth(a, c);
        const snaps = [await nodeSnapshot(a), await nodeSnapshot(b), await nodeSnapshot(c)];
        assert.deepEqual(snaps[1], snaps[0]);
        assert.deepEqual(snaps[2], snaps[0]);
        assert.deepEqual(snaps[0]?.conflicts, { 'Patient/p1': 2 });
        // Longest branch wins (b's two edits), on every node.
        for (const node of [a, b, c]) {
          const v = await node.store.repo.read('Patient', 'p1');
          assert.match(v.json, /EditedOnB-again/);
          assert.equal(v.conflicts, 2);
        }
        const res = await handleFhirRequest({ method: 'GET', path: 'Patient/p1', query: {}, body: undefined, baseUrl: 'http://x' }, c.store.repo);
        assert.equal(res.headers?.['x-chartroom-conflict'], '2');
        // The inbox lists both live leaves, the loser included.
        const inbox = await a.repl.listConflicts();
        assert.equal(inbox.length, 1);
        assert.deepEqual(
          inbox[0]?.leaves.map((l) => (l.resource as { name: { family: string }[] }).name[0]?.family).sort(),
          ['EditedOnA', 'EditedOnB-again'],
        );
      });
    });

    it('resolve writes the chosen content and closes the other leaves, everywhere', async () => {
      await withNodes(kind.open, 2, async ([a, b]) => {
        if (!a || !b) return;
        await a.store.repo.update(patient('p1', 'Original'));
        await syncBoth(a, b);
        await a.store.repo.update(patient('p1', 'A'));
        await b.store.repo.update(patient('p1', 'B'));
        await syncBoth(a, b);
        const [entry] = await a.repl.listConflicts();
        assert.ok(entry);
        const loser = entry.leaves.find((l) => l.rev !== entry.winner);
        assert.ok(loser);
        await assert.rejects(a.repl.resolve('Patient', 'p1', {}), /exactly one/);
        const version = await a.repl.resolve('Patient', 'p1', { rev: loser.rev });
        assert.equal((await a.store.repo.read('Patient', 'p1')).rev, version.rev);
        assert.equal(await a.repl.conflictCount(), 0);
        await syncBoth(a, b);
        assert.equal(await b.repl.conflictCount(), 0);
        assert.deepEqual(await nodeSnapshot(b), await nodeSnapshot(a));
        assert.equal((await b.store.repo.read('Patient', 'p1')).conflicts, undefined);
        await assert.rejects(a.repl.resolve('Patient', 'p1', { rev: loser.rev }), /not in conflict/);
        // Merged content works too.
        await a.store.repo.update(patient('p1', 'A2'));
        await b.store.repo.update(patient('p1', 'B2'));
        await syncBoth(a, b);
        await b.repl.resolve('Patient', 'p1', { resource: patient('p1', 'Merged') });
        await syncBoth(a, b);
        assert.match((await a.store.repo.read('Patient', 'p1')).json, /Merged/);
        assert.equal(await a.repl.conflictCount(), 0);
      });
    });

    it('deleting the winner of a conflict promotes the other live leaf', async () => {
      await withNodes(kind.open, 2, async ([a, b]) => {
        if (!a || !b) return;
        await a.store.repo.update(patient('p1', 'Original'));
        await syncBoth(a, b);
        await a.store.repo.update(patient('p1', 'A'));
        await b.store.repo.update(patient('p1', 'B'));
        await syncBoth(a, b);
        const winner = (await a.store.repo.read('Patient', 'p1')).json;
        await a.store.repo.delete('Patient', 'p1');
        const after = await a.store.repo.read('Patient', 'p1');
        assert.notEqual(after.json, winner);
        assert.equal(after.conflicts, undefined);
        await syncBoth(a, b);
        assert.deepEqual(await nodeSnapshot(b), await nodeSnapshot(a));
      });
    });

    it('deleting the last live leaf makes the highest deleted leaf the winner, as replication does', async () => {
      // Found by the sync soak: a local delete kept its own tombstone as the current row although
      // a longer deleted branch outranks it; the peer settled the other leaf, and the nodes diverged.
      await withNodes(kind.open, 2, async ([a, b]) => {
        if (!a || !b) return;
        await a.store.repo.update(patient('p1', 'Original'));
        await syncBoth(a, b);
        await a.store.repo.update(patient('p1', 'A1'));
        await a.store.repo.update(patient('p1', 'A2'));
        await a.store.repo.delete('Patient', 'p1');
        await b.store.repo.update(patient('p1', 'B'));
        await syncBoth(a, b);
        assert.match((await b.store.repo.read('Patient', 'p1')).json, /"B"/);
        await b.store.repo.delete('Patient', 'p1');
        const leaves = (await b.repl.revisionTree('Patient', 'p1')).filter((r) => r.leaf);
        assert.equal(leaves.length, 2);
        assert.ok(leaves.every((l) => l.deleted));
        const longest = leaves.reduce((x, y) => (Number(y.rev.split('-')[0]) > Number(x.rev.split('-')[0]) ? y : x));
        assert.equal((await b.store.repo.readCurrent('Patient', 'p1'))?.rev, longest.rev);
        await syncBoth(a, b);
        assert.deepEqual(await nodeSnapshot(b), await nodeSnapshot(a));
      });
    });

    it('append-only kinds never conflict: the loser is closed the same way on every node', async () => {
      await withNodes(kind.open, 2, async ([a, b]) => {
        if (!a || !b) return;
        await a.store.repo.update(obs('o1', 60));
        await syncBoth(a, b);
        await a.store.repo.update(obs('o1', 61));
        await b.store.repo.update(obs('o1', 62));
        await replicate(a, b);
        await replicate(b, a);
        await replicate(a, b);
        assert.equal(await a.repl.conflictCount(), 0);
        assert.equal(await b.repl.conflictCount(), 0);
        assert.deepEqual(await nodeSnapshot(b), await nodeSnapshot(a));
        const tree = await a.repl.revisionTree('Observation', 'o1');
        assert.equal(tree.filter((r) => r.leaf && !r.deleted).length, 1);
        assert.equal(tree.length, 4, 'original, two edits and the closing deletion of the loser');
      });
    });

    it('refuses corrupted, forged or incomplete batches and stores nothing', async () => {
      await withNodes(kind.open, 2, async ([a, b]) => {
        if (!a || !b) return;
        await a.store.repo.update(patient('p1', 'One'));
        await a.store.repo.update(patient('p1', 'Two'));
        const tree = await a.repl.revisionTree('Patient', 'p1');
        const docs = await a.repl.fetch([{ type: 'Patient', id: 'p1', revs: tree.map((r) => r.rev), have: [] }]);
        const doc = docs[0] as SyncDoc;
        const before = await b.store.repo.lastSeq();
        const tampered: SyncDoc = { ...doc, revisions: doc.revisions.map((r, i) => (i === 1 ? { ...r, content: r.content.replace('Two', 'Evil') } : r)) };
        assert.throws(() => checkReplicatedDocs([tampered]), /not the hash/);
        const truncated: SyncDoc = { ...doc, revisions: doc.revisions.map((r, i) => (i === 1 ? { ...r, content: r.content.slice(0, 20) } : r)) };
        assert.throws(() => checkReplicatedDocs([truncated]), /not JSON/);
        const orphan: SyncDoc = { ...doc, revisions: doc.revisions.slice(1) };
        checkReplicatedDocs([orphan]);
        await assert.rejects(b.repl.putRevisions([patientDoc(), orphan]), /ancestry incomplete/);
        assert.equal(await b.store.repo.lastSeq(), before);
        assert.deepEqual(await b.store.repo.countByType(), {});
        const res = await b.endpoint.handle({ type: 'put', v: 1, session: 's', docs: [tampered] }, { nodeId: 'x' });
        assert.equal(res.type, 'error');
        assert.equal(await b.store.repo.lastSeq(), before);
      });
      function patientDoc(): SyncDoc {
        return { type: 'Patient', id: 'zz', revisions: [] };
      }
    });

    it('keeps "do not replicate" resources on their node', async () => {
      await withNodes(kind.open, 2, async ([a, b]) => {
        if (!a || !b) return;
        await a.store.repo.update(patient('p1', 'Shared'));
        await a.store.repo.update(patient('p2', 'Private', { meta: { security: [{ ...DO_NOT_REPLICATE }] } }));
        await replicate(a, b);
        assert.match((await b.store.repo.read('Patient', 'p1')).json, /Shared/);
        await assert.rejects(b.store.repo.read('Patient', 'p2'), /not found/);
      });
    });

    it('a Binary attachment replicates with its content', async () => {
      await withNodes(kind.open, 2, async ([a, b]) => {
        if (!a || !b) return;
        const data = Buffer.from('%PDF-1.4 scanned letter').toString('base64');
        await a.store.repo.update({ resourceType: 'Binary', id: 'b1', contentType: 'application/pdf', data } as Resource);
        await replicate(a, b);
        assert.equal((JSON.parse((await b.store.repo.read('Binary', 'b1')).json) as { data: string }).data, data);
      });
    });

    it('quarantines a session that would delete too much, until an administrator approves', async () => {
      await withNodes(kind.open, 2, async ([a, b0]) => {
        if (!a || !b0) return;
        await b0.dispose();
        const b = await syncTestNode('node-b', kind.open, { quarantine: { share: 0.05, floor: 2 } });
        try {
          for (let i = 0; i < 10; i++) await a.store.repo.update(patient(`p${i}`, `Family${i}`));
          await replicate(a, b);
          for (let i = 0; i < 5; i++) await a.store.repo.delete('Patient', `p${i}`);
          await assert.rejects(replicate(a, b), /quarantined/);
          assert.equal(Object.values(await b.store.repo.countByType()).reduce((x, y) => x + y, 0), 10);
          const [held] = await b.endpoint.quarantine.list({ status: 'pending' });
          assert.ok(held);
          assert.equal(held.destructive, 5);
          await b.endpoint.quarantine.approve(held.id);
          assert.equal((await b.store.repo.countByType()).Patient, 5);
          await assert.rejects(b.endpoint.quarantine.reject(held.id), /already approved/);
        } finally {
          await b.dispose();
        }
      });
    });
  });
}
