/**
 * `chartroom demo` as a user runs it: a real child process on a real data directory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = new URL('../bin/chartroom.js', import.meta.url).pathname;

function run(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function dataDir(): { root: string; data: string; dispose(): void } {
  const root = mkdtempSync(join(tmpdir(), 'chartroom-demo-cli-'));
  const data = join(root, 'node');
  const init = run(['init', '--data', data]);
  assert.equal(init.code, 0, init.stderr);
  return { root, data, dispose: () => rmSync(root, { recursive: true, force: true }) };
}

test('chartroom demo loads a small practice and prints what it wrote; a bad --patients is a usage error', () => {
  const d = dataDir();
  try {
    const r = run(['demo', '--data', d.data, '--patients', '4', '--seed', '9']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\(seed 9\): 4 patients, [\d,]+ resources in [\d.]+ s/);
    assert.match(r.stdout, /Patient\s+4\n/);
    assert.match(r.stdout, /Practitioner\s+6\n/);
    const bad = run(['demo', '--data', d.data, '--patients', 'many']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--patients must be a whole number/);
  } finally {
    d.dispose();
  }
});
