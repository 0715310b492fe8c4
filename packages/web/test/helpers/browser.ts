/** Headless Chromium for the web app's browser tests (Debian's chromium; tests skip visibly without it). */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** `false`, or why the browser tests are skipped. */
export const BROWSER_SKIP = existsSync(CHROMIUM) ? false : `browser tests skipped: ${CHROMIUM} not found (apt-get install chromium)`;

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** Launches headless Chromium with the flags this machine needs. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * Where screenshots go: `CHARTROOM_SCREENSHOTS` (e.g. docs/screenshots, relative to the repository
 * root) or a temporary folder, so a test run never changes committed files unless asked to.
 */
export function screenshotDir(): string {
  const env = process.env.CHARTROOM_SCREENSHOTS;
  const dir = env ? (env.startsWith('/') ? env : join(ROOT, env)) : mkdtempSync(join(tmpdir(), 'chartroom-shots-'));
  mkdirSync(dir, { recursive: true });
  return dir;
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
}

const AXE_SOURCE = readFileSync(join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');

/**
 * Runs axe-core in the page (evaluated through the DevTools protocol, which the page's CSP does
 * not govern) and returns the serious and critical violations.
 */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async () => {
    const w = window as unknown as { axe: { run: (ctx: Document, opts: unknown) => Promise<{ violations: AxeViolation[] }> } };
    return w.axe.run(document, { resultTypes: ['violations'] });
  });
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** One line per violation, for assertion messages. */
export function describeViolations(vs: AxeViolation[]): string {
  return vs.map((v) => `${v.impact} ${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => JSON.stringify(n.target)).join(', ')}`).join('\n');
}
