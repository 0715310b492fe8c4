/**
 * The importer on small files written here: NDJSON, collection and batch Bundles, folders,
 * a malformed file, a transaction with one invalid entry, conditional creates imported
 * twice, and a transaction the fast path hands to the FHIR transaction processor. Runs on
 * every store kind (PostgreSQL when CHARTROOM_TEST_PG is set).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSearchRequest } from '@chartroom/core';
import type { FhirRepository } from '../src/store/fhir-repository.js';
import { importPaths } from '../src/import/import-paths.js';
import type { ImportProgress } from '../src/import/import-types.js';
import { danglingReferences } from '../src/import/reference-check.js';
import { STORE_KINDS } from './helpers/stores.js';
import type { TestStore } from './helpers/stores.js';

type Json = Record<string, unknown> & { resourceType: string; id?: string };

const patient = (id: string, family: string): Json => ({
  resourceType: 'Patient',
  id,
  identifier: [{ system: 'urn:test:mrn', value: id }],
  name: [{ family, given: ['Test'] }],
  gender: 'female',
  birthDate: '1980-02-03',
});
const observation = (id: string | undefined, subject: string, value: number): Json => ({
  resourceType: 'Observation',
  ...(id ? { id } : {}),
  status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
  subject: { reference: subject },
  valueQuantity: { value, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
});

/** A folder of files for one test, removed afterwards. */
function fixtureDir(files: Record<string, string | object>): { dir: string; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'chartroom-import-'));
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 1));
  }
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

async function all(repo: FhirRepository, type: string, query: Record<string, string> = {}): Promise<Json[]> {
  const found = await repo.search(parseSearchRequest(type, { _count: '1000', ...query }));
  return found.matches.map((m) => JSON.parse(m.json) as Json);
}

async function storedAll(repo: FhirRepository): Promise<Json[]> {
  const out: Json[] = [];
  for (const type of Object.keys(await repo.countByType())) out.push(...(await all(repo, type)));
  return out;
}

const conditionalTransaction = {
  resourceType: 'Bundle',
  type: 'transaction',
  entry: [
    {
      fullUrl: 'urn:uuid:7d9a2c1e-0000-4000-8000-000000000001',
      resource: { ...patient('ignored', 'Conditional'), id: undefined },
      request: { method: 'POST', url: 'Patient', ifNoneExist: 'identifier=urn:test:mrn|cond-1' },
    },
    {
      fullUrl: 'urn:uuid:7d9a2c1e-0000-4000-8000-000000000002',
      resource: {
        ...observation(undefined, 'urn:uuid:7d9a2c1e-0000-4000-8000-000000000001', 71),
        identifier: [{ system: 'urn:test:obs', value: 'obs-1' }],
      },
      request: { method: 'POST', url: 'Observation', ifNoneExist: 'identifier=urn:test:obs|obs-1' },
    },
  ],
};
// The Patient's identifier must be the one the condition searches for.
(conditionalTransaction.entry[0]?.resource as Json).identifier = [{ system: 'urn:test:mrn', value: 'cond-1' }];

