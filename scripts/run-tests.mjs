#!/usr/bin/env node
// Runs the test files of every workspace with Node's test runner (TypeScript through tsx).
//   node scripts/run-tests.mjs            all *.test.ts files (PostgreSQL and browser tests skip visibly when unavailable)
//   node scripts/run-tests.mjs --pg       only the files that exercise PostgreSQL (CHARTROOM_TEST_PG must be set)
//   node scripts/run-tests.mjs --browser  only the headless Chromium suites
//   node scripts/run-tests.mjs FILTER…    only files whose path contains a FILTER
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url).pathname;
const args = process.argv.slice(2);
const pg = args.includes('--pg');
const browser = args.includes('--browser');
const filters = args.filter((a) => !a.startsWith('--'));

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}

let files = walk(join(root, 'packages'), []).sort();
if (pg) {
  if (!process.env.CHARTROOM_TEST_PG) {
    console.error('test:pg needs CHARTROOM_TEST_PG, e.g. postgres://postgres@127.0.0.1:5432/postgres');
    process.exit(2);
  }
  // Every test file that exercises PostgreSQL (it names the store kinds or the test server).
  files = files.filter((f) => /STORE_KINDS|postgresTestStore|TEST_PG|PG_SKIP/.test(readFileSync(join(root, f), 'utf8')));
} else if (browser) {
  files = files.filter((f) => f.endsWith('.browser.test.ts'));
}
if (filters.length) files = files.filter((f) => filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error('No test files matched.');
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  // A test that hangs fails by name after 15 minutes (the slowest suite takes ~2.5 min here)
  // instead of holding the run until CI's own limit.
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=900000', '--test-reporter=spec', ...files],
  { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_NO_WARNINGS: '1' } },
);
process.exit(result.status ?? 1);
