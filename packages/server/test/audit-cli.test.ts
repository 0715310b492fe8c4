/**
 * `chartroom audit verify|report|break-glass` as a privacy officer runs them: a real child
 * process over a real data directory whose audit trail was written by the node.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Principal, UserId } from '@chartroom/core';
import { initDataDir, readKey } from '../src/data-dir.js';
import { openStore } from '../src/store/open-store.js';
import { openAuditServices } from '../src/security/audit-services.js';
import { AUDIT_KEY_FILE, dataDirSigner } from '../src/security/audit-signing.js';
import { auditDb } from '../src/security/audit-tables.js';

const BIN = new URL('../bin/chartroom.js', import.meta.url).pathname;

function run(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('audit verify, report and break-glass from the command line; verify fails after a row is edited', async () => {
  const root = mkdtempSync(join(tmpdir(), 'chartroom-audit-cli-'));
  try {
    const dd = initDataDir(join(root, 'node'));
    const store = await openStore({ kind: 'sqlite', file: dd.dbFile, keyHex: readKey(dd) });
    await store.repo.create({ resourceType: 'Patient', name: [{ family: 'Audit' }] }, { id: 'p1' });
    const services = await openAuditServices(store, dd.config.nodeId, dataDirSigner(dd.dir));
    assert.equal(statSync(join(dd.dir, AUDIT_KEY_FILE)).mode & 0o777, 0o600, 'signing key is private');
    const dr: Principal = { kind: 'session', userId: 'u-ames' as UserId, username: 'dr.ames', role: 'clinician', address: '10.1.1.1' };
    const rn: Principal = { kind: 'session', userId: 'u-baker' as UserId, username: 'rn.baker', role: 'nurse', address: '10.1.1.2' };
    services.audit.record({ action: 'read', principal: rn, patientIds: ['p1'], resources: ['Patient/p1'] });
    services.audit.record({ action: 'search', principal: dr, patientIds: ['p1', 'p2'], query: 'Observation?code=x' });
    services.audit.record({ action: 'print', principal: dr, patientIds: ['p1'], resources: ['Patient/p1'], description: 'face sheet' });
    await services.breakGlass.open(dr, { patientId: 'p1', reason: 'unconscious patient, need psychiatric history' });
    await services.close();
    await store.close();

    const ok = run(['audit', 'verify', '--data', dd.dir]);
    assert.equal(ok.code, 0, ok.stderr + ok.stdout);
    assert.match(ok.stdout, /Audit trail intact: 4 events\./);
    assert.match(ok.stdout, /signed through 4/);

    const report = run(['audit', 'report', '--data', dd.dir, '--patient', 'p1', '--sort=-user']);
    assert.equal(report.code, 0, report.stderr);
    const lines = report.stdout.trim().split('\n');
    assert.match(lines[0] ?? '', /^time\s+user\s+role\s+action\s+outcome/);
    const users = lines.slice(2, -1).map((l) => l.split(/\s+/)[1]);
    assert.deepEqual(users, ['rn.baker', 'dr.ames', 'dr.ames', 'dr.ames'], 'sorted by user, descending');
    assert.match(report.stdout, /4 event\(s\) for Patient\/p1\./);
    const json = run(['audit', 'report', '--data', dd.dir, '--patient', 'p1', '--disclosures', '--json']);
    assert.deepEqual((JSON.parse(json.stdout) as { action: string }[]).map((r) => r.action), ['print'], 'accounting of disclosures');

    const bg = run(['audit', 'break-glass', '--data', dd.dir]);
    assert.equal(bg.code, 0, bg.stderr);
    assert.match(bg.stdout, /dr\.ames\s+p1\s+\S+\s+unconscious patient, need psychiatric history/);
    assert.match(bg.stdout, /1 break-the-glass grant\(s\)\./);

    assert.notEqual(run(['audit', 'report', '--data', dd.dir]).code, 0, '--patient is required');
    assert.notEqual(run(['audit', 'shred', '--data', dd.dir]).code, 0);

    const again = await openStore({ kind: 'sqlite', file: dd.dbFile, keyHex: readKey(dd) });
    await auditDb(again.dialect.db).updateTable('audit_events').set({ username: 'someone', content: '{"tampered":true}' }).where('seq', '=', 2).execute();
    await again.close();
    const bad = run(['audit', 'verify', '--data', dd.dir]);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /PROBLEM node \S+ event 2: edited/);
    assert.match(bad.stdout, /Audit trail TAMPERED/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
