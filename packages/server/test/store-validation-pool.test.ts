/**
 * Validation of large batches on worker threads (store/validation-pool.ts): a thread reaches
 * the very verdicts the writer would; chunks a thread claimed are validated by the writer
 * when the thread dies; a large importMany (which uses the pool) stores all or nothing and
 * names the first bad index exactly like a small one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutcomeError } from '@chartroom/core';
import { loadDefinitions } from '../src/fhir/load-definitions.js';
import { FREE, WRITER, ValidationPool, sharedValidationPool, validationVerdict } from '../src/store/validation-pool.js';
import type { ValidationBatch } from '../src/store/validation-pool.js';
import { sqliteTestStore } from './helpers/stores.js';

loadDefinitions();

function observation(i: number, patient = 'p1'): Record<string, unknown> {
  return {
    resourceType: 'Observation',
    id: `o${i}`,
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '2345-7' }] },
    subject: { reference: `Patient/${patient}` },
    effectiveDateTime: `2024-01-${String(1 + (i % 28)).padStart(2, '0')}`,
    valueQuantity: { value: i, unit: 'mg/dL', system: 'http://unitsofmeasure.org', code: 'mg/dL' },
  };
}

/** A mix of valid and invalid resources (every 7th has a bad date, every 11th no status). */
function mixed(n: number): unknown[] {
  return Array.from({ length: n }, (_, i) => {
    const o = observation(i);
    if (i % 7 === 3) o.effectiveDateTime = 'yesterday';
    if (i % 11 === 5) delete o.status;
    return o;
  });
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const claimedByThread = (batch: ValidationBatch, k: number): boolean => {
  const c = Atomics.load(batch.claims, k);
  return c !== FREE && c !== WRITER;
};

test('a thread reaches the same verdicts as the writer, chunk by chunk', async (t) => {
  const pool = new ValidationPool({ threads: 1 });
  t.after(() => pool.close());
  await pool.whenReady();
  const inputs = mixed(120);
  const batch = pool.submit(inputs, 10);
  // Nothing is taken: the thread claims every chunk from the back.
  await until(() => claimedByThread(batch, 0), 'the thread to claim the first chunk');
  const verdicts = [];
  for (let k = 0; k < batch.chunks.length; k++) verdicts.push(...(await batch.take(k)));
  batch.finish();
  const expected = inputs.map(validationVerdict);
  assert.deepEqual(verdicts, expected);
  assert.equal(pool.stats.threaded, 120);
  assert.equal(pool.stats.inPlace, 0);
  assert.ok(expected.some((v) => v !== null) && expected.some((v) => v === null), 'the batch mixes valid and invalid resources');
});

test('the writer validates in place what no thread has claimed, and the chunks of a thread that died', async (t) => {
  const pool = new ValidationPool({ threads: 1 });
  t.after(() => pool.close());
  // Not ready yet: the writer takes the first chunk itself.
  const inputs = mixed(2_000);
  const batch = pool.submit(inputs, 1_000);
  const first = await batch.take(0);
  assert.deepEqual(first, inputs.slice(0, 1_000).map(validationVerdict));
  assert.equal(pool.stats.inPlace, 1_000);
  // Once up, the thread claims the second chunk (a thousand resources: hundreds of ms of
  // work); it is stopped long before it can answer.
  await until(() => claimedByThread(batch, 1), 'the thread to claim chunk 1');
  await pool.close();
  const rest = await batch.take(1);
  batch.finish();
  assert.equal(pool.stats.threaded, 0, 'the thread never answered');
  assert.deepEqual(rest, inputs.slice(1_000).map(validationVerdict));
});

test('CHARTROOM_VALIDATION_THREADS: 0 validates on the main thread, a bad value is refused', (t) => {
  const before = process.env.CHARTROOM_VALIDATION_THREADS;
  t.after(() => {
    if (before === undefined) delete process.env.CHARTROOM_VALIDATION_THREADS;
    else process.env.CHARTROOM_VALIDATION_THREADS = before;
  });
  process.env.CHARTROOM_VALIDATION_THREADS = '0';
  assert.equal(sharedValidationPool(), undefined);
  process.env.CHARTROOM_VALIDATION_THREADS = 'many';
  assert.throws(() => sharedValidationPool(), /CHARTROOM_VALIDATION_THREADS must be a whole number/);
});

test('a large importMany stores all or nothing and names the first bad index', async (t) => {
  const store = await sqliteTestStore();
  t.after(() => store.dispose());
  await sharedValidationPool()?.whenReady();
  const patient = { resourceType: 'Patient', id: 'p1', name: [{ family: 'Pool' }] };
  const good = Array.from({ length: 2_400 }, (_, i) => observation(i));
  const bad = good.map((r) => ({ ...r }));
  (bad[2_150] as Record<string, unknown>).effectiveDateTime = 'last tuesday';
  (bad[2_300] as Record<string, unknown>).status = 42;
  const err = await store.repo.importMany([patient, ...bad]).then(
    () => assert.fail('an invalid batch was stored'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof OutcomeError, String(err));
  assert.equal(err.kind, 'badRequest');
  assert.match(err.message, /^\[2151\] /, 'the first bad resource, counted in the whole batch');
  assert.ok(err.outcome.issue.every((i) => (i.expression ?? []).every((x) => x.startsWith('[2151].'))), JSON.stringify(err.outcome));
  assert.equal(await store.repo.lastSeq(), 0);
  assert.deepEqual(await store.repo.countByType(), {});

  const stored = await store.repo.importMany([patient, ...good]);
  assert.equal(stored.length, 2_401);
  assert.deepEqual(await store.repo.countByType(), { Patient: 1, Observation: 2_400 });
  const last = await store.repo.read('Observation', 'o2399');
  assert.equal(last.rev, stored[2_400]?.rev);
});
