/**
 * The downtime kit without a browser: passphrase rules, the data it carries (decrypted here
 * with WebCrypto exactly as the page does), atomic writes to several folders with rotation
 * and a manifest, and the CLI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sqliteTestStore } from './helpers/stores.js';
import { loadDemo } from '../src/demo/load-demo.js';
import { KIT_FILE, KIT_MANIFEST, kitPassphrase, writeDowntimeKit } from '../src/downtime/write-kit.js';
import type { KitData } from '../src/downtime/kit-data.js';
import { faceSheet } from '../src/downtime/kit-data.js';
import { chartOf } from '../src/continuity/patient-chart.js';
import { DOCUMENT_CATEGORY_SYSTEM } from '../src/clinical/documents/document-service.js';
import type { DocumentReference, Patient } from '@medplum/fhirtypes';
import { initDataDir } from '../src/data-dir.js';
import { openDataStore } from '../src/cli/open-data-store.js';

const BIN = new URL('../bin/chartroom.js', import.meta.url).pathname;
const PASS = 'downtime passphrase 42';
const NOW = new Date(2026, 10, 27, 8, 0); // a Friday: the next working day is Monday

/** Opens a kit file the way the page does (PBKDF2-SHA256 → AES-GCM → gunzip). */
async function openKit(html: string, passphrase: string): Promise<KitData> {
  const block = /<script type="application\/json" id="kit-data">(.*?)<\/script>/s.exec(html)?.[1] ?? '';
  const sealed = JSON.parse(block) as { salt: string; iv: string; data: string; iterations: number };
  const subtle = globalThis.crypto.subtle;
  const base = await subtle.importKey('raw', new TextEncoder().encode(passphrase.normalize('NFC')), 'PBKDF2', false, ['deriveKey']);
  const key = await subtle.deriveKey({ name: 'PBKDF2', hash: 'SHA-256', salt: Buffer.from(sealed.salt, 'base64'), iterations: sealed.iterations }, base, { name: 'AES-GCM', length: 256 }, false, ['decrypt']);
  const plain = await subtle.decrypt({ name: 'AES-GCM', iv: Buffer.from(sealed.iv, 'base64') }, key, Buffer.from(sealed.data, 'base64'));
  const text = await new Response(new Blob([plain]).stream().pipeThrough(new DecompressionStream('gzip'))).text();
  return JSON.parse(text) as KitData;
}

test('passphrase: from the environment or config.json, never missing or short', () => {
  assert.throws(() => kitPassphrase(undefined, {}), /No downtime passphrase/);
  assert.throws(() => kitPassphrase({ passphrase: 'short' }, {}), /at least 10 characters/);
  assert.equal(kitPassphrase({ passphrase: 'from the config file' }, {}), 'from the config file');
  assert.equal(kitPassphrase({ passphrase: 'from the config file' }, { CHARTROOM_DOWNTIME_PASSPHRASE: 'from the environment' }), 'from the environment');
});

