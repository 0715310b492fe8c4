/**
 * Property-based convergence (fast-check): 3–5 nodes (SQLite, and PostgreSQL mixed in when
 * CHARTROOM_TEST_PG is set), random writes including concurrent edits and deletions of the
 * same resources, append-only Observations, random sync order, and requests that are lost
 * before or after the peer handled them or delivered twice, with small batches so that
 * batches land out of order. After healing (every pair synced), every node holds the same
 * revision trees, the same winners, every acknowledged write and the same conflicts.
 * Seeds: a fixed set plus two new seeds per run, printed (rerun one with SYNC_SEED=<seed>).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Resource } from '@medplum/fhirtypes';
import { PG_SKIP, TEST_PG, postgresTestStore, sqliteTestStore } from './helpers/stores.js';
import { nodeSnapshot, patient, replicator, syncTestNode } from './sync-kit.js';
import type { SyncTestNode } from './sync-kit.js';
import type { DeliveryFault } from '../src/sync/in-process-transport.js';

const NODE_COUNT = 4;
const FIXED_SEEDS = [20260101, 7, 424242];
const NEW_SEEDS = [Math.floor(Math.random() * 2 ** 31), Math.floor(Math.random() * 2 ** 31)];
const RUNS_PER_SEED = 3;

type Command =
  | { kind: 'write'; node: number; doc: number; value: number }
  | { kind: 'delete'; node: number; doc: number }
  | { kind: 'observe'; node: number; doc: number; value: number }
  | { kind: 'sync'; from: number; to: number; faults: DeliveryFault[]; batch: number };

const faultArb = fc.constantFrom<DeliveryFault>('deliver', 'deliver', 'deliver', 'drop-request', 'drop-response', 'duplicate');
const commandArb = (nodes: number): fc.Arbitrary<Command> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('write' as const), node: fc.nat(nodes - 1), doc: fc.nat(3), value: fc.nat(99) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), node: fc.nat(nodes - 1), doc: fc.nat(3) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('observe' as const), node: fc.nat(nodes - 1), doc: fc.nat(1), value: fc.nat(200) }) },
    {
      weight: 3,
      arbitrary: fc
        .record({ from: fc.nat(nodes - 1), to: fc.nat(nodes - 1), faults: fc.array(faultArb, { minLength: 1, maxLength: 12 }), batch: fc.integer({ min: 1, max: 4 }) })
        .map((r) => ({ kind: 'sync' as const, ...r, to: r.to === r.from ? (r.from + 1) % nodes : r.to })),
    },
  );

function heartRate(id: string, value: number): Resource {
  return { resourceType: 'Observation', id, status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] }, valueQuantity: { value, unit: '/min' } } as Resource;
}

/** Snapshot restricted to one run's resources. */
async function runSnapshot(node: SyncTestNode, prefix: string): Promise<unknown> {
  const s = await nodeSnapshot(node);
  const pick = <T,>(o: Record<string, T>): Record<string, T> => Object.fromEntries(Object.entries(o).filter(([k]) => k.includes(`/${prefix}-`)));
  return { trees: pick(s.trees), winners: pick(s.winners), conflicts: pick(s.conflicts) };
}

describe('sync convergence (property-based)', () => {
  const nodes: SyncTestNode[] = [];
  let run = 0;

  before(async () => {
    console.log(`sync convergence seeds: fixed ${FIXED_SEEDS.join(', ')}; new ${NEW_SEEDS.join(', ')} (rerun one with SYNC_SEED=<seed>)`);
    if (PG_SKIP) console.log(`  ${PG_SKIP} (all nodes on SQLite)`);
    for (let i = 0; i < NODE_COUNT; i++) {
      const onPg = TEST_PG !== undefined && i % 2 === 1;
      nodes.push(await syncTestNode(`n${i}`, onPg ? postgresTestStore : sqliteTestStore));
    }
  });
  after(async () => {
    for (const n of nodes) await n.dispose();
  });

  const seeds = process.env.SYNC_SEED ? [Number(process.env.SYNC_SEED)] : [...FIXED_SEEDS, ...NEW_SEEDS];
  for (const seed of seeds) {
    it(`converges with every acknowledged write (seed ${seed})`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(commandArb(NODE_COUNT), { minLength: 5, maxLength: 25 }), async (commands) => {
          const prefix = `r${run++}`;
          const acknowledged: { type: string; id: string; rev: string }[] = [];
          for (const c of commands) {
            const node = nodes[c.kind === 'sync' ? c.from : c.node] as SyncTestNode;
            if (c.kind === 'write') {
              const { version } = await node.store.repo.update(patient(`${prefix}-p${c.doc}`, `Family${c.value}`));
              acknowledged.push({ type: 'Patient', id: version.id, rev: version.rev });
            } else if (c.kind === 'observe') {
              const { version } = await node.store.repo.update(heartRate(`${prefix}-o${c.doc}`, c.value));
              acknowledged.push({ type: 'Observation', id: version.id, rev: version.rev });
            } else if (c.kind === 'delete') {
              const current = await node.store.repo.readCurrent('Patient', `${prefix}-p${c.doc}`);
              if (current && !current.deleted) {
                await node.store.repo.delete('Patient', `${prefix}-p${c.doc}`);
                const after = await node.store.repo.readCurrent('Patient', `${prefix}-p${c.doc}`);
                if (after) acknowledged.push({ type: 'Patient', id: after.id, rev: after.rev });
              }
            } else {
              let i = 0;
              const faults = c.faults;
              // A failed sync is allowed here: the faults may exhaust its retries.
              await replicator(node, nodes[c.to] as SyncTestNode, { batchSize: c.batch, faults: { fault: () => faults[i++ % faults.length] ?? 'deliver' } }).run();
            }
          }
          // Heal: every ordered pair, twice, with no faults.
          for (let round = 0; round < 2; round++) {
            for (const a of nodes) {
              for (const b of nodes) {
                if (a === b) continue;
                const r = await replicator(a, b, { batchSize: 50 }).run();
                assert.ok(r.ok, `healing sync ${a.name}→${b.name} failed: ${r.state.lastError ?? ''}`);
              }
            }
          }
          const first = await runSnapshot(nodes[0] as SyncTestNode, prefix);
          for (const n of nodes.slice(1)) assert.deepEqual(await runSnapshot(n, prefix), first, `${n.name} differs from ${nodes[0]?.name}`);
          for (const n of nodes) {
            for (const w of acknowledged) {
              const tree = await n.repl.revisionTree(w.type, w.id);
              assert.ok(
                tree.some((r) => r.rev === w.rev),
                `${n.name} lost acknowledged write ${w.type}/${w.id} ${w.rev}`,
              );
            }
            // Append-only Observations never conflict.
            const conflicted = (await n.repl.listConflicts({ type: 'Observation' })).filter((c) => c.id.startsWith(`${prefix}-`));
            assert.deepEqual(conflicted, []);
          }
        }),
        { seed, numRuns: RUNS_PER_SEED, endOnFailure: true },
      );
    });
  }
});
