/**
 * Downtime-kit settings over HTTP (`/api/downtime-kit/settings`, `/api/downtime-kit/run`):
 * admin only, validated all or nothing, saved in config.json, never returning the
 * passphrase, audited, and picked up by the running schedule without a restart.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fhirTestApp, assertOutcome } from './helpers/fhir-app.js';
import type { ActingUser, FhirTestApp } from './helpers/fhir-app.js';
import type { TestStore } from './helpers/stores.js';
import { openStore } from '../src/store/open-store.js';
import { loadDemo } from '../src/demo/load-demo.js';
import { initDataDir } from '../src/data-dir.js';
import type { DataDir } from '../src/data-dir.js';
import { DowntimeKitService } from '../src/downtime/kit-settings.js';
import { KIT_FILE, KIT_MANIFEST } from '../src/downtime/write-kit.js';
import { AuditLog } from '../src/security/audit-log.js';
import { ephemeralSigner } from '../src/security/audit-signing.js';
import { auditDb } from '../src/security/audit-tables.js';

const PASS = 'correct horse battery';
const ITERATIONS = 1000; // the page's KDF cost is tested elsewhere; here only the settings matter

async function waitFor(what: string, check: () => boolean, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('downtime-kit settings over HTTP', () => {
  let root: string;
  let dd: DataDir;
  let store: TestStore;
  let audit: AuditLog;
  let kit: DowntimeKitService;
  let t: FhirTestApp;
  let admin: ActingUser;
  let usb: string;
  let share: string;
  const logs: string[] = [];
  const configText = (): string => readFileSync(join(dd.dir, 'config.json'), 'utf8');

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'chartroom-kit-settings-'));
    dd = initDataDir(join(root, 'data'), { practiceName: 'Settings practice' });
    usb = join(root, 'usb');
    share = join(root, 'share');
    mkdirSync(usb);
    mkdirSync(share);
    const opened = await openStore({ kind: 'sqlite', file: dd.dbFile, keyHex: randomBytes(32).toString('hex') });
    store = { ...opened, dispose: async () => opened.close() };
    await loadDemo(store.repo, { patients: 6, seed: 3, today: new Date() });
    audit = await AuditLog.open({ db: store.dialect.db, writes: store.writes, nodeId: 'node-a', signer: ephemeralSigner(), flushMs: 5 });
    kit = new DowntimeKitService(dd, store.repo, { env: {}, iterations: ITERATIONS, log: (l) => logs.push(l) });
    t = await fhirTestApp(async () => store, { audit, downtimeKit: kit });
    admin = await t.actAs('admin');
  });

  after(async () => {
    await kit.stop();
    await t.app.close();
    await audit.close();
    await store.dispose();
    rmSync(root, { recursive: true, force: true });
  });

  it('admin only: other roles and backend tokens are refused, no credentials is 401', async () => {
    for (const role of ['clinician', 'nurse', 'front-desk', 'billing'] as const) {
      const u = await t.actAs(role);
      assert.equal((await u.request('GET', '/api/downtime-kit/settings')).status, 403, role);
      assert.equal((await u.request('PUT', '/api/downtime-kit/settings', { body: { everyMinutes: 30 } })).status, 403, role);
      assert.equal((await u.request('POST', '/api/downtime-kit/run')).status, 403, role);
    }
    assert.equal((await t.request('GET', '/api/downtime-kit/settings')).status, 403, 'a system/*.* token is not an administrator');
    assert.equal((await t.request('GET', '/api/downtime-kit/settings', { as: null })).status, 401);
    assert.ok(!configText().includes('downtimeKit'), 'nothing was saved');
  });

  it('defaults before anything is set', async () => {
    const r = await admin.request('GET', '/api/downtime-kit/settings');
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { everyMinutes: 15, folders: [], allPatients: false, passphraseSet: false, lastWritten: null });
    assertOutcome(await admin.request('POST', '/api/downtime-kit/run'), 409, { diagnostics: /No folder is set/ });
  });

  it('bad input: one precise OperationOutcome naming every bad field, config.json unchanged', async () => {
    const before = configText();
    const aFile = join(root, 'a-file');
    writeFileSync(aFile, 'x');
    const cases: [unknown, string, RegExp][] = [
      [{ passphrase: 'too short' }, 'passphrase', /at least 10 characters/],
      [{ passphrase: 1234567890123 }, 'passphrase', /must be a string/],
      [{ passphrase: ' padded passphrase ' }, 'passphrase', /must not start or end with spaces/],
      [{ everyMinutes: 4 }, 'everyMinutes', /from 5 to 1440; got 4/],
      [{ everyMinutes: 1441 }, 'everyMinutes', /from 5 to 1440; got 1441/],
      [{ everyMinutes: 15.5 }, 'everyMinutes', /whole number/],
      [{ everyMinutes: '15' }, 'everyMinutes', /got "15"/],
      [{ allPatients: 'yes' }, 'allPatients', /true or false/],
      [{ folders: 'usb' }, 'folders', /list of folder paths/],
      [{ folders: ['relative/kits'] }, 'folders[0]', /not an absolute path/],
      [{ folders: [usb, join(root, 'missing')] }, 'folders[1]', /does not exist on this node/],
      [{ folders: [aFile] }, 'folders[0]', /is not a folder/],
      [{ folders: [usb, `${usb}/`] }, 'folders[1]', /listed twice/],
      [{ everyMinute: 30 }, 'everyMinute', /"everyMinute" is not a downtime-kit setting/],
      [[], '', /must be a JSON object/],
    ];
    if (existsSync('/proc/self')) cases.push([{ folders: ['/proc'] }, 'folders[0]', /\/proc is not writable/]);
    for (const [body, field, message] of cases) {
      const r = await admin.request('PUT', '/api/downtime-kit/settings', { body });
      assertOutcome(r, 400, { code: 'invalid', diagnostics: message, ...(field ? { expression: field } : {}) });
      assert.match(r.text, /were not changed|must be a JSON object/);
    }
    // Several bad fields at once: all named, and a good field alongside is not saved either.
    const r = await admin.request('PUT', '/api/downtime-kit/settings', { body: { everyMinutes: 2, passphrase: 'short', folders: [usb] } });
    assertOutcome(r, 400, { diagnostics: /everyMinutes must be .*; The downtime passphrase must have at least 10/ });
    assert.equal(configText(), before, 'config.json is byte for byte the same');
    assert.deepEqual(readdirSync(usb), [], 'the folder probe leaves nothing behind');
  });

  it('a valid change is saved in config.json (0600), the passphrase is never returned, and a kit can be run now', async () => {
    const r = await admin.request('PUT', '/api/downtime-kit/settings', { body: { everyMinutes: 30, folders: [usb, share], passphrase: PASS } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { everyMinutes: 30, folders: [usb, share], allPatients: false, passphraseSet: true, lastWritten: null });
    assert.ok(!r.text.includes(PASS));
    const saved = JSON.parse(configText()) as { downtimeKit: Record<string, unknown>; practiceName: string };
    assert.deepEqual(saved.downtimeKit, { everyMinutes: 30, folders: [usb, share], passphrase: PASS });
    assert.equal(saved.practiceName, 'Settings practice', 'the rest of config.json is kept');
    assert.equal(statSync(join(dd.dir, 'config.json')).mode & 0o077, 0, 'private to the node');
    // A partial change keeps the other fields.
    const p = await admin.request('PUT', '/api/downtime-kit/settings', { body: { allPatients: true } });
    assert.deepEqual([p.body.everyMinutes, p.body.folders, p.body.allPatients, p.body.passphraseSet], [30, [usb, share], true, true]);

    const run = await admin.request('POST', '/api/downtime-kit/run');
    assert.equal(run.status, 200, run.text);
    const m = run.body.manifest as { format: string; writtenAt: string; dataAsOf: string; bytes: number; appointments: number; scheduledPatients: number; allPatients: boolean; sha256: string };
    assert.equal(m.format, 'chartroom-downtime-kit/1');
    assert.equal(m.allPatients, true);
    assert.ok(m.appointments > 0 && m.scheduledPatients > 0, run.text);
    assert.deepEqual(run.body.files, [join(usb, KIT_FILE), join(share, KIT_FILE)]);
    assert.deepEqual(run.body.failures, []);
    assert.ok(!run.text.includes(PASS));
    for (const folder of [usb, share]) {
      assert.equal(readFileSync(join(folder, KIT_FILE)).length, m.bytes);
      assert.equal((JSON.parse(readFileSync(join(folder, KIT_MANIFEST), 'utf8')) as { sha256: string }).sha256, m.sha256);
    }
    const g = await admin.request('GET', '/api/downtime-kit/settings');
    assert.deepEqual(g.body.lastWritten, { at: m.writtenAt, folder: usb, bytes: m.bytes, appointments: m.appointments, faceSheets: m.scheduledPatients });
    assert.ok(!g.text.includes(PASS));
  });

  it('a folder that went away is reported, the others still get the kit', async () => {
    const gone = join(root, 'stick');
    mkdirSync(gone);
    assert.equal((await admin.request('PUT', '/api/downtime-kit/settings', { body: { folders: [gone, share] } })).status, 200);
    rmSync(gone, { recursive: true });
    writeFileSync(gone, 'not a folder any more');
    const run = await admin.request('POST', '/api/downtime-kit/run');
    assert.equal(run.status, 200, run.text);
    assert.deepEqual(run.body.files, [join(share, KIT_FILE)]);
    assert.deepEqual((run.body.failures as { folder: string }[]).map((f) => f.folder), [gone]);
    rmSync(gone);
    assert.equal((await admin.request('PUT', '/api/downtime-kit/settings', { body: { folders: [gone] } })).status, 400);
    assert.equal((await admin.request('PUT', '/api/downtime-kit/settings', { body: { folders: [usb, share] } })).status, 200);
  });

  it('the changes are audited as privilege changes, without the passphrase', async () => {
    await audit.flush();
    const rows = await auditDb(store.dialect.db).selectFrom('audit_events').selectAll().where('user_id', '=', admin.userId).orderBy('seq').execute();
    const puts = rows.filter((r) => r.content.includes('PUT /api/downtime-kit/settings'));
    assert.ok(puts.some((r) => r.action === 'privilege-change' && r.outcome === 'success'), 'a saved change');
    assert.ok(puts.some((r) => r.action === 'privilege-change' && r.outcome === 'failed'), 'a refused change');
    assert.ok(rows.some((r) => r.content.includes('POST /api/downtime-kit/run') && r.outcome === 'success'), 'a kit run');
    assert.ok(rows.some((r) => r.action === 'read' && r.content.includes('GET /api/downtime-kit/settings')), 'reading the settings');
    assert.ok(!rows.some((r) => r.content.includes(PASS)), 'the passphrase is not in the audit trail');
    const denied = await auditDb(store.dialect.db).selectFrom('audit_events').selectAll().where('outcome', '=', 'denied').execute();
    assert.ok(denied.some((r) => r.content.includes('/api/downtime-kit/settings')), 'refused callers are audited too');
  });

  it('the running schedule picks up a change without a restart', async () => {
    for (const f of [usb, share]) rmSync(join(f, KIT_FILE), { force: true });
    kit.start();
    await waitFor('the first kit at start', () => existsSync(join(usb, KIT_FILE)));
    const fresh = join(root, 'new-share');
    mkdirSync(fresh);
    const r = await admin.request('PUT', '/api/downtime-kit/settings', { body: { folders: [fresh], passphrase: 'a brand new passphrase' } });
    assert.equal(r.status, 200, r.text);
    await waitFor('a kit in the new folder, under the new passphrase', () => existsSync(join(fresh, KIT_MANIFEST)));
    assert.ok(logs.some((l) => l.includes(`Downtime kit written to ${join(fresh, KIT_FILE)}`)), logs.join('\n'));
    const s = await admin.request('GET', '/api/downtime-kit/settings');
    assert.equal((s.body.lastWritten as { folder: string }).folder, fresh);
  });

  it('a passphrase from the node\'s environment cannot be silently overridden', async () => {
    const envKit = new DowntimeKitService(dd, store.repo, { env: { CHARTROOM_DOWNTIME_PASSPHRASE: 'set by the service manager' }, iterations: ITERATIONS });
    const before = configText();
    assert.throws(() => envKit.update({ passphrase: 'another long passphrase', everyMinutes: 60 }), /overrides the practice passphrase/);
    assert.equal(configText(), before);
    assert.equal(envKit.settings().passphraseSet, true);
  });
});
