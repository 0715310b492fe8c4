/**
 * `chartroom drill`: fails when there is no kit, passes once the kit and a backup are in
 * place (the kit is opened with the passphrase), and fails again on a damaged backup; the
 * offline reconciliation report.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initDataDir, openDataDir } from '../src/data-dir.js';
import { openDataStore } from '../src/cli/open-data-store.js';
import { loadDemo } from '../src/demo/load-demo.js';
import { runDrill, formatDrill } from '../src/continuity/drill.js';
import { writeDowntimeKit } from '../src/downtime/write-kit.js';
import { backupNode } from '../src/continuity/backup.js';
import { backupFileName, pruneBackups } from '../src/continuity/backup-schedule.js';
import { changesSince, formatReconciliation, reconcile } from '../src/continuity/reconciliation.js';
import type { SyncStatus } from '../src/sync/sync-service.js';
import { sqliteTestStore } from './helpers/stores.js';

const PASS = 'drill passphrase 2026';

test('drill: kit missing → FAIL; kit and backup in place → pass; damaged backup → FAIL', async () => {
  const root = mkdtempSync(join(tmpdir(), 'chartroom-drill-'));
  try {
    const kitDir = join(root, 'usb');
    const backupDir = join(root, 'backups');
    const created = initDataDir(join(root, 'node'), { practiceName: 'Drill practice' });
    const config = JSON.parse(readFileSync(join(created.dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(created.dir, 'config.json'), JSON.stringify({ ...config, downtimeKit: { folders: [kitDir], everyMinutes: 15, passphrase: PASS }, backup: { dir: backupDir, everyHours: 6, keep: 2 } }));
    const dd = openDataDir(created.dir);
    const store = await openDataStore(dd.dir);
    try {
      await loadDemo(store.repo, { patients: 3, seed: 6 });
      const now = Date.now();
      const before = await runDrill(dd, store, { now });
      const text = formatDrill('Drill practice', before, now);
      assert.match(text, /PASS\s+hub unreachable: charts on this node: 3 patients readable/);
      assert.match(text, /FAIL\s+node unreachable: kit in .*usb: no kit there/);
      assert.match(text, /PASS\s+node unreachable: kit opens: a kit written now .* opens with the practice passphrase/);
      assert.match(text, /FAIL\s+backup: no backup in/);
      assert.match(text, /WARN\s+hub unreachable: replication status: this node has no peers/);
      assert.match(text, /Drill FAILED/);

      await writeDowntimeKit(store.repo, { folders: [kitDir], passphrase: PASS, practiceName: 'Drill practice', now });
      // Three scheduled backups, pruned to the newest two.
      for (const at of [now - 3 * 3_600_000, now - 2 * 3_600_000, now - 3_600_000]) await backupNode(dd.dir, join(backupDir, backupFileName(at)));
      assert.equal(pruneBackups(backupDir, 2).length, 1);
      const after = await runDrill(dd, store, { now: now + 60_000 });
      const passed = formatDrill('Drill practice', after, now);
      assert.match(passed, /PASS\s+node unreachable: kit in .*usb: data 60 s old/);
      assert.match(passed, /PASS\s+backup: chartroom-\d{8}T\d{6}Z\.db, 61 min old: verified/);
      assert.ok(!after.some((s) => s.status === 'FAIL'), passed);
      assert.match(passed, /Drill passed with 1 warning/);

      const newest = join(backupDir, backupFileName(now - 3_600_000));
      const bytes = readFileSync(newest);
      bytes[Math.floor(bytes.length / 2)] = (bytes[Math.floor(bytes.length / 2)] ?? 0) ^ 0xff;
      writeFileSync(newest, bytes);
      const damaged = await runDrill(dd, store, { now: now + 60_000 });
      assert.match(formatDrill('Drill practice', damaged, now), /FAIL\s+backup: .*FAILED \(file checksum/);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('reconciliation: changes since a time, split by what a peer acknowledged, with open conflicts', async () => {
  const store = await sqliteTestStore();
  try {
    await store.repo.create({ resourceType: 'Patient', name: [{ family: 'Before' }] });
    await new Promise((r) => setTimeout(r, 5));
    const since = Date.now();
    await new Promise((r) => setTimeout(r, 5));
    const a = await store.repo.create({ resourceType: 'Patient', name: [{ family: 'During' }] });
    await store.repo.create({ resourceType: 'Observation', status: 'final', code: { text: 'pulse' }, subject: { reference: `Patient/${a.id}` } });
    await store.repo.delete('Patient', a.id);
    const changes = await changesSince(store.dialect, since);
    assert.deepEqual(changes.map((c) => `${c.type}:${c.deleted}`), ['Patient:false', 'Observation:false', 'Patient:true']);
    const acked = changes[1]?.seq ?? 0;
    const status = {
      conflicts: 2,
      quarantined: 0,
      peers: [{ nodeId: 'hub1', name: 'hub', direction: 'outbound', state: 'offline', lastSuccessAt: null, push: { status: 'offline', checkpoint: acked, lastSuccessAt: '2026-11-25T09:00:00.000Z', lastError: 'unreachable' } }],
    } as unknown as SyncStatus;
    const r = reconcile(changes, status, since);
    assert.equal(r.changes, 3);
    assert.deepEqual(r.byType, { Patient: 2, Observation: 1 });
    assert.deepEqual(r.peers, [{ name: 'hub', acknowledged: 2, waiting: 1, lastSuccessAt: '2026-11-25T09:00:00.000Z', state: 'offline' }]);
    assert.equal(r.waitingExamples.length, 1);
    assert.match(r.waitingExamples[0] ?? '', new RegExp(`deleted Patient/${a.id}$`));
    const text = formatReconciliation(r);
    assert.match(text, /3 change\(s\) written on this node \(0 received from peers, not counted\)/);
    assert.match(text, /hub: 2 acknowledged \(last success 2026-11-25T09:00:00.000Z\), 1 waiting/);
    assert.match(text, /Conflicts open: 2 — resolve them in the reconciliation inbox/);
    assert.match(formatReconciliation(reconcile(changes, undefined, since)), /No peer: nothing of this has left the node/);
  } finally {
    await store.dispose();
  }
});
