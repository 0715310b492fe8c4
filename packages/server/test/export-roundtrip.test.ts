/**
 * `chartroom export` and its way back: an export of a practice with history (updates,
 * deletions) loaded into an empty node reproduces every resource, revision and change-log
 * entry exactly, on SQLite and PostgreSQL targets; a non-empty target is refused unchanged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSearchRequest } from '@chartroom/core';
import { STORE_KINDS } from './helpers/stores.js';
import type { TestStore } from './helpers/stores.js';
import { loadDemo } from '../src/demo/load-demo.js';
import { exportPractice, restoreExport } from '../src/continuity/practice-export.js';
import type { ExportManifest } from '../src/continuity/practice-export.js';
import type { Store } from '../src/store/open-store.js';
import { initDataDir } from '../src/data-dir.js';
import { openDataStore } from '../src/cli/open-data-store.js';

const BIN = new URL('../bin/chartroom.js', import.meta.url).pathname;

/** Everything the store holds, in change-log order, without row keys and sequence numbers. */
async function dump(store: Store): Promise<{ resources: unknown[]; revisions: unknown[]; changes: unknown[] }> {
  const db = store.dialect.db;
  const resources = await db.selectFrom('resources').select(['type', 'id', 'rev', 'deleted', 'last_updated', 'content']).orderBy('type').orderBy('id').execute();
  const revisions = await db
    .selectFrom('revisions as v')
    .innerJoin('resources as r', 'r.rk', 'v.rk')
    .select(['r.type', 'r.id', 'v.rev', 'v.parent_rev', 'v.generation', 'v.deleted', 'v.leaf', 'v.last_updated', 'v.content'])
    .orderBy('v.seq')
    .orderBy('r.type')
    .orderBy('r.id')
    .execute();
  const changes = await db.selectFrom('changes').select(['type', 'id', 'rev', 'deleted']).orderBy('seq').execute();
  const norm = (rows: Record<string, unknown>[]): unknown[] => rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
  return { resources: norm(resources), revisions: norm(revisions), changes: norm(changes) };
}

/** A small practice with history: demo data, then updates and deletions. */
async function practiceWithHistory(store: Store): Promise<void> {
  await loadDemo(store.repo, { patients: 4, seed: 11 });
  const p = await store.repo.create({ resourceType: 'Patient', name: [{ family: 'Roundtrip', given: ['Ana'] }], gender: 'female' });
  await store.repo.update({ resourceType: 'Patient', id: p.id, name: [{ family: 'Roundtrip', given: ['Ana', 'María'] }], gender: 'female' });
  await store.repo.update({ resourceType: 'Patient', id: p.id, name: [{ family: 'Roundtrip-Díaz', given: ['Ana'] }], gender: 'female', birthDate: '1980-02-03' });
  const gone = await store.repo.create({ resourceType: 'Observation', status: 'final', code: { text: 'temp' }, subject: { reference: `Patient/${p.id}` } });
  await store.repo.delete('Observation', gone.id);
  // Deleted, then created again under the same id.
  await store.repo.update({ resourceType: 'Organization', id: 'reborn', name: 'First life' });
  await store.repo.delete('Organization', 'reborn');
  await store.repo.update({ resourceType: 'Organization', id: 'reborn', name: 'Second life' });
}

const SQLITE = STORE_KINDS.find((k) => k.name === 'sqlite') ?? STORE_KINDS[0];
const PG = STORE_KINDS.find((k) => k.name === 'postgres') ?? STORE_KINDS[0];
// sqlite → postgres is moving a node's practice to a hub; postgres → sqlite is restoring a node from the hub's copy.
const PAIRS = [
  { from: SQLITE, to: SQLITE },
  { from: SQLITE, to: PG },
  { from: PG, to: SQLITE },
].filter((p): p is { from: NonNullable<typeof SQLITE>; to: NonNullable<typeof SQLITE> } => p.from !== undefined && p.to !== undefined);

