/**
 * `chartroom import` as a user runs it: a real child process on a real data directory;
 * exit codes, the summary, errors naming file and entry.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = new URL('../bin/chartroom.js', import.meta.url).pathname;

function run(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function dataDir(): { root: string; data: string; dispose(): void } {
  const root = mkdtempSync(join(tmpdir(), 'chartroom-import-cli-'));
  const data = join(root, 'node');
  const init = run(['init', '--data', data]);
  assert.equal(init.code, 0, init.stderr);
  return { root, data, dispose: () => rmSync(root, { recursive: true, force: true }) };
}

test('chartroom import: a folder with a bad file and a bad transaction entry exits 1 and lists both; the rest is imported', () => {
  const d = dataDir();
  try {
    const files = join(d.root, 'files');
    mkdirSync(files);
    writeFileSync(join(files, 'a.ndjson'), [{ resourceType: 'Patient', id: 'cli-1' }, { resourceType: 'Patient', id: 'cli-2' }].map((r) => JSON.stringify(r)).join('\n'));
    writeFileSync(join(files, 'broken.json'), '{ "resourceType": ');
    writeFileSync(
      join(files, 'Alberto.json'),
      JSON.stringify({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [
          { fullUrl: 'urn:uuid:11111111-1111-4111-8111-111111111111', resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } },
          { resource: { resourceType: 'Observation', code: { text: 'x' }, subject: { reference: 'urn:uuid:11111111-1111-4111-8111-111111111111' } }, request: { method: 'POST', url: 'Observation' } },
        ],
      }),
    );
    const r = run(['import', '--data', d.data, files]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /Imported 2 resources from 3 files/);
    assert.match(r.stderr, /Patient\s+2/);
    assert.match(r.stderr, /Alberto\.json entry\[1\]: Observation\.status: Missing required property \(nothing of this transaction was stored\)/);
    assert.match(r.stderr, /broken\.json: not valid JSON/);
    assert.match(r.stderr, /Transactions: 0 stored, 1 failed/);

    const ok = run(['import', '--data', d.data, join(files, 'a.ndjson')]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /Imported 2 resources from 1 file in [\d.]+ s \([\d,]+ resources\/s\)/);
  } finally {
    d.dispose();
  }
});

test('chartroom import without a path, or with a missing one, is an error', () => {
  const d = dataDir();
  try {
    const none = run(['import', '--data', d.data]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /needs at least one PATH/);
    const missing = run(['import', '--data', d.data, join(d.root, 'nope')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope: no such file or folder/);
  } finally {
    d.dispose();
  }
});
