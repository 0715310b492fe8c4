/**
 * Measures chart open in headless Chromium: from clicking a patient search result to the chart's
 * summary column on screen (the page's own `performance.measure('chart-open')`, and the time the
 * test driver saw), over many different patients. Prints every figure and p50/p95; it is a
 * measurement, not a pass/fail test.
 *
 *   node --import tsx packages/web/test/chart-open-measure.ts                      a fresh 200-patient demo node
 *   node --import tsx packages/web/test/chart-open-measure.ts --data DIR [--port P] serve an existing data dir (e.g. the
 *                                                                                  50,000-patient demo) and measure on it
 *   options: --opens N (default 25), --patients N (fresh demo size), --queries FILE (one search per line,
 *   e.g. MRNs of full charts; the first result is opened; default: names found by two-letter prefixes)
 *
 * With --data, a measuring user (`chart.measure`, a demo clinician with a known password and TOTP)
 * is added to that data directory if it is not there yet; nothing else is written to it.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { BROWSER_SKIP, launchChromium } from './helpers/browser.js';
import { buildWebApp, startChartroomNode } from './helpers/chartroom-node.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = join(ROOT, 'packages/server/bin/chartroom.js');
const USER = { username: 'chart.measure', password: 'Measure-Chart-Open-2026' };

interface AuthLike {
  accounts: { add(u: { username: string; displayName: string; role: string; password: string; demo: boolean }): Promise<{ user: { id: string } }> };
  enrolTotpDirectly(userId: string): Promise<string>;
  demoTotpCode(username: string): Promise<string>;
}
type OpenNodeAuth = (dir: string) => Promise<{ store: { close(): Promise<void> }; auth: AuthLike }>;

async function nodeAuth(): Promise<OpenNodeAuth> {
  const mod = (await import(pathToFileURL(join(ROOT, 'packages/server/src/cli/user-command.ts')).href)) as { openNodeAuth: OpenNodeAuth };
  return mod.openNodeAuth;
}

/** Adds the measuring user (once) and returns a function giving its current TOTP code. */
async function measuringUser(data: string): Promise<() => Promise<string>> {
  const open = await nodeAuth();
  const { store, auth } = await open(data);
  try {
    const { user } = await auth.accounts.add({ username: USER.username, displayName: 'Chart-open measurement', role: 'clinician', password: USER.password, demo: true });
    await auth.enrolTotpDirectly(user.id);
  } catch (err) {
    if (!/exist|taken|already/i.test((err as Error).message)) throw err;
  } finally {
    await store.close();
  }
  return async () => {
    const { store: s, auth: a } = await open(data);
    try {
      return await a.demoTotpCode(USER.username);
    } finally {
      await s.close();
    }
  };
}

