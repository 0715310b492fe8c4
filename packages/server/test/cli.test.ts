/**
 * The `chartroom` command as a user runs it: a real child process, real files.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';

const BIN = new URL('../bin/chartroom.js', import.meta.url).pathname;

function run(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 180_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('init creates an encrypted database, a private key file and a config; refuses to run twice', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'chartroom-cli-')), 'node');
  try {
    const r = run(['init', '--data', dir, '--practice', 'Test Clinic']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Created data directory/);
    assert.equal(statSync(join(dir, 'chartroom.key')).mode & 0o777, 0o600);
    assert.equal(statSync(join(dir, 'chartroom.db')).mode & 0o077, 0, 'database not readable by others');
    assert.equal(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).practiceName, 'Test Clinic');
    assert.notEqual(readFileSync(join(dir, 'chartroom.db')).subarray(0, 15).toString('latin1'), 'SQLite format 3', 'header is encrypted');
    const keyBefore = readFileSync(join(dir, 'chartroom.key'), 'utf8');
    const again = run(['init', '--data', dir]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already holds a Chartroom data directory; nothing was changed/);
    assert.equal(readFileSync(join(dir, 'chartroom.key'), 'utf8'), keyBefore);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a wrong key is refused with a clear message and the database file is left as it was', () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'chartroom-cli-')), 'node');
  try {
    assert.equal(run(['init', '--data', dir]).code, 0);
    const db = join(dir, 'chartroom.db');
    const before = createHash('sha256').update(readFileSync(db)).digest('hex');
    writeFileSync(join(dir, 'chartroom.key'), 'ab'.repeat(32) + '\n', { mode: 0o600 });
    const r = run(['serve', '--data', dir, '--port', '0']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /key does not decrypt it/);
    assert.equal(createHash('sha256').update(readFileSync(db)).digest('hex'), before);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('usage mistakes get a message, not a stack trace', () => {
  const unknown = run(['frobnicate']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /Unknown command "frobnicate"/);
  const noData = run(['serve']);
  assert.equal(noData.code, 2);
  assert.match(noData.stderr, /needs --data DIR/);
  const badOption = run(['init', '--bogus']);
  assert.equal(badOption.code, 2);
  assert.match(badOption.stderr, /bogus/);
  const notADir = run(['serve', '--data', '/nonexistent/chartroom']);
  assert.equal(notADir.code, 1);
  assert.match(notADir.stderr, /not a Chartroom data directory/);
});

test('serve answers FHIR requests and stops cleanly on SIGTERM', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'chartroom-cli-')), 'node');
  assert.equal(run(['init', '--data', dir]).code, 0);
  const issued = run(['token', 'create', '--data', dir, '--user', 'admin', '--scope', 'system/*.*']);
  assert.equal(issued.code, 0, issued.stderr);
  const token = issued.stdout.trim().split('\n').pop() ?? '';
  const auth = { authorization: `Bearer ${token}` };
  const child = spawn(process.execPath, [BIN, 'serve', '--data', dir, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL printed: ${out}`)), 120_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /running at (http:\/\/\S+)/.exec(out);
        if (m?.[1]) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.on('exit', (code) => reject(new Error(`exited ${String(code)}: ${out}`)));
    });
    assert.equal((await fetch(`${url}/fhir/R4/Patient?name=odegard`)).status, 401, 'no token, no data');
    const created = await fetch(`${url}/fhir/R4/Patient`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json', ...auth },
      body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Ødegård' }] }),
    });
    assert.equal(created.status, 201);
    const search = (await (await fetch(`${url}/fhir/R4/Patient?name=odegard`, { headers: auth })).json()) as { entry?: unknown[] };
    assert.equal(search.entry?.length, 1);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
