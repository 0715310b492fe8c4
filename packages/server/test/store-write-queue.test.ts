/**
 * The group commit decision function (write-queue.ts) on explicit states and an explicit
 * clock: every phase, the batch size limit and the batch time limit. The engine-level
 * behaviour is in store-write-concurrency.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decideWriteQueue } from '../src/store/write-queue.js';
import type { WriteQueueState } from '../src/store/write-queue.js';

const limits = { maxBatchOps: 3, maxBatchMs: 10, maxLingerTicks: 2 };
type Job = WriteQueueState['pending'][number];
const job = (): Job => ({ fn: () => Promise.resolve(undefined), resolve: () => undefined, reject: () => undefined, outcome: undefined });
const jobs = (n: number): Job[] => Array.from({ length: n }, job);

function state(patch: Partial<WriteQueueState>): WriteQueueState {
  return { phase: 'idle', busy: false, pending: [], batch: [], batchStartedAt: 1_000, lingerTicks: 0, pendingAtLastTurn: 0, closed: false, syncing: 0, ...patch };
}

test('idle: rests without writes, schedules a batch when writes wait', () => {
  assert.deepEqual(decideWriteQueue(state({}), 1_000, limits), { kind: 'rest' });
  assert.deepEqual(decideWriteQueue(state({ pending: jobs(1) }), 1_000, limits), { kind: 'schedule' });
});

test('a step in flight: every caller rests, whatever the phase', () => {
  for (const phase of ['idle', 'scheduled', 'open', 'committing'] as const) {
    assert.deepEqual(decideWriteQueue(state({ phase, busy: true, pending: jobs(2) }), 1_000, limits), { kind: 'rest' }, phase);
  }
});

test('scheduled: begins when writes wait, settles back to idle otherwise', () => {
  assert.deepEqual(decideWriteQueue(state({ phase: 'scheduled', pending: jobs(2), pendingAtLastTurn: 2 }), 1_000, limits), { kind: 'begin' });
  assert.deepEqual(decideWriteQueue(state({ phase: 'scheduled' }), 1_000, limits), { kind: 'settle' });
});

test('scheduled: waits another turn while writers keep arriving, up to maxLingerTicks and maxBatchOps', () => {
  const arriving = { phase: 'scheduled', pending: jobs(2), pendingAtLastTurn: 1 } as const;
  assert.deepEqual(decideWriteQueue(state(arriving), 1_000, limits), { kind: 'linger' });
  assert.deepEqual(decideWriteQueue(state({ ...arriving, lingerTicks: 1 }), 1_000, limits), { kind: 'linger' });
  assert.deepEqual(decideWriteQueue(state({ ...arriving, lingerTicks: 2 }), 1_000, limits), { kind: 'begin' }, 'waited long enough');
  assert.deepEqual(decideWriteQueue(state({ ...arriving, pending: jobs(3) }), 1_000, limits), { kind: 'begin' }, 'a full group does not wait');
  assert.deepEqual(decideWriteQueue(state({ phase: 'scheduled', pending: jobs(1), pendingAtLastTurn: 1 }), 1_000, limits), { kind: 'begin' }, 'a lone writer never waits');
});

test('open: runs waiting writes until the batch is full, late, or drained, then commits', () => {
  assert.deepEqual(decideWriteQueue(state({ phase: 'open', pending: jobs(1), batch: jobs(2) }), 1_005, limits), { kind: 'run' });
  assert.deepEqual(decideWriteQueue(state({ phase: 'open', pending: jobs(1), batch: jobs(3) }), 1_005, limits), { kind: 'commit' }, 'full');
  assert.deepEqual(decideWriteQueue(state({ phase: 'open', pending: jobs(1), batch: jobs(1) }), 1_010, limits), { kind: 'commit' }, 'late');
  assert.deepEqual(decideWriteQueue(state({ phase: 'open', pending: [], batch: jobs(1) }), 1_001, limits), { kind: 'commit' }, 'drained');
});

test('committing: rests until COMMIT returns', () => {
  assert.deepEqual(decideWriteQueue(state({ phase: 'committing', pending: jobs(4), batch: jobs(2) }), 1_000, limits), { kind: 'rest' });
});
