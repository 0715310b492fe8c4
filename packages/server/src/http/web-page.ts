/**
 * The start page a node serves at `/` until the web app ships: the placeholder built in
 * `packages/web`, or a minimal page when it has not been built.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const WEB_INDEX = fileURLToPath(new URL('../../../web/index.html', import.meta.url));

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The HTML of the start page for a practice. */
export function webIndexHtml(practiceName: string): string {
  const template = existsSync(WEB_INDEX) ? readFileSync(WEB_INDEX, 'utf8') : '<!doctype html><title>Chartroom</title><h1>{{practice}}</h1>';
  return template.replaceAll('{{practice}}', escapeHtml(practiceName));
}
