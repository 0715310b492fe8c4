/**
 * The replicator reads the next batch while the target stores this one, and reads a long
 * backlog in larger batches (replicator.ts). On SQLite and PostgreSQL: a backlog whose
 * resources change again in later batches (so a prepared batch's revs-diff was answered
 * before the batch before it landed) converges to the same trees and winners; a put that
 * fails drops the prepared batch, leaves the checkpoint at the last stored batch, and the
 * next run completes without losing or duplicating anything. A batch large enough to be
 * validated on the validation pool's threads is refused whole for one invalid resource.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Resource } from '@medplum/fhirtypes';
import { computeRevision } from '@chartroom/core';
import type { SyncDoc, SyncRequest } from '@chartroom/core';
import { STORE_KINDS } from './helpers/stores.js';
import { nodeSnapshot, patient, replicator, syncTestNode } from './sync-kit.js';
import type { SyncTestNode } from './sync-kit.js';

async function withNodes(open: (typeof STORE_KINDS)[number]['open'], fn: (a: SyncTestNode, b: SyncTestNode) => Promise<void>): Promise<void> {
  const a = await syncTestNode('node-a', open);
  const b = await syncTestNode('node-b', open);
  try {
    await fn(a, b);
  } finally {
    await a.dispose();
    await b.dispose();
  }
}

/** 300 Patients, then a second and third revision of every tenth, so one resource's revisions lie in several batches. */
async function backlog(a: SyncTestNode): Promise<void> {
  await a.store.repo.importMany(Array.from({ length: 300 }, (_, i) => patient(`p${i}`, `Family${i}`)));
  for (let round = 1; round <= 2; round++) {
    for (let i = 0; i < 300; i += 10) await a.store.repo.update(patient(`p${i}`, `Family${i}-r${round}`));
  }
  await a.store.repo.delete('Patient', 'p20');
}

for (const kind of STORE_KINDS) {
  describe(`pipelined replication (${kind.name})`, { skip: kind.skip }, () => {
    it('converges when the next batch is read while this one is stored, in small and backlog-sized batches', async () => {
      await withNodes(kind.open, async (a, b) => {
        await backlog(a);
        const limits: number[] = [];
        const r = await replicator(a, b, {
          batchSize: 20,
          backlogBatchSize: 50,
          faults: {
            fault: (req: SyncRequest) => {
              if (req.type === 'changes') limits.push(req.limit);
              return 'deliver';
            },
          },
        }).run();
        assert.equal(r.ok, true, r.state.lastError ?? '');
        assert.deepEqual(await nodeSnapshot(b), await nodeSnapshot(a));
        // A long backlog is read 50 at a time; the tail, with less than 50 pending, 20 at a time.
        assert.equal(limits[0], 20);
        assert.ok(limits.includes(50), `limits ${limits.join(',')}`);
        assert.equal(limits[limits.length - 1], 20);
        assert.match((await b.store.repo.read('Patient', 'p10')).json, /Family10-r2/);
        await assert.rejects(b.store.repo.read('Patient', 'p20'), /deleted/);
      });
    });

    it('a failed put drops the prepared batch, resumes from the last stored batch, and loses or duplicates nothing', async () => {
      await withNodes(kind.open, async (a, b) => {
        await backlog(a);
        let puts = 0;
        const changesAsked: number[] = [];
        const failures: { type: string; checkpoint: number }[] = [];
        const rep = replicator(a, b, {
          batchSize: 40,
          backlogBatchSize: 40,
          faults: {
            fault: (req: SyncRequest) => {
              if (req.type === 'changes') changesAsked.push(req.since);
              // The third batch is stored but its answer is lost: the replicator must not go on from the batch it prepared meanwhile.
              if (req.type === 'put' && ++puts === 3) return 'drop-response';
              return 'deliver';
            },
          },
          onEvent: (e) => {
            if (e.type === 'paused-offline' || e.type === 'error') failures.push({ type: e.type, checkpoint: rep.state.checkpoint });
          },
        });
        const r = await rep.run();
        assert.equal(r.ok, true, r.state.lastError ?? '');
        const second = (await a.repl.changesSince(0, 80)).lastSeq;
        assert.equal(failures.length, 1);
        assert.equal(failures[0]?.checkpoint, second, 'the checkpoint stayed at the second stored batch');
        // After the failure the feed is read again from that checkpoint (the prepared fourth batch was dropped).
        const afterFailure = changesAsked.slice(changesAsked.lastIndexOf(second));
        assert.ok(afterFailure.length > 1, `changes asked since ${changesAsked.join(',')}`);
        assert.equal(changesAsked.filter((s) => s === second).length, 2, `changes asked since ${changesAsked.join(',')}`);
        assert.deepEqual(await nodeSnapshot(b), await nodeSnapshot(a));
        const count = async (n: SyncTestNode): Promise<number> =>
          Number((await n.store.dialect.db.selectFrom('revisions').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
        assert.equal(await count(b), await count(a));
      });
    });

    it('a large batch (validated with the pool) with one invalid resource is refused whole', async () => {
      await withNodes(kind.open, async (a, b) => {
        await a.store.repo.importMany(Array.from({ length: 600 }, (_, i) => patient(`p${i}`, `Family${i}`)));
        const changes = await a.repl.changesSince(0, 1000);
        const docs = await a.repl.fetch(changes.changes.map((c) => ({ type: c.type, id: c.id, revs: [c.rev], have: [] })));
        assert.equal(docs.length, 600);
        // Well formed and correctly hashed, but not valid FHIR (a birth date that is not a date).
        const body = { resourceType: 'Patient', id: 'bad', birthDate: 'yesterday' } as unknown as Resource;
        const rev = computeRevision(undefined, body, false);
        const bad: SyncDoc = {
          type: 'Patient',
          id: 'bad',
          revisions: [{ rev, parentRev: null, deleted: false, lastUpdated: Date.now(), content: JSON.stringify({ ...body, meta: { versionId: rev, lastUpdated: new Date().toISOString() } }) }],
        };
        const batch = [...docs.slice(0, 550), bad, ...docs.slice(550)];
        const res = await b.endpoint.handle({ type: 'put', v: 1, session: 's', docs: batch }, { nodeId: 'node-a' });
        assert.equal(res.type, 'error');
        assert.match(JSON.stringify(res), /birthDate/);
        assert.deepEqual(await b.store.repo.countByType(), {});
        const ok = await b.endpoint.handle({ type: 'put', v: 1, session: 's', docs }, { nodeId: 'node-a' });
        assert.equal(ok.type, 'put-result', JSON.stringify(ok).slice(0, 300));
        assert.equal((await b.store.repo.countByType()).Patient, 600);
      });
    });
  });
}
