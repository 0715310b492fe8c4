/**
 * The start page in real headless Chromium: it renders the practice name and its links
 * reach the FHIR API of the same node.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { buildApp } from '../src/http/app.js';
import { sqliteTestStore } from './helpers/stores.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `browser tests skipped: ${CHROMIUM} not found (apt-get install chromium)`;

test('start page renders in Chromium and links to the FHIR API', { skip }, async () => {
  const store = await sqliteTestStore();
  const app = await buildApp({ repo: store.repo, practiceName: 'Riverside Family & Psychiatry' });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    await store.repo.create({ resourceType: 'Patient', name: [{ family: 'Åberg', given: ['Björn'] }] });
    const url = await app.listen({ port: 0, host: '127.0.0.1' });
    const page = await browser.newPage();
    await page.goto(url);
    assert.equal(await page.title(), 'Chartroom — Riverside Family & Psychiatry');
    assert.match(await page.locator('main').innerText(), /Riverside Family & Psychiatry/);
    const shot = join(process.env.CHARTROOM_SCREENSHOTS ?? mkdtempSync(join(tmpdir(), 'chartroom-shot-')), 'start-page.png');
    await page.screenshot({ path: shot, fullPage: true });
    assert.ok(statSync(shot).size > 1000, 'screenshot written');
    await page.getByRole('link', { name: '/fhir/R4/Patient?_count=10' }).click();
    const body = await page.locator('body').innerText();
    const bundle = JSON.parse(body) as { resourceType: string; entry?: { resource: { name: { family: string }[] } }[] };
    assert.equal(bundle.resourceType, 'Bundle');
    assert.equal(bundle.entry?.[0]?.resource.name[0]?.family, 'Åberg');
  } finally {
    await browser.close();
    await app.close();
    await store.dispose();
  }
});