for (const { from, to } of PAIRS) {
  test(`export of a ${from.name} store → restore into an empty ${to.name} node reproduces every resource and revision`, { skip: from.skip || to.skip }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chartroom-export-'));
    const source = await from.open();
    let target: TestStore | undefined;
    try {
      await practiceWithHistory(source);
      const manifest = await exportPractice(source.dialect, join(dir, 'out'), { practiceName: 'Round trip' });
      const before = await dump(source);
      assert.equal(manifest.revisions, before.revisions.length);
      assert.equal(manifest.counts.Patient, 5);
      const written = JSON.parse(readFileSync(join(dir, 'out', 'export.json'), 'utf8')) as ExportManifest;
      assert.deepEqual(written, manifest);
      // Per-type NDJSON holds the current resources, one per line.
      const patients = readFileSync(join(dir, 'out', 'Patient.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { resourceType: string });
      assert.equal(patients.length, 5);
      assert.ok(patients.every((x) => x.resourceType === 'Patient'));

      target = await to.open();
      const r = await restoreExport(target, join(dir, 'out'));
      assert.equal(r.revisions, before.revisions.length);
      const after = await dump(target);
      assert.deepEqual(after.resources, before.resources);
      assert.deepEqual(after.revisions, before.revisions);
      assert.deepEqual(after.changes, before.changes);
      // The search indexes were rebuilt: the same searches give the same answers.
      for (const [type, q] of [['Patient', { name: 'roundtrip-diaz' }], ['Observation', { code: 'http://loinc.org|8867-4' }], ['Condition', { 'clinical-status': 'active' }]] as const) {
        const a = await source.repo.search(parseSearchRequest(type, { ...q, _count: '500' }));
        const b = await target.repo.search(parseSearchRequest(type, { ...q, _count: '500' }));
        assert.deepEqual(b.matches.map((m) => m.id).sort(), a.matches.map((m) => m.id).sort(), `${type}?${JSON.stringify(q)}`);
        if (type === 'Patient') assert.equal(b.matches.length, 1);
      }
      // A version read and a deleted read behave the same.
      const org = await target.repo.read('Organization', 'reborn');
      assert.equal(JSON.parse(org.json).name, 'Second life');

      // A second restore into the now non-empty store is refused and changes nothing.
      const seq = await target.repo.lastSeq();
      await assert.rejects(restoreExport(target, join(dir, 'out')), /empty node only/);
      assert.equal(await target.repo.lastSeq(), seq);
    } finally {
      await source.dispose();
      await target?.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('chartroom export, then chartroom import of the folder into a new data directory, round-trips', async () => {
  const root = mkdtempSync(join(tmpdir(), 'chartroom-export-cli-'));
  const run = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => execFile(process.execPath, [BIN, ...args], { encoding: 'utf8' }, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr })));
  try {
    const a = initDataDir(join(root, 'a'), { practiceName: 'Export CLI' });
    const s = await openDataStore(a.dir);
    await practiceWithHistory(s);
    const before = await dump(s);
    await s.close();
    const exp = await run(['export', '--data', a.dir, '--out', join(root, 'export')]);
    assert.equal(exp.code, 0, exp.stderr);
    assert.match(exp.stdout, /Exported Export CLI: \d+ current resources of \d+ types and \d+ revisions/);
    assert.match(exp.stdout, /NOT encrypted/);
    const again = await run(['export', '--data', a.dir, '--out', join(root, 'export')]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /not empty/);
    const b = initDataDir(join(root, 'b'));
    const imp = await run(['import', '--data', b.dir, join(root, 'export')]);
    assert.equal(imp.code, 0, imp.stderr);
    assert.match(imp.stdout, /Restored the export/);
    const t = await openDataStore(b.dir);
    try {
      assert.deepEqual(await dump(t), before);
    } finally {
      await t.close();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
