/**
 * The web app when the hub goes away, and a real sync conflict resolved in the reconciliation
 * inbox, in headless Chromium against real processes: a hub (`chartroom serve` on its own data
 * directory) and a clinic node with the demo practice, enrolled with `peer invite` / `peer join`.
 *
 * 1. Both up and in sync: the status bar says so.
 * 2. The hub is killed (SIGKILL) mid-session: the bar says "Working locally since HH:MM"; a
 *    check-in on the node still works and the bar counts the changes waiting.
 * 3. While the hub is down the same appointment is edited on the hub's store (a comment), so the
 *    two copies diverge; the hub is restarted on the same port: the node reconnects by itself and
 *    the bar says "in sync" with a conflict to reconcile.
 * 4. The conflict is merged in the reconciliation inbox (the node's check-in and the hub's comment
 *    kept): the inbox empties and the node's appointment has both.
 * 5. The hub rewrites 250 records at once (over the safety valve's floor of 200): the node holds
 *    the batch, the bar says so and is not "in sync"; the administrator approves it in Admin →
 *    Quarantine and the node gets the records.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { BROWSER_SKIP, describeViolations, launchChromium, screenshotDir, seriousAxeViolations } from './helpers/browser.js';
import { startChartroomNode } from './helpers/chartroom-node.js';
import type { ChartroomNode } from './helpers/chartroom-node.js';
import { setUpDemoAccounts } from './helpers/demo-accounts.js';
import type { DemoAccounts } from './helpers/demo-accounts.js';
import { bookLaterToday } from './helpers/schedule.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = join(ROOT, 'packages/server/bin/chartroom.js');
const PRACTICE = 'Riverside Family & Psychiatry';
const HUB_COMMENT = 'Patient phoned the hub line: running 10 minutes late';
const QUARANTINE_COMMENT = 'Room 3 closed for repairs';

function cli(args: string[]): string {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_NO_WARNINGS: '1' } });
  if (r.status !== 0) throw new Error(`chartroom ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** A free port in this suite's range (19300–19399), so the hub comes back at the same address. */
async function freePort(): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const port = 19300 + Math.floor(Math.random() * 100);
    const ok = await new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (ok) return port;
  }
  throw new Error('no free port in 19300–19399');
}

/** `chartroom serve` for the hub on a fixed port. */
async function startHub(data: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [CLI, 'serve', '--data', data, '--port', String(port)], { cwd: ROOT, env: { ...process.env, NODE_NO_WARNINGS: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    const onData = (b: Buffer) => {
      seen += b.toString();
      if (/running at http/.test(seen)) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => reject(new Error(`hub exited (${code}):\n${seen}`)));
    setTimeout(() => reject(new Error(`hub did not start:\n${seen}`)), 60_000).unref();
  });
  child.removeAllListeners('exit');
  return child;
}

async function kill(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}

interface StoreLike {
  repo: {
    read(type: string, id: string): Promise<{ json: string }>;
    update(r: Record<string, unknown>, opts?: { ifMatch?: string }): Promise<unknown>;
  };
  close(): Promise<void>;
}

/** Edits a resource directly in a (stopped) node's store, as a write on that node would. */
async function editInStore(data: string, type: string, id: string, edit: (r: Record<string, unknown>) => void): Promise<void> {
  const mod = (await import(pathToFileURL(join(ROOT, 'packages/server/src/cli/open-data-store.ts')).href)) as { openDataStore(d: string): Promise<StoreLike> };
  const store = await mod.openDataStore(data);
  try {
    const r = JSON.parse((await store.repo.read(type, id)).json) as Record<string, unknown>;
    const version = (r.meta as { versionId?: string } | undefined)?.versionId;
    edit(r);
    delete r.meta;
    await store.repo.update(r, version ? { ifMatch: version } : {});
  } finally {
    await store.close();
  }
}

interface SearchableStore extends StoreLike {
  repo: StoreLike['repo'] & { search(req: unknown): Promise<{ matches: { json: string }[] }> };
}

