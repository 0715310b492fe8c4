/**
 * The downtime kit in real headless Chromium, opened from disk with networking off: the
 * passphrase unlocks the schedule and face sheets, a wrong one says so, print CSS puts one
 * face sheet per page, and the file holds no patient data in plain text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';
import type { Patient } from '@medplum/fhirtypes';
import { sqliteTestStore } from './helpers/stores.js';
import { loadDemo } from '../src/demo/load-demo.js';
import { writeDowntimeKit, KIT_FILE } from '../src/downtime/write-kit.js';
import { allResources } from './helpers/all-resources.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SKIP = existsSync(CHROMIUM) ? false : `browser test skipped: ${CHROMIUM} not found (apt-get install chromium)`;
const PASSPHRASE = 'correct horse battery staple';
/** A Wednesday morning, local time: the kit shows Wednesday and Thursday. */
const NOW = new Date(2026, 10, 25, 8, 30);

test('the downtime kit opens from disk offline in Chromium, renders schedule and face sheets, refuses a wrong passphrase', { skip: SKIP, timeout: 180_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'chartroom-kit-browser-'));
  const store = await sqliteTestStore();
  let browser: Browser | undefined;
  try {
    await loadDemo(store.repo, { patients: 8, seed: 1, today: NOW });
    const result = await writeDowntimeKit(store.repo, { folders: [dir], passphrase: PASSPHRASE, practiceName: 'Riverside Family & Psychiatry', now: NOW.getTime() });
    assert.ok(result.appointments > 0 && result.patients > 0);
    const file = join(dir, KIT_FILE);
    const html = readFileSync(file, 'utf8');

    // No patient data in plain text. The data block holds only the KDF parameters and base64 ciphertext…
    const block = /<script type="application\/json" id="kit-data">(.*?)<\/script>/s.exec(html);
    assert.ok(block?.[1]);
    const sealed = JSON.parse(block[1]) as Record<string, unknown>;
    assert.deepEqual(Object.keys(sealed).sort(), ['data', 'iterations', 'iv', 'kdf', 'salt', 'v']);
    assert.equal(sealed.kdf, 'PBKDF2-SHA256');
    assert.ok(Number(sealed.iterations) >= 600_000);
    assert.match(String(sealed.data), /^[A-Za-z0-9+/]+=*$/);
    // …and the rest of the page (markup, style, script) names no patient, identifier or medicine.
    const rest = html.replace(block[0], '');
    const patients = (await allResources(store.repo)).filter((r) => r.resourceType === 'Patient') as unknown as Patient[];
    const words = new Set(rest.split(/[^\p{L}\p{N}]+/u));
    for (const p of patients) {
      for (const n of p.name ?? []) for (const part of [n.family, ...(n.given ?? [])]) if (part) assert.ok(!words.has(part), `name "${part}" in plain text`);
      for (const id of p.identifier ?? []) if (id.value) assert.ok(!rest.includes(id.value), `identifier ${id.value} in plain text`);
      if (p.birthDate) assert.ok(!rest.includes(p.birthDate), 'birth date in plain text');
    }
    for (const word of ['Muñoz', 'Munoz', 'Lithium', 'lithium', 'Penicillin', 'resourceType']) assert.ok(!html.includes(word), word);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    const context = await browser.newContext({ offline: true, viewport: { width: 1100, height: 900 } });
    const requests: string[] = [];
    context.on('request', (r) => {
      if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) requests.push(r.url());
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pathToFileURL(file).href);

    await page.fill('#passphrase', 'not the passphrase');
    await page.click('button[type=submit]');
    await page.waitForSelector('#message.error', { timeout: 60_000 });
    assert.match(await page.textContent('#message') ?? '', /Wrong passphrase/);
    assert.equal(await page.locator('article.face-sheet').count(), 0, 'nothing shown');

    await page.fill('#passphrase', PASSPHRASE);
    await page.click('button[type=submit]');
    await page.waitForSelector('article.face-sheet', { timeout: 60_000 });
    const text = (await page.textContent('#kit')) ?? '';
    assert.match(text, /Today, Wednesday, November 25, 2026/);
    assert.match(text, /Next working day, Thursday, November 26, 2026/);
    assert.match(text, /appointments?/);
    // José Muñoz sees the psychiatrist today (featured demo patient): schedule row and face sheet.
    const sheet = page.locator('article.face-sheet', { hasText: 'José Muñoz' });
    assert.equal(await sheet.count(), 1);
    const sheetText = (await sheet.textContent()) ?? '';
    for (const s of ['Allergies', 'Penicillin', 'Lithium', 'Ibuprofen', 'Active medications', 'Problems', 'Last vital signs', 'Recent labs', 'Last signed note', 'Coverage', 'copay']) {
      assert.match(sheetText, new RegExp(s, 'i'), s);
    }
    assert.ok((await page.locator('section.day a', { hasText: 'José Muñoz' }).count()) >= 1, 'linked from the schedule');
    assert.equal(await page.locator('article.face-sheet').count(), result.patients);
    assert.ok((await page.locator('.flag').count()) > 0, 'abnormal flags are marked');

    await page.screenshot({ path: join(dir, 'kit.png'), fullPage: false });
    await sheet.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(dir, 'kit-face-sheet.png') });
    await page.emulateMedia({ media: 'print' });
    const breakBefore = await sheet.evaluate((e) => getComputedStyle(e).breakBefore);
    assert.equal(breakBefore, 'page', 'one face sheet per printed page');
    assert.equal(await page.locator('#unlock').isVisible(), false);
    assert.deepEqual(requests, [], 'no network request');
    assert.deepEqual(errors, []);
    // With every patient's lists (4,500 more patients: several slices of the listing), the face sheets come first and the list completes.
    const extra = Array.from({ length: 4500 }, (_, i) => ({ resourceType: 'Patient', id: `extra-${i}`, name: [{ family: `Extra${i}`, given: ['Pat'] }], birthDate: '1970-01-01' }));
    await store.repo.importMany(extra);
    const allDir = join(dir, 'all');
    await writeDowntimeKit(store.repo, { folders: [allDir], passphrase: PASSPHRASE, practiceName: 'Riverside Family & Psychiatry', now: NOW.getTime(), allPatients: true });
    await page.emulateMedia({ media: 'screen' });
    await page.goto(pathToFileURL(join(allDir, KIT_FILE)).href);
    await page.fill('#passphrase', PASSPHRASE);
    await page.click('button[type=submit]');
    await page.waitForSelector('article.face-sheet', { timeout: 60_000 });
    await page.waitForSelector('.listing', { state: 'detached', timeout: 60_000 });
    const total = (await store.repo.countByType()).Patient ?? 0;
    assert.equal(await page.locator('section.all-patients tbody tr').count(), total, 'every patient listed');
    assert.match((await page.locator('section.all-patients tr', { hasText: 'José Muñoz' }).textContent()) ?? '', /Penicillin/i);
    assert.deepEqual(errors, []);

    if (process.env.CHARTROOM_KIT_SHOTS) {
      const { copyFileSync } = await import('node:fs');
      copyFileSync(join(dir, 'kit.png'), join(process.env.CHARTROOM_KIT_SHOTS, 'kit.png'));
      copyFileSync(join(dir, 'kit-face-sheet.png'), join(process.env.CHARTROOM_KIT_SHOTS, 'kit-face-sheet.png'));
    }
  } finally {
    await browser?.close();
    await store.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