for (const kind of STORE_KINDS) {
  const run = (name: string, fn: (store: TestStore) => Promise<void>): void => {
    test(`${kind.name}: ${name}`, { skip: kind.skip }, async () => {
      const store = await kind.open();
      try {
        await fn(store);
      } finally {
        await store.dispose();
      }
    });
  };

  run('NDJSON keeps ids, skips blank lines, and a second import updates instead of duplicating', async (store) => {
    const lines = [patient('nd-1', 'Ndjson'), observation('nd-obs-1', 'Patient/nd-1', 60), observation('nd-obs-2', 'Patient/nd-1', 62)];
    const fx = fixtureDir({ 'export.ndjson': lines.map((l) => JSON.stringify(l)).join('\n') + '\n\n' });
    try {
      const first = await importPaths(store.repo, [join(fx.dir, 'export.ndjson')]);
      assert.deepEqual(first.errors, []);
      assert.deepEqual(first.byType, { Patient: 1, Observation: 2 });
      const again = await importPaths(store.repo, [fx.dir]);
      assert.equal(again.resources, 3);
      const obs = await all(store.repo, 'Observation');
      assert.deepEqual(obs.map((o) => o.id).sort(), ['nd-obs-1', 'nd-obs-2']);
      assert.ok(obs.every((o) => (o.subject as { reference: string }).reference === 'Patient/nd-1'));
      assert.match((await store.repo.read('Patient', 'nd-1')).rev, /^2-/);
    } finally {
      fx.dispose();
    }
  });

  run('a collection Bundle keeps ids and resolves urn:uuid fullUrls to Type/id', async (store) => {
    const fx = fixtureDir({
      'collection.json': {
        resourceType: 'Bundle',
        type: 'collection',
        entry: [
          { fullUrl: 'urn:uuid:0b6e4c9a-1111-4c1e-9d5e-2a7b3c4d5e6f', resource: patient('col-1', 'Collection') },
          { fullUrl: 'urn:uuid:0b6e4c9a-2222-4c1e-9d5e-2a7b3c4d5e6f', resource: observation(undefined, 'urn:uuid:0b6e4c9a-1111-4c1e-9d5e-2a7b3c4d5e6f', 80) },
          { resource: observation('col-obs-2', 'Patient/col-1', 81) },
        ],
      },
    });
    try {
      const summary = await importPaths(store.repo, [join(fx.dir, 'collection.json')], { newId: () => 'assigned-1' });
      assert.deepEqual(summary.errors, []);
      assert.deepEqual(summary.byType, { Patient: 1, Observation: 2 });
      const obs = await all(store.repo, 'Observation');
      assert.deepEqual(obs.map((o) => o.id).sort(), ['assigned-1', 'col-obs-2']);
      assert.ok(obs.every((o) => (o.subject as { reference: string }).reference === 'Patient/col-1'));
      assert.deepEqual(danglingReferences(await storedAll(store.repo)), []);
    } finally {
      fx.dispose();
    }
  });

  run('a folder is read recursively; a malformed file is reported by name and the rest still imported', async (store) => {
    const fx = fixtureDir({
      'a/patient.json': patient('fold-1', 'Folder'),
      'a/b/obs.ndjson': JSON.stringify(observation('fold-obs-1', 'Patient/fold-1', 70)),
      'a/b/array.json': [observation('fold-obs-2', 'Patient/fold-1', 71), observation('fold-obs-3', 'Patient/fold-1', 72)],
      'a/broken.json': '{"resourceType": "Patient", "id": "x",',
      'a/notes.txt': 'not imported',
      'a/.hidden.json': '{ not read either',
    });
    try {
      const seen: ImportProgress[] = [];
      const summary = await importPaths(store.repo, [join(fx.dir, 'a')], { onProgress: (p) => seen.push(p) });
      assert.equal(summary.files, 4);
      assert.deepEqual(summary.byType, { Patient: 1, Observation: 3 });
      assert.equal(summary.errors.length, 1);
      assert.match(summary.errors[0]?.file ?? '', /broken\.json$/);
      assert.match(summary.errors[0]?.message ?? '', /^not valid JSON/);
      const last = seen.at(-1);
      assert.equal(last?.filesDone, 4);
      assert.equal(last?.resources, 4);
      assert.equal(last?.bytesDone, last?.bytesTotal);
    } finally {
      fx.dispose();
    }
  });

  run('a transaction with one invalid entry stores nothing of itself; the next Bundle is stored', async (store) => {
    const bad = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:aaaaaaaa-0000-4000-8000-000000000001', resource: patient('bad-1', 'Bad'), request: { method: 'POST', url: 'Patient' } },
        {
          fullUrl: 'urn:uuid:aaaaaaaa-0000-4000-8000-000000000002',
          resource: { ...observation(undefined, 'urn:uuid:aaaaaaaa-0000-4000-8000-000000000001', 1), status: undefined },
          request: { method: 'POST', url: 'Observation' },
        },
      ],
    };
    const good = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:bbbbbbbb-0000-4000-8000-000000000001', resource: patient('good-1', 'Good'), request: { method: 'POST', url: 'Patient' } },
        {
          fullUrl: 'urn:uuid:bbbbbbbb-0000-4000-8000-000000000002',
          resource: observation(undefined, 'urn:uuid:bbbbbbbb-0000-4000-8000-000000000001', 2),
          request: { method: 'POST', url: 'Observation' },
        },
      ],
    };
    const fx = fixtureDir({ '1-bad.json': bad, '2-good.json': good });
    try {
      const summary = await importPaths(store.repo, [fx.dir]);
      assert.deepEqual(summary.transactions, { stored: 1, failed: 1 });
      assert.equal(summary.errors.length, 1);
      const e = summary.errors[0];
      assert.match(e?.file ?? '', /1-bad\.json$/);
      assert.equal(e?.where, 'entry[1]');
      assert.match(e?.message ?? '', /Observation\.status: Missing required property/);
      const patients = await all(store.repo, 'Patient');
      assert.deepEqual(patients.map((p) => (p.name as { family: string }[])[0]?.family), ['Good']);
      const obs = await all(store.repo, 'Observation');
      assert.equal(obs.length, 1);
      assert.equal((obs[0]?.subject as { reference: string }).reference, `Patient/${patients[0]?.id}`);
    } finally {
      fx.dispose();
    }
  });

  run('re-importing a transaction of conditional creates makes no duplicates', async (store) => {
    const fx = fixtureDir({ 'conditional.json': conditionalTransaction });
    try {
      const first = await importPaths(store.repo, [fx.dir]);
      assert.deepEqual(first.errors, []);
      assert.deepEqual(first.byType, { Patient: 1, Observation: 1 });
      const second = await importPaths(store.repo, [fx.dir]);
      assert.deepEqual(second.errors, []);
      assert.equal(second.resources, 0);
      assert.deepEqual(second.transactions, { stored: 1, failed: 0 });
      const patients = await all(store.repo, 'Patient');
      const obs = await all(store.repo, 'Observation');
      assert.equal(patients.length, 1);
      assert.equal(obs.length, 1);
      assert.equal((obs[0]?.subject as { reference: string }).reference, `Patient/${patients[0]?.id}`);
    } finally {
      fx.dispose();
    }
  });

  run('a conditional create that matches redirects the references of new entries to the match', async (store) => {
    await store.repo.create({ ...patient('x', 'Existing'), id: undefined, identifier: [{ system: 'urn:test:mrn', value: 'cond-1' }] }, { id: 'existing-1' });
    const bundle = structuredClone(conditionalTransaction);
    (bundle.entry[1] as { request: Record<string, unknown> }).request = { method: 'POST', url: 'Observation' };
    const fx = fixtureDir({ 't.json': bundle });
    try {
      const summary = await importPaths(store.repo, [fx.dir]);
      assert.deepEqual(summary.errors, []);
      assert.deepEqual(summary.byType, { Observation: 1 });
      const obs = await all(store.repo, 'Observation');
      assert.equal((obs[0]?.subject as { reference: string }).reference, 'Patient/existing-1');
    } finally {
      fx.dispose();
    }
  });

  run('a transaction referencing a resource that does not exist stores nothing; one that exists is fine', async (store) => {
    const bundle = (subject: string): object => ({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ resource: observation(undefined, subject, 3), request: { method: 'POST', url: 'Observation' } }],
    });
    await store.repo.create(patient('p', 'Here'), { id: 'here' });
    const fx = fixtureDir({ 'missing.json': bundle('Patient/nobody'), 'present.json': bundle('Patient/here') });
    try {
      const summary = await importPaths(store.repo, [fx.dir]);
      assert.deepEqual(summary.transactions, { stored: 1, failed: 1 });
      assert.equal(summary.errors.length, 1);
      assert.match(summary.errors[0]?.file ?? '', /missing\.json$/);
      assert.equal(summary.errors[0]?.where, 'entry[0]');
      assert.match(summary.errors[0]?.message ?? '', /Patient\/nobody/);
      assert.equal((await all(store.repo, 'Observation')).length, 1);
    } finally {
      fx.dispose();
    }
  });

  run('a batch Bundle writes its entries one by one: a bad entry fails alone', async (store) => {
    const fx = fixtureDir({
      'batch.json': {
        resourceType: 'Bundle',
        type: 'batch',
        entry: [
          { resource: patient('batch-1', 'Batch'), request: { method: 'PUT', url: 'Patient/batch-1' } },
          { resource: { resourceType: 'Patient', id: 'batch-2', gender: 'female', nickname: 'Bee' }, request: { method: 'PUT', url: 'Patient/batch-2' } },
          { resource: observation(undefined, 'Patient/batch-1', 4), request: { method: 'POST', url: 'Observation' } },
        ],
      },
    });
    try {
      const summary = await importPaths(store.repo, [fx.dir]);
      assert.deepEqual(summary.byType, { Patient: 1, Observation: 1 });
      assert.equal(summary.errors.length, 1);
      assert.equal(summary.errors[0]?.where, 'entry[1]');
      assert.match(summary.errors[0]?.message ?? '', /Patient\.nickname: Invalid additional property/);
    } finally {
      fx.dispose();
    }
  });

  run('a transaction with a DELETE goes through the transaction processor, all-or-nothing', async (store) => {
    await store.repo.create(patient('gone', 'Gone'), { id: 'gone' });
    const tx = (extra: object[]): object => ({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ request: { method: 'DELETE', url: 'Patient/gone' } }, { resource: patient('kept', 'Kept'), request: { method: 'PUT', url: 'Patient/kept' } }, ...extra],
    });
    const fx = fixtureDir({
      'a-fails.json': tx([{ resource: { resourceType: 'Observation' }, request: { method: 'POST', url: 'Observation' } }]),
      'b-works.json': tx([]),
    });
    try {
      const failing = await importPaths(store.repo, [join(fx.dir, 'a-fails.json')]);
      assert.deepEqual(failing.transactions, { stored: 0, failed: 1 });
      assert.equal(failing.errors[0]?.where, 'entry[2]');
      assert.ok(await store.repo.read('Patient', 'gone'), 'nothing of the failed transaction happened');
      const working = await importPaths(store.repo, [join(fx.dir, 'b-works.json')]);
      assert.deepEqual(working.errors, []);
      assert.deepEqual(working.byType, { Patient: 1 });
      await assert.rejects(store.repo.read('Patient', 'gone'), /deleted/);
    } finally {
      fx.dispose();
    }
  });

  run('batches of many resources isolate the bad ones and report each with its line', async (store) => {
    const lines: string[] = [];
    for (let i = 0; i < 250; i++) {
      const o = observation(`many-${i}`, 'Patient/whoever', i);
      if (i % 50 === 7) delete o.status;
      lines.push(JSON.stringify(o));
    }
    const fx = fixtureDir({ 'many.ndjson': lines.join('\n') });
    try {
      const summary = await importPaths(store.repo, [fx.dir], { batchSize: 64 });
      assert.equal(summary.resources, 245);
      assert.deepEqual(
        summary.errors.map((e) => e.where),
        ['line 8', 'line 58', 'line 108', 'line 158', 'line 208'],
      );
      assert.equal((await store.repo.countByType()).Observation, 245);
    } finally {
      fx.dispose();
    }
  });
}

test('a path that does not exist and a Bundle type that cannot be imported are errors', async () => {
  const store = await STORE_KINDS[0]!.open();
  const fx = fixtureDir({ 'history.json': { resourceType: 'Bundle', type: 'history', entry: [] }, 'not-fhir.json': { hello: 'world' } });
  try {
    const summary = await importPaths(store.repo, [join(fx.dir, 'nope.json'), fx.dir]);
    assert.deepEqual(
      summary.errors.map((e) => [e.file.replace(fx.dir, ''), e.message.slice(0, 30)]),
      [
        ['/nope.json', 'no such file or folder'],
        ['/history.json', 'Bundle.type "history" cannot b'],
        ['/not-fhir.json', 'not a FHIR resource (a JSON ob'],
      ],
    );
    assert.equal(summary.resources, 0);
  } finally {
    fx.dispose();
    await store.dispose();
  }
});
