/**
 * The shipped knowledge data is what scripts/build-knowledge.mjs makes from ../shared today
 * (skipped visibly without ../shared: a fresh clone tests the committed data only).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const SKIP = existsSync(fileURLToPath(new URL('../shared/data/knowledge', `file://${root}`))) ? false : '../shared/data/knowledge not found: knowledge-base rebuild check skipped';

test('the committed knowledge data matches a rebuild from ../shared', { skip: SKIP }, () => {
  const r = spawnSync(process.execPath, ['scripts/build-knowledge.mjs', '--check'], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /up to date/);
});
