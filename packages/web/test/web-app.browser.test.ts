/**
 * The web app end to end in real headless Chromium against a real node (the `chartroom` CLI with a
 * small demo practice): sign-in (or the honest "no accounts" mode of a node without them), Today with
 * a check-in, patient search from the keyboard, the chart (allergies first; chart-open time measured),
 * labs with the trend plot, a note, the prescribe dialog, a document upload, the status bar, the
 * other screens; axe-core on each main screen; no storage, no third-party requests, no CSP errors.
 * Screenshots go to CHARTROOM_SCREENSHOTS (docs/screenshots to refresh the committed ones).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { BROWSER_SKIP, describeViolations, launchChromium, screenshotDir, seriousAxeViolations } from './helpers/browser.js';
import { startChartroomNode } from './helpers/chartroom-node.js';
import type { ChartroomNode } from './helpers/chartroom-node.js';

// A 1×1 PNG (a red pixel), for the upload.
const PNG_1PX = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');

/** Was the action refused only because this server lacks the route (an API not delivered yet)? */
function missingRoute(text: string): boolean {
  return /No route for|not available on this server yet/.test(text);
}

test('web app in headless Chromium against a demo node', { skip: BROWSER_SKIP, timeout: 240_000 }, async (t) => {
  let node: ChartroomNode | undefined;
  let browser: Browser | undefined;
  const shots = screenshotDir();
  const cspErrors: string[] = [];
  const pageErrors: string[] = [];
  const foreignRequests: string[] = [];
  try {
    node = await startChartroomNode(12);
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    const page: Page = await context.newPage();
    const origin = new URL(node.url).origin;
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
    });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('request', (r) => {
      const u = r.url();
      if (!u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('blob:')) foreignRequests.push(u);
    });
    const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`) });
    const axe = async (screen: string) => {
      const v = await seriousAxeViolations(page);
      assert.equal(v.length, 0, `serious/critical accessibility violations on ${screen}:\n${describeViolations(v)}`);
    };

    await t.test('opens to the login page, or says plainly that the node has no accounts', async () => {
      const res = await page.goto(node!.url);
      assert.equal(res?.status(), 200);
      assert.match(res?.headers()['content-security-policy'] ?? '', /script-src 'self'/);
      assert.match(await page.title(), /Chartroom — Riverside Family & Psychiatry/);
      const login = page.getByRole('button', { name: 'Sign in' });
      const open = page.getByText('No user accounts on this node');
      await login.or(open).first().waitFor();
      if (await login.isVisible()) {
        await shot('login');
        await axe('login');
        const user = process.env.CHARTROOM_TEST_USER;
        const password = process.env.CHARTROOM_TEST_PASSWORD;
        assert.ok(user && password, 'the node has sign-in: set CHARTROOM_TEST_USER and CHARTROOM_TEST_PASSWORD for a demo clinician');
        await page.getByLabel('Username').fill(user);
        await page.getByLabel('Password').fill(password);
        await login.click();
      } else t.diagnostic('this node has no session API yet: the app runs in its labelled "no accounts" mode');
      await page.getByRole('heading', { name: 'Today' }).waitFor();
    });

    await t.test('Today: the practice schedule in columns; a patient is checked in with one click', async () => {
      await page.locator('section[aria-label^="Schedule of"]').first().waitFor();
      const columns = await page.locator('section[aria-label^="Schedule of"]').count();
      assert.ok(columns >= 2, `expected a column per clinician, got ${columns}`);
      await shot('today');
      await axe('Today');
      const button = page.getByRole('button', { name: /^(Arrived|Check in): / }).first();
      const label = (await button.getAttribute('aria-label')) ?? '';
      const patient = label.replace(/^[^:]+: /, '');
      const card = page.locator('.appt-card', { has: page.getByRole('button', { name: label, exact: true }) }).first();
      const before = await card.locator('.mantine-Badge-root').first().innerText();
      await button.click();
      const after = page.locator('.appt-card', { hasText: patient }).locator('.mantine-Badge-root', { hasText: /^(arrived|checked in)$/i });
      await after.first().waitFor();
      t.diagnostic(`${patient}: ${before} → ${await after.first().innerText()}`);
    });

    let chartOpenMs = NaN;
    await t.test('patient search from the keyboard opens the chart; allergies come first', async () => {
      await page.keyboard.press('Control+K');
      const box = page.getByRole('combobox', { name: /Name, MRN or birth date/ });
      await box.waitFor();
      await box.fill('munoz');
      const hit = page.getByRole('option', { name: /José Muñoz/ });
      await hit.waitFor();
      await shot('search');
      await axe('patient search');
      const t0 = Date.now();
      await hit.click();
      await page.getByTestId('chart-summary').waitFor();
      const outside = Date.now() - t0;
      await page.waitForFunction(() => document.body.dataset.chartOpenMs !== undefined);
      chartOpenMs = Number(await page.evaluate(() => document.body.dataset.chartOpenMs));
      t.diagnostic(`chart open (search click → summary visible): ${chartOpenMs.toFixed(1)} ms in the page, ${outside} ms as seen by the test driver`);
      assert.ok(Number.isFinite(chartOpenMs) && chartOpenMs > 0);
      assert.equal(await page.getByTestId('patient-name').innerText(), 'José Muñoz');
      // The allergy section is the first thing in the summary column, and names penicillin.
      const first = page.getByTestId('chart-summary').locator('> *').first();
      assert.match(await first.innerText(), /Allergies[\s\S]*penicillin/i);
      await shot('chart');
      await axe('chart');
    });

    await t.test('labs: table with flags and ranges, and a trend plot with the normal band shaded', async () => {
      await page.getByRole('tab', { name: 'Labs' }).click();
      const trend = page.getByTestId('lab-trend');
      await trend.waitFor();
      assert.match(await trend.innerText(), /normal range .* shaded/);
      assert.ok((await trend.locator('.recharts-reference-area-rect').count()) === 1, 'normal band drawn');
      assert.ok((await trend.locator('.recharts-line-dot, .recharts-dot').count()) > 2, 'several results plotted');
      assert.ok((await page.getByRole('table', { name: 'Latest lab results' }).locator('tbody tr').count()) > 0);
      await shot('labs');
      await axe('labs');
    });

    await t.test('note: template with smart fields, autosave; sign when the notes API is there', async () => {
      await page.getByRole('tab', { name: /^Notes/ }).click();
      await page.getByRole('button', { name: 'New note' }).click();
      await page.getByRole('textbox', { name: 'Template' }).click();
      await page.getByRole('option', { name: /SOAP|Progress/i }).first().click();
      const area = page.getByRole('textbox', { name: 'Note', exact: true });
      assert.match(await area.inputValue(), /penicillin|Bipolar|lithium/i, 'smart fields filled from the chart');
      await area.press('End');
      await area.pressSequentially('\nSeen today; doing well.');
      const state = page.getByTestId('save-state');
      await page.waitForFunction(() => /saved at|not saved/i.test(document.querySelector('[data-testid="save-state"]')?.textContent ?? ''), undefined, { timeout: 15_000 });
      const saved = await state.innerText();
      assert.match(await area.inputValue(), /Seen today; doing well\./, 'the text is kept whatever happened to the save');
      await shot('note-editor');
      await axe('note editor');
      if (/not saved/i.test(saved)) {
        const why = await page.getByRole('alert').filter({ hasText: 'The draft was not saved' }).innerText();
        assert.ok(missingRoute(why), `draft save failed for another reason than a missing API: ${why}`);
        t.diagnostic('notes API not on this server yet: the editor said so and kept the text; signing not exercised');
        await page.getByRole('button', { name: 'Close' }).click();
        return;
      }
      await page.getByRole('button', { name: 'Sign note' }).click();
      await page.getByText('Note signed. It is locked').waitFor();
      await page.getByText(/Signed.*locked/).first().waitFor();
    });

    await t.test('prescribe dialog: drug search, sig, alerts inline (or a loud banner when checking is unavailable)', async () => {
      await page.getByRole('tab', { name: 'Medications' }).click();
      await page.getByRole('button', { name: 'Prescribe' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('Drug').fill('clarithromycin');
      const found = dialog.getByRole('option').first();
      const failed = dialog.getByRole('alert').filter({ hasText: 'Drug search failed' });
      await found.or(failed).first().waitFor();
      if (await failed.isVisible()) {
        assert.ok(missingRoute(await failed.innerText()), await failed.innerText());
        t.diagnostic('drug API not on this server yet: the dialog said so');
        await shot('prescribe');
        await dialog.getByRole('button', { name: 'Cancel' }).click();
        return;
      }
      await found.click();
      assert.match(await dialog.getByTestId('sig-text').innerText(), /Take 1 tablet by mouth once daily/);
      const alertOrBanner = dialog.locator('[role="alert"][aria-label], [data-testid="check-unavailable"], [role="status"]');
      await alertOrBanner.first().waitFor();
      await shot('prescribe');
      await axe('prescribe dialog');
      const reason = dialog.getByLabel('Reason to override (required to prescribe)');
      if ((await reason.count()) > 0) {
        assert.ok(await dialog.getByRole('button', { name: 'Override and prescribe' }).isDisabled(), 'no override without a reason');
        await reason.first().fill('Benefit outweighs risk; lithium level in 5 days');
        await dialog.getByRole('button', { name: 'Override and prescribe' }).click();
        await page.getByText('Prescription saved.').waitFor();
      } else {
        t.diagnostic('no contraindication for this pair on this server; override not exercised');
        await dialog.getByRole('button', { name: 'Cancel' }).click();
      }
    });

    await t.test('documents: upload an image and see it inline', async () => {
      await page.getByRole('tab', { name: /^Documents/ }).click();
      const upload = page.getByRole('form', { name: 'Upload a document' });
      await upload.locator('input[type="file"]').setInputFiles({ name: 'wound-photo.png', mimeType: 'image/png', buffer: PNG_1PX });
      await upload.getByLabel('Title').fill('Wound photo');
      await upload.getByRole('button', { name: 'Upload' }).click();
      await page.getByRole('table', { name: 'Documents' }).getByText('Wound photo').waitFor();
      await page.getByRole('row', { name: /Wound photo/ }).getByRole('button', { name: 'View' }).click();
      const img = page.getByTestId('document-image');
      await img.waitFor();
      assert.equal(await img.evaluate((el) => (el as HTMLImageElement).naturalWidth), 1, 'the uploaded image is shown');
      await shot('documents');
      await axe('documents');
    });

    await t.test('status bar on every screen; never claims to be in sync when it cannot know', async () => {
      const bar = page.getByRole('status', { name: 'Sync status' });
      const text = await bar.innerText();
      const res = await page.request.get(`${node!.url}/api/sync/status`);
      if (!res.ok()) assert.match(text, /Sync status unavailable/);
      else t.diagnostic(`sync status: ${text}`);
      assert.ok(!/in sync/.test(text) || res.ok(), `status bar claims sync without a status: ${text}`);
    });

    await t.test('results inbox, reconciliation and admin screens render (data or a clear empty/error state)', async () => {
      for (const [nav, name] of [
        ['Results inbox', 'results-inbox'],
        ['Reconciliation', 'reconciliation'],
        ['Admin', 'admin'],
      ] as const) {
        await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: nav }).click();
        await page.getByRole('heading', { level: 1 }).first().waitFor();
        await page.waitForFunction(() => !document.querySelector('[role="status"] .mantine-Loader-root'));
        await shot(name);
        await axe(nav);
      }
    });

    await t.test('the page kept no patient data in storage and loaded nothing from elsewhere', async () => {
      const stored = await page.evaluate(async () => ({
        local: localStorage.length,
        session: sessionStorage.length,
        idb: (await indexedDB.databases()).length,
        caches: (await caches.keys()).length,
      }));
      assert.deepEqual(stored, { local: 0, session: 0, idb: 0, caches: 0 });
      assert.deepEqual(foreignRequests, []);
      assert.deepEqual(cspErrors, []);
      assert.deepEqual(pageErrors, []);
    });
    t.diagnostic(`screenshots in ${shots}; chart open ${chartOpenMs.toFixed(1)} ms`);
  } finally {
    await browser?.close();
    await node?.close();
  }
});