async function serve(data: string, port: number): Promise<{ url: string; child: ChildProcess }> {
  buildWebApp();
  const child = spawn(process.execPath, [CLI, 'serve', '--data', data, '--port', String(port)], { cwd: ROOT, env: { ...process.env, NODE_NO_WARNINGS: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    const onData = (b: Buffer) => {
      seen += b.toString();
      const m = /running at (http:\/\/\S+)/.exec(seen);
      if (m?.[1]) resolve(m[1]);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => reject(new Error(`chartroom serve exited (${code}):\n${seen}`)));
    setTimeout(() => reject(new Error(`chartroom serve did not start in 10 min:\n${seen}`)), 600_000).unref();
  });
  return { url, child };
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
};

/** Signs in and opens `opens` different charts from the search dialog; returns page and driver times (ms). */
export async function measureChartOpen(page: Page, url: string, totp: () => Promise<string>, opens: number, queries?: string[]): Promise<{ page: number[]; driver: number[]; names: string[] }> {
  await page.goto(url);
  await page.getByLabel('Username').fill(USER.username);
  await page.locator('input[autocomplete="current-password"]').fill(USER.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const code = page.getByLabel('Code from your authenticator app');
  await code.waitFor();
  await code.fill(await totp());
  await page.getByRole('button', { name: 'Verify code' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  // Different patients: the names the type-ahead gives for a spread of two-letter prefixes.
  const names: string[] = queries ? [...queries] : [];
  for (const q of queries ? [] : ['ma', 'jo', 'sa', 'li', 'ro', 'an', 'ch', 'da', 'el', 'ka', 'mi', 'pa', 'te', 'ga', 'br', 'ha', 'ja', 'la', 'ni', 'wi', 'be', 'ca', 'de', 'fr', 'ke']) {
    const res = (await (await page.request.get(`${url}/api/patients?q=${q}&limit=5`)).json()) as { results?: { name: string }[] };
    for (const r of res.results ?? []) if (!names.includes(r.name) && !/\d/.test(r.name)) names.push(r.name);
    if (names.length >= opens * 2) break;
  }
  const out = { page: [] as number[], driver: [] as number[], names: [] as string[] };
  for (const name of names) {
    if (out.page.length >= opens) break;
    await page.keyboard.press('Control+K');
    const box = page.getByRole('combobox', { name: /Name, MRN or birth date/ });
    await box.fill(name);
    const hit = page.getByRole('option').first();
    await hit.waitFor();
    await page.waitForTimeout(150); // the results settle (type-ahead answers for shorter prefixes arrive first)
    await page.evaluate(() => delete document.body.dataset.chartOpenMs);
    const t0 = Date.now();
    await hit.click();
    await page.getByTestId('chart-summary').waitFor();
    const driver = Date.now() - t0;
    await page.waitForFunction(() => document.body.dataset.chartOpenMs !== undefined);
    out.page.push(Number(await page.evaluate(() => document.body.dataset.chartOpenMs)));
    out.driver.push(driver);
    out.names.push(await page.getByTestId('patient-name').innerText());
    // Let the rest of the chart arrive before the next open, as a clinician reading would.
    await page.getByLabel('Chart timeline').or(page.getByText('Nothing in this chart yet.')).first().waitFor({ timeout: 60_000 });
  }
  return out;
}

async function main(): Promise<void> {
  if (BROWSER_SKIP) throw new Error(BROWSER_SKIP);
  const { values } = parseArgs({ options: { data: { type: 'string' }, port: { type: 'string', default: '0' }, opens: { type: 'string', default: '25' }, patients: { type: 'string', default: '200' }, queries: { type: 'string' } } });
  const queries = values.queries
    ? readFileSync(values.queries, 'utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean)
    : undefined;
  const opens = Number(values.opens);
  let stop: () => Promise<void>;
  let url: string;
  let totp: () => Promise<string>;
  if (values.data) {
    totp = await measuringUser(values.data);
    const s = await serve(values.data, Number(values.port));
    url = s.url;
    stop = async () => {
      const exited = new Promise((r) => s.child.once('exit', r));
      s.child.kill('SIGTERM');
      await exited;
    };
  } else {
    let t!: () => Promise<string>;
    const node = await startChartroomNode(Number(values.patients), async (data) => {
      t = await measuringUser(data);
    });
    totp = t;
    url = node.url;
    stop = () => node.close();
  }
  const browser = await launchChromium();
  try {
    const page = await (await browser.newContext({ viewport: { width: 1366, height: 900 } })).newPage();
    page.setDefaultTimeout(60_000);
    const r = await measureChartOpen(page, url, totp, opens, queries);
    r.page.forEach((ms, i) => console.log(`open ${String(i + 1).padStart(2)}: ${ms.toFixed(1)} ms in the page, ${r.driver[i]} ms seen by the driver — ${r.names[i]}`));
    console.log(`chart open over ${r.page.length} opens (search click → summary visible): in the page p50 ${pct(r.page, 50).toFixed(1)} ms, p95 ${pct(r.page, 95).toFixed(1)} ms, max ${Math.max(...r.page).toFixed(1)} ms; seen by the driver p50 ${pct(r.driver, 50)} ms, p95 ${pct(r.driver, 95)} ms`);
  } finally {
    await browser.close();
    await stop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