/** Rewrites `count` resources of a type directly in a (stopped) node's store; returns their ids. */
async function rewriteInStore(data: string, type: string, count: number, edit: (r: Record<string, unknown>) => void): Promise<string[]> {
  const mod = (await import(pathToFileURL(join(ROOT, 'packages/server/src/cli/open-data-store.ts')).href)) as { openDataStore(d: string): Promise<SearchableStore> };
  const core = (await import(pathToFileURL(join(ROOT, 'packages/core/src/index.ts')).href)) as { parseSearchRequest(type: string, q: Record<string, string>): unknown };
  const store = await mod.openDataStore(data);
  try {
    const { matches } = await store.repo.search(core.parseSearchRequest(type, { _count: String(count) }));
    assert.ok(matches.length >= count, `${matches.length} ${type} resources on the hub, ${count} wanted`);
    const ids: string[] = [];
    for (const m of matches.slice(0, count)) {
      const r = JSON.parse(m.json) as Record<string, unknown>;
      const version = (r.meta as { versionId?: string } | undefined)?.versionId;
      edit(r);
      delete r.meta;
      await store.repo.update(r, version ? { ifMatch: version } : {});
      ids.push(String(r.id));
    }
    return ids;
  } finally {
    await store.close();
  }
}

test('hub killed mid-session: working locally, edits kept and counted, reconnects; a real conflict merged in the inbox', { skip: BROWSER_SKIP, timeout: 600_000 }, async (t) => {
  const tmp = mkdtempSync(join(tmpdir(), 'chartroom-web-hub-'));
  const hubData = join(tmp, 'hub');
  const shots = screenshotDir();
  let hub: ChildProcess | undefined;
  let node: ChartroomNode | undefined;
  let browser: Browser | undefined;
  const pageErrors: string[] = [];
  try {
    const port = await freePort();
    const hubUrl = `http://127.0.0.1:${port}`;
    cli(['init', '--data', hubData, '--practice', PRACTICE]);
    hub = await startHub(hubData, port);
    const code = cli(['peer', 'invite', '--data', hubData]).trim().split('\n').pop() ?? '';
    let accounts: DemoAccounts | undefined;
    node = await startChartroomNode(12, async (data) => {
      accounts = await setUpDemoAccounts(data);
      cli(['peer', 'join', '--data', data, hubUrl, code]);
    });
    if (!accounts) return t.skip('this node has no accounts module');
    const url = node.url;

    browser = await launchChromium();
    const page: Page = await (await browser.newContext({ viewport: { width: 1366, height: 900 } })).newPage();
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(url);
    await page.getByLabel('Username').fill('frontdesk');
    await page.locator('input[autocomplete="current-password"]').fill(accounts.passwords.get('frontdesk') ?? '');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const totp = page.getByLabel('Code from your authenticator app');
    const shell = page.getByRole('navigation', { name: 'Main' });
    await totp.or(shell).first().waitFor();
    if (await totp.isVisible()) {
      await totp.fill(await accounts.totp('frontdesk'));
      await page.getByRole('button', { name: 'Verify code' }).click();
    }
    await shell.waitFor();
    const main = page.getByTestId('sync-main');
    const bar = page.getByRole('status', { name: 'Sync status' });

    // Something to check in later (the demo's day may be over).
    await page.locator('section[aria-label^="Schedule of"]').first().waitFor();
    if (!(await page.getByRole('button', { name: /^(Arrived|Check in): / }).first().isVisible())) {
      t.diagnostic(`no visit left to check in today; booked one for ${(await bookLaterToday(page, url)).name}`);
      await page.getByRole('button', { name: 'Refresh' }).click();
    }

    await t.test('both up: the status bar says connected and in sync once the demo practice reached the hub', async () => {
      await main.filter({ hasText: /in sync/ }).waitFor({ timeout: 120_000 });
      t.diagnostic(`status bar: ${(await bar.innerText()).replace(/\s+/g, ' ')}`);
    });

    let apptId = '';
    let patient = '';
    let admin!: Page;
    await t.test('hub killed: "working locally since HH:MM"; a check-in still works and is counted as waiting', async () => {
      await kill(hub, 'SIGKILL');
      const killedAt = new Date();
      await main.filter({ hasText: /^Working locally since \d{2}:\d{2}/ }).waitFor({ timeout: 90_000 });
      const since = /since (\d{2}):(\d{2})/.exec(await main.innerText());
      assert.ok(since, 'the bar names the time');
      const minutes = Number(since[1]) * 60 + Number(since[2]);
      const killedMin = killedAt.getHours() * 60 + killedAt.getMinutes();
      assert.ok(Math.abs(killedMin - minutes) <= 3 || Math.abs(killedMin - minutes) >= 1437, `"since" ${since[0]} is about when the hub went away (${killedAt.toTimeString().slice(0, 5)})`);
      assert.doesNotMatch(await bar.innerText(), /in sync/, 'never claims to be in sync while working locally');

      const button = page.getByRole('button', { name: /^(Arrived|Check in): / }).first();
      patient = ((await button.getAttribute('aria-label')) ?? '').replace(/^[^:]+: /, '');
      await button.click();
      await page.locator('.appt-card', { hasText: patient }).locator('.mantine-Badge-root', { hasText: /^(arrived|checked in)$/i }).first().waitFor();
      // Each part of the bar is its own element: match one whole part, not the run-together text.
      await bar.getByText(/^[1-9]\d* changes? waiting to sync$/).waitFor({ timeout: 30_000 });
      t.diagnostic(`offline: ${(await bar.innerText()).replace(/\s+/g, ' ')}`);
      assert.match(await bar.innerText(), /Working locally since/, 'still working locally after the edit');
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: join(shots, 'working-locally.png') });

      const today = new Date();
      const date = `${today.getFullYear()}-${String(today.getMonth() + 1).padStart(2, '0')}-${String(today.getDate()).padStart(2, '0')}`;
      const day = (await (await page.request.get(`${url}/api/schedule?date=${date}`)).json()) as { columns: { appointments: { id: string; status: string; patient: { name: string } | null }[] }[] };
      apptId = day.columns.flatMap((c) => c.appointments).find((a) => a.patient?.name === patient && (a.status === 'arrived' || a.status === 'checked-in'))?.id ?? '';
      assert.ok(apptId, `the checked-in appointment of ${patient} is in the day view`);
    });

    await t.test('the same appointment edited on the hub meanwhile; hub restarted: the node reconnects and says in sync, with a conflict to reconcile', async () => {
      await editInStore(hubData, 'Appointment', apptId, (a) => {
        a.comment = HUB_COMMENT;
      });
      hub = await startHub(hubData, port);
      await main.filter({ hasText: /in sync/ }).waitFor({ timeout: 180_000 });
      await bar.getByText(/^1 conflict to reconcile$/).waitFor({ timeout: 60_000 });
      t.diagnostic(`reconnected: ${(await bar.innerText()).replace(/\s+/g, ' ')}`);
      assert.ok(await bar.getByText(/^0 changes waiting to sync$/).isVisible(), 'the check-in made while working locally reached the hub');
    });

    await t.test('the conflict is merged in the reconciliation inbox: check-in from the node, comment from the hub; the inbox empties', async () => {
      // The front desk may not reconcile; an administrator does.
      admin = await (await browser!.newContext({ viewport: { width: 1366, height: 900 } })).newPage();
      admin.setDefaultTimeout(20_000);
      admin.on('pageerror', (e) => pageErrors.push(e.message));
      await admin.goto(url);
      await admin.getByLabel('Username').fill('web.admin');
      await admin.locator('input[autocomplete="current-password"]').fill(accounts!.passwords.get('web.admin') ?? '');
      await admin.getByRole('button', { name: 'Sign in' }).click();
      await admin.getByLabel('Code from your authenticator app').fill(await accounts!.totp('web.admin'));
      await admin.getByRole('button', { name: 'Verify code' }).click();
      await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Reconciliation' }).click();
      const card = admin.getByRole('region', { name: `Conflict on Appointment/${apptId}` }).or(admin.locator(`[aria-label="Conflict on Appointment/${apptId}"]`)).first();
      await card.waitFor();
      const table = card.getByRole('table', { name: `Versions of Appointment/${apptId}` });
      const rows = table.locator('tbody tr');
      const n = await rows.count();
      assert.ok(n >= 2, `status and comment differ (${n} differing fields)`);
      // Which column is the node's version (checked in) and which the hub's (the comment)?
      const statusRow = rows.filter({ has: admin.locator('code', { hasText: /^status$/ }) });
      const cells = statusRow.locator('td');
      let nodeCol = -1;
      for (let i = 1; i < (await cells.count()); i++) if (/arrived|checked-in/.test(await cells.nth(i).innerText())) nodeCol = i;
      assert.ok(nodeCol > 0, 'the node version shows the check-in');
      const hubCol = nodeCol === 1 ? 2 : 1;
      await admin.screenshot({ path: join(shots, 'reconciliation-conflict.png'), fullPage: true });
      const v = await seriousAxeViolations(admin);
      assert.equal(v.length, 0, describeViolations(v));
      for (let r = 0; r < n; r++) {
        const field = await rows.nth(r).locator('code').innerText();
        await rows.nth(r).locator('td').nth(field === 'comment' ? hubCol : nodeCol).getByRole('radio').check();
      }
      await card.getByRole('button', { name: 'Save merge of chosen fields' }).click();
      await admin.getByText('No conflicts: every record agrees.').waitFor();

      const res = await admin.request.get(`${url}/fhir/R4/Appointment/${apptId}`);
      assert.equal(res.headers()['x-chartroom-conflict'], undefined, 'no conflict header any more');
      const appt = (await res.json()) as { status: string; comment?: string };
      assert.match(appt.status, /arrived|checked-in/, 'the check-in made while working locally is kept');
      assert.equal(appt.comment, HUB_COMMENT, "the hub's comment is kept");
      const conflicts = (await (await admin.request.get(`${url}/api/conflicts`)).json()) as { total: number };
      assert.equal(conflicts.total, 0);
    });

    await t.test('the merge reaches the hub: the bar is back to in sync without conflicts', async () => {
      await page.waitForFunction(() => {
        const parts = [...(document.querySelector('[aria-label="Sync status"]')?.querySelectorAll('p') ?? [])].map((p) => p.textContent ?? '');
        const text = parts.join(' | ');
        return /in sync/.test(text) && !/conflict/.test(text);
      }, undefined, { timeout: 90_000 });
      t.diagnostic(`after the merge: ${(await bar.innerText()).replace(/\s+/g, ' ')}`);
    });

    await t.test('a mass rewrite from the hub is held in quarantine; the bar says so; the administrator approves it in Admin and the node gets it', async () => {
      await kill(hub, 'SIGTERM');
      const ids = await rewriteInStore(hubData, 'Slot', 250, (slot) => {
        slot.comment = QUARANTINE_COMMENT;
      });
      hub = await startHub(hubData, port);
      const pendingOnNode = async () => ((await (await admin.request.get(`${url}/api/sync/quarantine?status=pending`)).json()) as { items: unknown[] }).items.length;
      const deadline = Date.now() + 120_000;
      while ((await pendingOnNode()) === 0 && Date.now() < deadline) await admin.waitForTimeout(1000);
      assert.ok((await pendingOnNode()) > 0, 'the rewrite of 250 records (over the 200 floor) is held on the node');
      await bar.getByText(/^\d+ sync batch(es)? held for an administrator$/).waitFor({ timeout: 30_000 });
      assert.doesNotMatch(await main.innerText(), /in sync/, 'not "in sync" while changes from the hub are held');
      await main.filter({ hasText: /^Sync paused: changes from the hub wait for an administrator/ }).waitFor({ timeout: 30_000 });
      t.diagnostic(`held: ${(await bar.innerText()).replace(/\s+/g, ' ')}`);

      await admin.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).click();
      await admin.getByRole('tab', { name: 'Quarantine' }).click();
      const table = admin.getByRole('table', { name: 'Quarantined sync batches' });
      await table.waitFor();
      // This page's own bar (it polls every 10 s) has caught up too.
      await admin.getByRole('status', { name: 'Sync status' }).getByText(/held for an administrator$/).waitFor({ timeout: 30_000 });
      await admin.screenshot({ path: join(shots, 'admin-quarantine-held.png') });
      const v = await seriousAxeViolations(admin);
      assert.equal(v.length, 0, describeViolations(v));
      admin.on('dialog', (d) => void d.accept());
      for (let round = 0; round < 10 && (await pendingOnNode()) > 0; round++) {
        const approve = table.getByRole('button', { name: /^Approve batch from / }).first();
        if (!(await approve.isVisible())) {
          // A batch that arrived after the list was read: read it again.
          await admin.getByRole('tab', { name: 'Audit log' }).click();
          await admin.getByRole('tab', { name: 'Quarantine' }).click();
          await table.waitFor();
          continue;
        }
        await approve.click();
        await admin.getByText('Batch approved and applied.').waitFor();
        await admin.waitForTimeout(1500);
      }
      assert.equal(await pendingOnNode(), 0, 'every held batch approved');
      for (const id of [ids[0], ids[ids.length - 1]]) {
        const slot = (await (await admin.request.get(`${url}/fhir/R4/Slot/${id ?? ''}`)).json()) as { comment?: string };
        assert.equal(slot.comment, QUARANTINE_COMMENT, `Slot/${id ?? ''} has the hub's rewrite after approval`);
      }
      await main.filter({ hasText: /in sync/ }).waitFor({ timeout: 120_000 });
      t.diagnostic(`approved: ${(await bar.innerText()).replace(/\s+/g, ' ')}`);
      assert.deepEqual(pageErrors, []);
    });
  } finally {
    await browser?.close();
    await node?.close();
    await kill(hub, 'SIGTERM');
    rmSync(tmp, { recursive: true, force: true });
  }
});
