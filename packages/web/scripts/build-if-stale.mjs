#!/usr/bin/env node
// Builds the web app (vite build → packages/web/dist) when dist is missing or older than its sources.
// `npm start` and the browser tests run this, so a fresh clone needs no manual build step.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const web = new URL('..', import.meta.url).pathname;
const built = join(web, 'dist', 'index.html');

function newest(path) {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let max = st.mtimeMs;
  for (const name of readdirSync(path)) max = Math.max(max, newest(join(path, name)));
  return max;
}

const sources = ['src', 'public', 'index.html', 'vite.config.ts', 'package.json'].map((p) => join(web, p)).filter((p) => existsSync(p));
const stale = !existsSync(built) || Math.max(...sources.map(newest)) > statSync(built).mtimeMs;
if (!stale) process.exit(0);
console.log(existsSync(built) ? 'Web app sources changed: rebuilding packages/web/dist…' : 'Building the web app (packages/web/dist)…');
const vite = join(web, '..', '..', 'node_modules', 'vite', 'bin', 'vite.js');
const r = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: web, stdio: 'inherit' });
process.exit(r.status ?? 1);
