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
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { BROWSER_SKIP, describeViolations, launchChromium, screenshotDir, seriousAxeViolations } from './helpers/browser.js';
import { startChartroomNode } from './helpers/chartroom-node.js';
import type { ChartroomNode } from './helpers/chartroom-node.js';
import { setUpDemoAccounts, TEST_ADMIN } from './helpers/demo-accounts.js';
import type { DemoAccounts } from './helpers/demo-accounts.js';
import { bookLaterToday } from './helpers/schedule.js';

// A 1×1 PNG (a red pixel), for the upload.
const PNG_1PX = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');

/** Was the action refused only because this server lacks the route (an API not delivered yet)? */
function missingRoute(text: string): boolean {
  return /No route for|not available on this server yet/.test(text);
}

test('web app in headless Chromium against a demo node', { skip: BROWSER_SKIP, timeout: 420_000 }, async (t) => {
  let node: ChartroomNode | undefined;
  let browser: Browser | undefined;
  const shots = screenshotDir();
  const cspErrors: string[] = [];
  const pageErrors: string[] = [];
  const foreignRequests: string[] = [];
  try {
    let accounts: DemoAccounts | undefined;
    node = await startChartroomNode(12, async (data) => {
      accounts = await setUpDemoAccounts(data);
    });
    const url = node.url;
    browser = await launchChromium();
    const contexts: BrowserContext[] = [];
    const newPage = async (): Promise<Page> => {
      const context = await browser!.newContext({ viewport: { width: 1366, height: 900 } });
      contexts.push(context);
      const p = await context.newPage();
      p.setDefaultTimeout(15_000);
      const origin = new URL(url).origin;
      p.on('console', (m) => {
        if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
      });
      p.on('pageerror', (e) => pageErrors.push(e.message));
      p.on('request', (r) => {
        const u = r.url();
        if (!u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('blob:')) foreignRequests.push(u);
      });
      return p;
    };
    const shotOf = (p: Page) => async (name: string) => {
      await p.mouse.move(0, 0); // no hover highlight in the picture
      await p.screenshot({ path: join(shots, `${name}.png`) });
    };
    const axeOf = (p: Page) => async (screen: string) => {
      // Judge the resting state: no hovered button, no colour transition under way.
      await p.mouse.move(0, 0);
      await p.waitForTimeout(300);
      const v = await seriousAxeViolations(p);
      assert.equal(v.length, 0, `serious/critical accessibility violations on ${screen}:\n${describeViolations(v)}`);
    };
    /** Signs in through the login screen (password, then the second factor when asked); open mode needs nothing. */
    const signIn = async (p: Page, username: string, onLoginScreen?: () => Promise<void>) => {
      const res = await p.goto(url);
      assert.equal(res?.status(), 200);
      const login = p.getByRole('button', { name: 'Sign in' });
      await login.or(p.getByText('No user accounts on this node')).first().waitFor();
      if (!(await login.isVisible())) return false;
      assert.ok(accounts, 'the node has sign-in but the demo accounts module was not found');
      await onLoginScreen?.();
      await p.getByLabel('Username').fill(username);
      await p.locator('input[autocomplete="current-password"]').fill(accounts.passwords.get(username) ?? '');
      await login.click();
      const code = p.getByLabel('Code from your authenticator app');
      const shell = p.getByRole('navigation', { name: 'Main' });
      await code.or(shell).first().waitFor();
      if (await code.isVisible()) {
        await code.fill(await accounts.totp(username));
        await p.getByRole('button', { name: 'Verify code' }).click();
      }
      await shell.waitFor();
      return true;
    };
    let page: Page = await newPage();
    let shot = shotOf(page);
    let axe = axeOf(page);

    await t.test('front desk signs in (or the node says plainly it has no accounts) and checks a patient in from Today', async () => {
      const withAccounts = await signIn(page, 'frontdesk', async () => {
        assert.match(await page.title(), /Chartroom — Riverside Family & Psychiatry/);
        await shot('login');
        await axe('login');
      });
      if (!withAccounts) t.diagnostic('this node has no session API: the app runs in its labelled "no accounts" mode');
      await page.getByRole('heading', { name: 'Today' }).waitFor();
      await page.locator('section[aria-label^="Schedule of"]').first().waitFor();
      const columns = await page.locator('section[aria-label^="Schedule of"]').count();
      assert.ok(columns >= 2, `expected a column per clinician, got ${columns}`);
      const button = page.getByRole('button', { name: /^(Arrived|Check in): / }).first();
      if (!(await button.isVisible())) {
        // Late in the day every demo visit is over: book one later today to check in.
        t.diagnostic(`no visit left to check in today; booked one for ${(await bookLaterToday(page, url)).name}`);
        await page.getByRole('button', { name: 'Refresh' }).click();
      }
      const label = (await button.getAttribute('aria-label')) ?? '';
      const patient = label.replace(/^[^:]+: /, '');
      await button.click();
      const after = page.locator('.appt-card', { hasText: patient }).locator('.mantine-Badge-root', { hasText: /^(arrived|checked in)$/i });
      await after.first().waitFor();
      t.diagnostic(`${patient}: now ${await after.first().innerText()}`);
      await page.evaluate(() => window.scrollTo(0, 0));
      await shot('today');
      await axe('Today');
    });

    await t.test('front desk reschedules a booked visit into a free slot on the next working day', async () => {
      const booked = await bookLaterToday(page, url, 'm');
      const patient = booked.name;
      const at = new Date(booked.start);
      const hhmm = `${String(at.getHours()).padStart(2, '0')}:${String(at.getMinutes()).padStart(2, '0')}`;
      await page.getByRole('button', { name: 'Refresh' }).click();
      await page.locator(`.appt-card[aria-label="${hhmm} ${patient}"]`).getByRole('button', { name: `More actions for ${patient}` }).click();
      await page.getByRole('menuitem', { name: 'Reschedule…' }).click();
      const dialog = page.getByRole('dialog', { name: `Reschedule ${patient}` });
      const next = new Date();
      do next.setDate(next.getDate() + 1);
      while (next.getDay() === 0 || next.getDay() === 6);
      const day = `${next.getFullYear()}-${String(next.getMonth() + 1).padStart(2, '0')}-${String(next.getDate()).padStart(2, '0')}`;
      await dialog.getByLabel('Day').fill(day);
      // A chip: its input is visually hidden, its label is what one clicks.
      const slot = dialog.getByRole('group', { name: 'Free slots' }).locator('label').first();
      await slot.waitFor();
      await slot.click();
      assert.ok(await dialog.getByRole('group', { name: 'Free slots' }).getByRole('radio', { checked: true }).count(), 'a slot is chosen');
      await shot('reschedule');
      await axe('reschedule dialog');
      await dialog.getByRole('button', { name: /^Move to / }).click();
      await dialog.waitFor({ state: 'detached' });
      const moved = (await (await page.request.get(`${url}/api/schedule?date=${day}`)).json()) as { columns: { appointments: { patient: { name: string } | null }[] }[] };
      assert.ok(
        moved.columns.flatMap((c) => c.appointments).some((a) => a.patient?.name === patient),
        `${patient} is on ${day} after rescheduling`,
      );
    });

    await t.test('clinician signs in with the second factor', async () => {
      page = await newPage();
      shot = shotOf(page);
      axe = axeOf(page);
      await signIn(page, 'dr.okafor');
      await page.getByRole('heading', { name: 'Today' }).waitFor();
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
      await page.getByRole('combobox', { name: 'Template' }).click();
      await page.getByRole('option', { name: /SOAP|Progress/i }).first().click();
      const area = page.getByRole('textbox', { name: 'Note', exact: true });
      assert.match(await area.inputValue(), /penicillin|Bipolar|lithium/i, 'smart fields filled from the chart');
      await area.press('End');
      await area.pressSequentially('\nSeen today; doing well.');
      const state = page.getByTestId('save-state');
      await page.waitForFunction(() => /saved at|draft not saved/i.test(document.querySelector('[data-testid="save-state"]')?.textContent ?? ''), undefined, { timeout: 15_000 });
      const saved = await state.innerText();
      assert.match(await area.inputValue(), /Seen today; doing well\./, 'the text is kept whatever happened to the save');
      await shot('note-editor');
      await axe('note editor');
      if (/draft not saved/i.test(saved)) {
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
      // José Muñoz has a high-risk penicillin allergy: amoxicillin is contraindicated.
      await dialog.getByRole('textbox', { name: 'Drug' }).fill('amoxicillin');
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
        await reason.first().fill('Allergy history doubtful; tolerated amoxicillin in 2024, observed dose');
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

    await t.test('letters: a referral from a template, filled from the chart, signed and locked, as PDF', async () => {
      await page.getByRole('tab', { name: 'Letters' }).click();
      await page.getByRole('combobox', { name: 'Letter template' }).click();
      await page.getByRole('option', { name: 'Referral letter' }).click();
      await page.getByRole('button', { name: 'Write letter' }).click();
      const body = page.getByRole('textbox', { name: 'Letter', exact: true });
      await body.waitFor();
      assert.match(await body.inputValue(), /José Muñoz/, 'the template is filled from the chart');
      await page.getByRole('textbox', { name: /^Recipient/ }).fill('Dr. A. Lindqvist\nRiverside Allergy Clinic');
      await body.press('Control+End');
      await body.pressSequentially('\nPlease assess for penicillin allergy delabelling.');
      await shot('letter-editor');
      await axe('letter editor');
      await page.getByRole('button', { name: 'Sign letter' }).click();
      await page.getByText('Letter signed. It is locked.').waitFor();
      const href = (await page.getByRole('link', { name: 'Open the signed PDF' }).getAttribute('href')) ?? '';
      const pdf = await page.request.get(`${url}${href}`);
      assert.equal(pdf.status(), 200);
      assert.match(pdf.headers()['content-type'] ?? '', /application\/pdf/);
      assert.equal((await pdf.body()).subarray(0, 5).toString('latin1'), '%PDF-');
      await page.getByRole('button', { name: 'Back to letters' }).click();
      await page.getByRole('table', { name: 'Letters' }).getByText(/Signed/).first().waitFor();
      await page.evaluate(() => window.scrollTo(0, 0));
      await shot('letters');
      await axe('letters');
    });

    await t.test('status bar on every screen; never claims to be in sync when it cannot know', async () => {
      const bar = page.getByRole('status', { name: 'Sync status' });
      const text = await bar.innerText();
      const res = await page.request.get(`${url}/api/sync/status`);
      if (!res.ok()) assert.match(text, /Sync status unavailable/);
      else t.diagnostic(`sync status: ${text}`);
      assert.ok(!/in sync/.test(text) || res.ok(), `status bar claims sync without a status: ${text}`);
    });

    await t.test('results inbox and reconciliation screens render (data or a clear empty/error state)', async () => {
      for (const [nav, name] of [
        ['Results inbox', 'results-inbox'],
        ['Reconciliation', 'reconciliation'],
      ] as const) {
        await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: nav }).click();
        await page.getByRole('heading', { level: 1 }).first().waitFor();
        await page.waitForFunction(() => !document.querySelector('[role="status"] .mantine-Loader-root'));
        await shot(name);
        await axe(nav);
      }
    });

    await t.test('idle lock keeps the page; the password unlocks it', async () => {
      const before = page.url();
      await page.getByTestId('user-menu').click();
      const lockItem = page.getByRole('menuitem', { name: 'Lock screen' });
      if (!accounts) return t.diagnostic('no accounts on this node: nothing to lock');
      await lockItem.click();
      await page.getByRole('dialog', { name: 'Screen locked' }).waitFor();
      await shot('lock');
      await page.getByRole('dialog', { name: 'Screen locked' }).locator('input[autocomplete="current-password"]').fill(accounts?.passwords.get('dr.okafor') ?? '');
      await page.getByRole('button', { name: 'Unlock' }).click();
      await page.getByRole('dialog', { name: 'Screen locked' }).waitFor({ state: 'detached' });
      assert.equal(page.url(), before, 'same screen after unlocking');
    });

    await t.test('admin: users and roles, peers, audit log', async () => {
      if (!accounts) return t.diagnostic('no accounts on this node: admin screens not exercised');
      const admin = await newPage();
      await signIn(admin, TEST_ADMIN.username);
      await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).click();
      await admin.getByRole('table', { name: 'Users' }).getByText('dr.okafor').waitFor();
      await shotOf(admin)('admin');
      await axeOf(admin)('admin');
      await admin.getByRole('tab', { name: 'Audit log' }).click();
      await admin.getByRole('table', { name: 'Audit log' }).or(admin.getByText('No audit entries match.')).first().waitFor();
      await shotOf(admin)('admin-audit');
      await axeOf(admin)('audit log');

      await admin.getByRole('tab', { name: 'Quarantine' }).click();
      await admin.getByText('Nothing held: no sync batch is waiting for a decision.').or(admin.getByRole('table', { name: 'Quarantined sync batches' })).first().waitFor();
      await shotOf(admin)('admin-quarantine');
      await axeOf(admin)('quarantine');

      await admin.getByRole('tab', { name: 'Downtime kit' }).click();
      const form = admin.getByRole('form', { name: 'Downtime-kit settings' });
      await form.waitFor();
      const kitDir = mkdtempSync(join(tmpdir(), 'chartroom-kit-'));
      await form.getByLabel('Folders (one absolute path per line)').fill(kitDir);
      await form.getByLabel(/passphrase/i).fill('short');
      await form.getByRole('button', { name: 'Save settings' }).click();
      assert.match(await form.getByRole('alert').innerText(), /Not saved: .*passphrase.*10 characters/i, 'a short passphrase is refused, precisely');
      await form.getByLabel(/passphrase/i).fill('Riverside downtime 2026');
      await form.getByRole('button', { name: 'Save settings' }).click();
      await form.getByText('Settings saved.').waitFor();
      await form.getByRole('button', { name: 'Write a kit now' }).click();
      await form.getByText(/^Kit written to /).waitFor({ timeout: 60_000 });
      assert.match(await form.getByTestId('kit-last-written').innerText(), new RegExp(`Last written .* to ${kitDir.replace(/[/\\^$.*+?()[\]{}|-]/g, '\\$&')}`));
      await shotOf(admin)('admin-downtime-kit');
      await axeOf(admin)('downtime kit settings');
      rmSync(kitDir, { recursive: true, force: true });
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
