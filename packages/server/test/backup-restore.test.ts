/**
 * Backup, restore and verify as a user runs them (real child processes on real data
 * directories): a backup taken while the node writes is a consistent snapshot, restores to
 * an identical chart room, and a damaged backup is caught by verify and refused by restore.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3-multiple-ciphers';
import { initDataDir, openDataDir, readKey } from '../src/data-dir.js';
import { openDataStore } from '../src/cli/open-data-store.js';
import { loadDemo } from '../src/demo/load-demo.js';
import { openBackupFile } from '../src/continuity/open-backup-file.js';
import { verifyTarget } from '../src/continuity/verify.js';
import { restoreBackup } from '../src/continuity/restore.js';
import type { BackupManifest } from '../src/continuity/backup.js';

const BIN = new URL('../bin/chartroom.js', import.meta.url).pathname;

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 180_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

interface RevRow { type: string; id: string; rev: string; parent_rev: string | null; generation: number; deleted: number; seq: number; content: string }
interface CurRow { type: string; id: string; rev: string; deleted: number; seq: number; content: string }

function revisions(db: Database.Database): RevRow[] {
  return db
    .prepare('SELECT r.type, r.id, v.rev, v.parent_rev, v.generation, v.deleted, v.seq, v.content FROM revisions v JOIN resources r ON r.rk = v.rk ORDER BY v.seq, r.type, r.id, v.rev')
    .all() as RevRow[];
}
function current(db: Database.Database): CurRow[] {
  return db.prepare('SELECT type, id, rev, deleted, seq, content FROM resources ORDER BY type, id').all() as CurRow[];
}
function readAll(file: string, keyHex: string): { revs: RevRow[]; cur: CurRow[] } {
  const db = openBackupFile(file, keyHex);
  try {
    return { revs: revisions(db), cur: current(db) };
  } finally {
    db.close();
  }
}

test('a backup taken during a write load is a consistent snapshot; restore reproduces it; verify passes', async () => {
  const root = mkdtempSync(join(tmpdir(), 'chartroom-backup-'));
  try {
    const dd = initDataDir(join(root, 'node'), { practiceName: 'Backup test practice' });
    const keyHex = readKey(dd);
    const store = await openDataStore(dd.dir);
    await loadDemo(store.repo, { patients: 6, seed: 3 });
    // A write load: creates and updates, one after another, until told to stop.
    let writes = 0;
    let stop = false;
    const load = (async () => {
      for (let i = 0; !stop; i++) {
        const p = await store.repo.create({ resourceType: 'Patient', name: [{ family: `Load${i}` }] });
        await store.repo.update({ resourceType: 'Patient', id: p.id, name: [{ family: `Load${i}`, given: ['Updated'] }] });
        writes += 2;
        if (i % 10 === 0) await new Promise((r) => setImmediate(r));
      }
    })();
    while (writes < 20) await new Promise((r) => setTimeout(r, 5));
    const before = writes;
    const out = join(root, 'backups', 'b1.db');
    const backup = await run(['backup', '--data', dd.dir, '--out', out]);
    const during = writes - before;
    while (writes < before + during + 20) await new Promise((r) => setTimeout(r, 5));
    stop = true;
    await load;
    await store.close();
    assert.equal(backup.code, 0, backup.stderr);
    assert.match(backup.stdout, /Backup of Backup test practice written to/);
    assert.ok(during > 0, `writes went on while the backup ran (${during})`);

    const manifest = JSON.parse(readFileSync(`${out}.json`, 'utf8')) as BackupManifest;
    assert.doesNotMatch(readFileSync(`${out}.json`, 'utf8'), new RegExp(keyHex), 'the manifest never holds the key');
    assert.doesNotMatch(readFileSync(out).toString('latin1'), /Backup test practice|Load1\b|resourceType/, 'the backup file is encrypted');

    // The backup equals the source as of the backup's change-log head: every revision up to it,
    // and for every resource the latest of those revisions as its current row.
    const source = readAll(dd.dbFile, keyHex);
    const copy = readAll(out, keyHex);
    const S = manifest.lastSeq;
    assert.ok(S > 0 && source.revs.some((r) => r.seq > S), 'writes landed after the snapshot too');
    assert.deepEqual(copy.revs, source.revs.filter((r) => r.seq <= S));
    const latest = new Map<string, RevRow>();
    for (const r of source.revs) if (r.seq <= S) latest.set(`${r.type}/${r.id}`, r);
    assert.deepEqual(
      copy.cur,
      [...latest.values()].map((r) => ({ type: r.type, id: r.id, rev: r.rev, deleted: r.deleted, seq: r.seq, content: r.content })).sort((a, b) => (a.type === b.type ? (a.id < b.id ? -1 : 1) : a.type < b.type ? -1 : 1)),
    );

    const verified = await run(['verify', out]);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    assert.match(verified.stdout, /ok\s+cipher integrity/);
    assert.match(verified.stdout, /ok\s+database integrity/);
    assert.match(verified.stdout, /ok\s+file checksum/);
    assert.match(verified.stdout, /ok\s+current rows have their revision/);
    assert.match(verified.stdout, /audit chain/);
    assert.match(verified.stdout, /Verified: no problems found/);

    const restoredDir = join(root, 'restored');
    const restored = await run(['restore', out, '--data', restoredDir]);
    assert.equal(restored.code, 0, restored.stdout + restored.stderr);
    const rdd = openDataDir(restoredDir);
    assert.equal(rdd.config.practiceName, 'Backup test practice');
    assert.equal(readKey(rdd), keyHex);
    const back = await openDataStore(restoredDir);
    await back.close();
    const again = readAll(rdd.dbFile, keyHex);
    assert.deepEqual(again.revs, copy.revs);
    assert.deepEqual(again.cur, copy.cur);
    const report = await verifyTarget(restoredDir);
    assert.equal(report.ok, true, JSON.stringify(report.checks));
    assert.equal(report.kind, 'data directory');
    assert.equal(report.revisions, copy.revs.length);
    assert.equal(report.counts.Patient, copy.cur.filter((r) => r.type === 'Patient' && !r.deleted).length);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a backup with flipped bytes is caught by verify (with or without its manifest) and refused by restore', async () => {
  const root = mkdtempSync(join(tmpdir(), 'chartroom-backup-bad-'));
  try {
    const dd = initDataDir(join(root, 'node'));
    const store = await openDataStore(dd.dir);
    await loadDemo(store.repo, { patients: 3, seed: 5 });
    await store.close();
    const good = join(root, 'good.db');
    assert.equal((await run(['backup', '--data', dd.dir, '--out', good])).code, 0);
    const again = await run(['backup', '--data', dd.dir, '--out', good]);
    assert.notEqual(again.code, 0, 'a backup never overwrites a file');
    assert.match(again.stderr, /already exists/);

    const bytes = readFileSync(good);
    for (const [name, offset] of [['header', 40], ['middle', Math.floor(bytes.length / 2) + 100], ['end', bytes.length - 300]] as const) {
      const bad = join(root, `bad-${name}.db`);
      const flipped = Buffer.from(bytes);
      for (let i = 0; i < 8; i++) flipped[offset + i] = (flipped[offset + i] ?? 0) ^ 0x5a;
      writeFileSync(bad, flipped);
      copyFileSync(`${good}.json`, `${bad}.json`);
      if (name === 'middle') {
        const withManifest = await run(['verify', bad]);
        assert.equal(withManifest.code, 1, `${name}: ${withManifest.stdout}${withManifest.stderr}`);
        assert.match(withManifest.stdout, /PROBLEM\s+file checksum/);
        assert.match(withManifest.stdout, /FAILED/);
      } else {
        const r = await verifyTarget(bad);
        assert.equal(r.ok, false);
        assert.equal(r.checks.find((c) => c.name === 'file checksum')?.status, 'problem');
      }
      // Without the manifest the cipher's page authentication still catches it.
      rmSync(`${bad}.json`);
      const bare = await verifyTarget(bad, { keyFile: dd.keyFile });
      assert.equal(bare.ok, false, `${name}: ${JSON.stringify(bare.checks)}`);
      assert.ok(
        bare.checks.some((c) => c.status === 'problem' && ['cipher integrity', 'database integrity', 'open'].includes(c.name)),
        `${name}: ${JSON.stringify(bare.checks)}`,
      );
      copyFileSync(`${good}.json`, `${bad}.json`);
      const target = join(root, `restored-${name}`);
      if (name === 'middle') {
        const restore = await run(['restore', bad, '--data', target]);
        assert.equal(restore.code, 1);
        assert.match(restore.stderr, /failed verification; nothing was restored/);
      } else {
        await assert.rejects(restoreBackup(bad, target), /failed verification; nothing was restored/);
      }
      assert.equal(existsSync(target), false, 'a refused restore writes nothing');
    }
    assert.equal((await run(['verify', good])).code, 0, 'the original still verifies');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
