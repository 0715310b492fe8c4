/**
 * Account and token changes made with `chartroom user …` / `chartroom token …` are audited as
 * privilege changes in the node's hash chain, like the same changes through the admin API —
 * also while the node's server is writing its own events to the same chain.
 */
import { captureConsole, runCli } from './helpers/console-capture.js';
import type { Captured } from './helpers/console-capture.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Principal, UserId } from '@chartroom/core';
import { initDataDir, openDataDir, readKey } from '../src/data-dir.js';
import { openStore } from '../src/store/open-store.js';
import { userCommand } from '../src/cli/user-command.js';
import { tokenCommand } from '../src/cli/token-command.js';
import { AuditLog } from '../src/security/audit-log.js';
import { dataDirSigner } from '../src/security/audit-signing.js';
import { auditDb } from '../src/security/audit-tables.js';
import { verifyAuditTrail } from '../src/security/audit-verify.js';
import { auditEventOfRecord } from '../src/security/audit-event.js';

/** Runs a command module in this process with its console output captured. */
const cli = (command: { run(args: string[]): Promise<number> }, args: string[]): Promise<Captured> => captureConsole(() => command.run(args));

test('user and token commands leave privilege-change events in the chain, beside a running server writing its own', async () => {
  const root = mkdtempSync(join(tmpdir(), 'chartroom-audit-cli-priv-'));
  try {
    const dd = initDataDir(join(root, 'node'));
    // The "server": its own store connection and audit log on the same node chain, recording reads.
    const store = await openStore({ kind: 'sqlite', file: dd.dbFile, keyHex: readKey(dd) });
    const server = await AuditLog.open({ db: store.dialect.db, writes: store.writes, nodeId: dd.config.nodeId, signer: dataDirSigner(dd.dir), flushMs: 5 });
    const reader: Principal = { kind: 'session', userId: 'u-x' as UserId, username: 'dr.x', role: 'clinician', address: '10.0.0.9' };
    const serverReads = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) server.record({ action: 'read', principal: reader, patientIds: ['p1'], resources: ['Patient/p1'] });
      await server.flush();
    };

    await serverReads(2);
    const add = await cli(userCommand, ['add', '--data', dd.dir, 'rn.cole', '--role', 'nurse', '--name', 'Rita Cole']);
    assert.equal(add.code, 0, add.err);
    await serverReads(2); // the server's next batch follows the CLI's event, not its own stale head
    assert.equal((await cli(userCommand, ['set-role', '--data', dd.dir, 'rn.cole', 'front-desk'])).code, 0);
    assert.equal((await cli(userCommand, ['reset-password', '--data', dd.dir, 'rn.cole'])).code, 0);
    assert.equal((await cli(userCommand, ['disable', '--data', dd.dir, 'rn.cole'])).code, 0);
    assert.equal((await cli(userCommand, ['enable', '--data', dd.dir, 'rn.cole'])).code, 0);
    assert.equal((await cli(userCommand, ['reset-mfa', '--data', dd.dir, 'rn.cole'])).code, 0);
    const created = await cli(tokenCommand, ['create', '--data', dd.dir, '--user', 'rn.cole', '--scope', 'user/*.read']);
    assert.equal(created.code, 0, created.err);
    const secret = created.out.trim().split('\n').pop() ?? '';
    const tokenId = /Token (\S+) for/.exec(created.out)?.[1] ?? '';
    assert.equal((await cli(tokenCommand, ['revoke', '--data', dd.dir, tokenId])).code, 0);
    const refused = await cli(userCommand, ['set-role', '--data', dd.dir, 'rn.cole', 'wizard']);
    assert.equal(refused.code, 1);
    await serverReads(1);
    assert.equal((await cli(userCommand, ['list', '--data', dd.dir])).code, 0);
    await server.close();

    const rows = await auditDb(store.dialect.db).selectFrom('audit_events').select(['seq', 'action', 'outcome', 'severity', 'content']).orderBy('seq').execute();
    assert.deepEqual(rows.map((r) => Number(r.seq)), rows.map((_, i) => i + 1), 'one contiguous chain');
    assert.equal(rows.filter((r) => r.action === 'read').length, 5, 'the server kept writing its reads');
    const changes = rows.filter((r) => r.action === 'privilege-change');
    const said = changes.map((r) => auditEventOfRecord(r.content, dd.config.nodeId, Number(r.seq)).outcomeDesc ?? '');
    const expected = [
      /^user rn\.cole added with role nurse — command line \(chartroom user add, OS user \S+\)$/,
      /^role of rn\.cole changed from nurse to front-desk/,
      /^password of rn\.cole reset/,
      /^user rn\.cole disabled/,
      /^user rn\.cole enabled/,
      /^second factor of rn\.cole removed/,
      new RegExp(`^API token ${tokenId} created for rn\\.cole: user/\\*\\.read`),
      new RegExp(`^API token ${tokenId} revoked`),
      /^chartroom user set-role refused: .*wizard/,
    ];
    assert.equal(said.length, expected.length, said.join('\n'));
    expected.forEach((re, i) => assert.match(said[i] ?? '', re));
    assert.deepEqual(changes.map((r) => r.outcome), [...Array(8).fill('success'), 'failed']);
    assert.equal(changes.at(-1)?.severity, 'high');
    const ev = auditEventOfRecord(changes[0]?.content ?? '{}', dd.config.nodeId, 1);
    assert.equal(ev.type.code, '110136', 'DICOM Security Roles Changed');
    assert.equal(ev.purposeOfEvent?.[0]?.coding?.[0]?.code, 'HOPERAT');
    assert.ok(ev.entity?.some((e) => e.what?.reference?.startsWith('User/')), 'names the user changed');
    assert.ok(!rows.some((r) => r.content.includes(secret)), 'the token itself is never in the audit trail');
    assert.equal(rows.filter((r) => r.action === 'read' || r.action === 'privilege-change').length, rows.length, '`user list` records nothing');

    const report = await verifyAuditTrail(store.dialect.db, { [dd.config.nodeId]: [dataDirSigner(dd.dir).publicKeyPem] });
    assert.equal(report.ok, true, JSON.stringify(report.problems));
    assert.equal(report.nodes[dd.config.nodeId]?.signedThrough, rows.length, 'the head is signed through the last event');
    await store.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('chartroom init records the first administrator as the chain\'s first privilege change, signed', async () => {
  const root = mkdtempSync(join(tmpdir(), 'chartroom-audit-init-'));
  try {
    const dir = join(root, 'node');
    const passwordFile = join(root, 'pw');
    writeFileSync(passwordFile, 'correct horse battery staple\n', { mode: 0o600 });
    const init = await runCli(['init', '--data', dir, '--admin-password-file', passwordFile]);
    assert.equal(init.code, 0, init.err);
    const dd = openDataDir(dir);
    const store = await openStore({ kind: 'sqlite', file: dd.dbFile, keyHex: readKey(dd) });
    try {
      const rows = await auditDb(store.dialect.db).selectFrom('audit_events').select(['seq', 'action', 'outcome', 'content']).orderBy('seq').execute();
      assert.deepEqual(rows.map((r) => [Number(r.seq), r.action, r.outcome]), [[1, 'privilege-change', 'success']]);
      assert.match(auditEventOfRecord(rows[0]?.content ?? '{}', dd.config.nodeId, 1).outcomeDesc ?? '', /^first practice administrator "admin" created by chartroom init — command line/);
      const report = await verifyAuditTrail(store.dialect.db, { [dd.config.nodeId]: [dataDirSigner(dd.dir).publicKeyPem] });
      assert.equal(report.ok, true, JSON.stringify(report.problems));
      assert.equal(report.nodes[dd.config.nodeId]?.signedThrough, 1);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