test('the kit carries the schedule of today and the next working day and complete face sheets; folders rotate; manifest', async () => {
  const root = mkdtempSync(join(tmpdir(), 'chartroom-kit-'));
  const store = await sqliteTestStore();
  try {
    await loadDemo(store.repo, { patients: 8, seed: 1, today: NOW });
    const folders = [join(root, 'usb'), join(root, 'share', 'kits')];
    let last;
    for (let i = 0; i < 3; i++) {
      last = await writeDowntimeKit(store.repo, { folders, passphrase: PASS, practiceName: 'Kit practice', now: NOW.getTime() + i * 15 * 60_000, keep: 2 });
    }
    assert.ok(last);
    for (const f of folders) {
      const names = readdirSync(f).sort();
      assert.deepEqual(names.filter((n) => n.endsWith('.html')).length, 3, `${f}: latest + 2 stamped copies (${names.join(', ')})`);
      assert.ok(names.includes(KIT_FILE) && names.includes(KIT_MANIFEST));
      assert.ok(!names.some((n) => n.includes('.tmp')), 'no temporary files left');
      const manifest = JSON.parse(readFileSync(join(f, KIT_MANIFEST), 'utf8')) as { dataAsOf: string; copies: string[]; bytes: number; scheduledPatients: number };
      assert.equal(manifest.dataAsOf, new Date(NOW.getTime() + 30 * 60_000).toISOString());
      assert.equal(manifest.copies.length, 2);
      assert.equal(manifest.bytes, readFileSync(join(f, KIT_FILE)).length);
      assert.equal(manifest.scheduledPatients, last.patients);
    }
    const html = readFileSync(join(folders[0] ?? '', KIT_FILE), 'utf8');
    await assert.rejects(openKit(html, 'wrong passphrase!'));
    const data = await openKit(html, PASS);
    assert.equal(data.practiceName, 'Kit practice');
    assert.deepEqual(data.days.map((d) => d.date), ['2026-11-27', '2026-11-30']);
    assert.ok(data.days.every((d) => d.appointments.length > 0));
    assert.ok(data.days.every((d) => d.appointments.every((a) => a.start.startsWith(d.date))));
    const scheduled = new Set(data.days.flatMap((d) => d.appointments.map((a) => a.patientId)));
    assert.deepEqual(new Set(data.faceSheets.map((s) => s.id)), scheduled, 'a face sheet for each scheduled patient, no other');
    const jose = data.faceSheets.find((s) => s.name === 'José Muñoz');
    assert.ok(jose, 'José Muñoz is scheduled today (a featured demo patient)');
    {
      assert.ok(jose.allergies.some((a) => /penicillin/i.test(a)));
      assert.ok(jose.medications.some((m) => /lithium/i.test(m.name) && m.sig.length > 0), 'medications carry their sig');
      assert.ok(jose.problems.length >= 3);
      assert.ok(jose.coverage.some((c) => /copay \$\d+/.test(c)));
      assert.ok(jose.labs.some((l) => /lithium/i.test(l.name) && l.flag === 'H'));
    }
    for (const s of data.faceSheets) {
      assert.ok(s.mrn && s.birthDate, `${s.name}: identifiers`);
      assert.notEqual(s.lastNote?.title, 'Psychotherapy note', 'psychotherapy notes stay with their author');
    }
    assert.equal(data.allPatients, undefined);
    const all = await writeDowntimeKit(store.repo, { folders: [join(root, 'all')], passphrase: PASS, practiceName: 'Kit practice', now: NOW.getTime(), allPatients: true });
    const withAll = await openKit(readFileSync(all.files[0] ?? '', 'utf8'), PASS);
    assert.equal(withAll.allPatients?.length, (await store.repo.countByType()).Patient);
  } finally {
    await store.dispose();
    rmSync(root, { recursive: true, force: true });
  }
});

test('chartroom downtime-kit: passphrase from the environment, clear error without one', async () => {
  const root = mkdtempSync(join(tmpdir(), 'chartroom-kit-cli-'));
  const run = (args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) =>
      execFile(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env } }, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr })),
    );
  try {
    const dd = initDataDir(join(root, 'node'), { practiceName: 'CLI kit practice' });
    const s = await openDataStore(dd.dir);
    await loadDemo(s.repo, { patients: 3, seed: 2 });
    await s.close();
    const noPass = await run(['downtime-kit', '--data', dd.dir, '--out', join(root, 'kit')], { CHARTROOM_DOWNTIME_PASSPHRASE: '' });
    assert.equal(noPass.code, 1);
    assert.match(noPass.stderr, /passphrase/);
    const config = JSON.parse(readFileSync(join(dd.dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dd.dir, 'config.json'), JSON.stringify({ ...config, downtimeKit: { folders: [join(root, 'configured')] } }));
    const ok = await run(['downtime-kit', '--data', dd.dir], { CHARTROOM_DOWNTIME_PASSPHRASE: PASS });
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /Downtime kit written \(\d+ KiB, \d+ appointments, \d+ face sheets/);
    const data = await openKit(readFileSync(join(root, 'configured', KIT_FILE), 'utf8'), PASS);
    assert.equal(data.practiceName, 'CLI kit practice');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a face sheet\'s last note is the last signed clinical note, never a newer letter or uploaded document', () => {
  const patient: Patient = { resourceType: 'Patient', id: 'p1', name: [{ family: 'Brontë', given: ['Zoë'] }] };
  const doc = (id: string, date: string, title: string, category?: string): DocumentReference => ({
    resourceType: 'DocumentReference',
    id,
    status: 'current',
    docStatus: 'final',
    date,
    description: title,
    type: { text: title },
    ...(category ? { category: [{ coding: [{ system: DOCUMENT_CATEGORY_SYSTEM, code: category }] }] } : {}),
    content: [{ attachment: { contentType: 'text/plain', data: Buffer.from(`${title} text`).toString('base64') } }],
  });
  const notes = [doc('letter', '2026-11-20', 'Work letter', 'letter'), doc('scan', '2026-11-19', 'Scanned referral', 'uploaded'), doc('soap', '2026-11-10', 'SOAP note')];
  const sheet = faceSheet({ ...chartOf(patient, []), notes });
  assert.equal(sheet.lastNote?.text, 'SOAP note text');
});
