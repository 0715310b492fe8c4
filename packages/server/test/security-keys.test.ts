/**
 * Where the database key comes from (the key file, or `CHARTROOM_DB_KEY` for services), and
 * the server's refusal of an unencrypted database unless started with
 * `--insecure-unencrypted-dev` — which it then says loudly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KEY_ENV, KeyError, initDataDir, openDataDir, readKey } from '../src/data-dir.js';
import { UnencryptedDatabaseError, isPlaintextSqlite, openStore } from '../src/store/open-store.js';
import { openDataStore } from '../src/cli/open-data-store.js';
import { main } from '../src/cli/main.js';

const BIN = new URL('../bin/chartroom.js', import.meta.url).pathname;
const ENV_KEY = 'cd'.repeat(32);

test('key sources: the key file, or CHARTROOM_DB_KEY (which must agree with a key file that exists)', async () => {
  const root = mkdtempSync(join(tmpdir(), 'chartroom-keys-'));
  const saved = process.env[KEY_ENV];
  try {
    const dd = initDataDir(join(root, 'file'));
    const fileKey = readKey(dd, {});
    assert.match(fileKey, /^[0-9a-f]{64}$/);
    assert.equal(readKey(dd, { [KEY_ENV]: fileKey.toUpperCase() }), fileKey.toUpperCase(), 'the same key from the environment is accepted');
    assert.throws(() => readKey(dd, { [KEY_ENV]: ENV_KEY }), (e: unknown) => e instanceof KeyError && /hold different keys/.test(e.message));
    assert.throws(() => readKey(dd, { [KEY_ENV]: 'not-a-key' }), (e: unknown) => e instanceof KeyError && /64 hexadecimal digits/.test(e.message));

    // A service: init with the key in the environment writes no key file; the store opens with it.
    process.env[KEY_ENV] = ENV_KEY;
    const svc = initDataDir(join(root, 'service'));
    assert.equal(existsSync(svc.keyFile), false, 'no key file written');
    const store = await openDataStore(svc.dir);
    await store.repo.create({ resourceType: 'Patient', name: [{ family: 'Env' }] }, { id: 'p1' });
    await store.close();
    assert.equal(isPlaintextSqlite(svc.dbFile), false);
    delete process.env[KEY_ENV];
    assert.throws(() => readKey(openDataDir(svc.dir)), (e: unknown) => e instanceof KeyError && /Key file .* is missing.*CHARTROOM_DB_KEY/.test(e.message));
    await assert.rejects(openStore({ kind: 'sqlite', file: svc.dbFile, keyHex: fileKey }), /the key does not decrypt it/);
  } finally {
    if (saved === undefined) delete process.env[KEY_ENV];
    else process.env[KEY_ENV] = saved;
    rmSync(root, { recursive: true, force: true });
  }
});

/** An initialised data directory whose database is a plain, unencrypted SQLite file. */
async function unencryptedDataDir(root: string): Promise<string> {
  const dd = initDataDir(join(root, 'plain'));
  const store = await openStore({ kind: 'sqlite', file: dd.dbFile, keyHex: undefined });
  await store.repo.create({ resourceType: 'Patient', name: [{ family: 'Plain' }] }, { id: 'p1' });
  await store.close();
  assert.equal(isPlaintextSqlite(dd.dbFile), true);
  return dd.dir;
}

test('the server refuses an unencrypted database without --insecure-unencrypted-dev (nothing opened)', async () => {
  const root = mkdtempSync(join(tmpdir(), 'chartroom-unencrypted-'));
  try {
    const dir = await unencryptedDataDir(root);
    await assert.rejects(openDataStore(dir), (e: unknown) => e instanceof UnencryptedDatabaseError && /is NOT encrypted: refusing to open it.*chartroom rekey.*--insecure-unencrypted-dev/.test(e.message));
    const errors: string[] = [];
    const error = console.error;
    console.error = (...a: unknown[]) => void errors.push(a.join(' '));
    let code: number;
    try {
      code = await main(['serve', '--data', dir, '--port', '0']);
    } finally {
      console.error = error;
    }
    assert.equal(code, 1);
    assert.match(errors.join('\n'), /chartroom: .*chartroom\.db is NOT encrypted: refusing to open it/);
    assert.equal(isPlaintextSqlite(join(dir, 'chartroom.db')), true, 'left as it was');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('with --insecure-unencrypted-dev the server serves an unencrypted database and says so loudly', async () => {
  const root = mkdtempSync(join(tmpdir(), 'chartroom-unencrypted-dev-'));
  try {
    const dir = await unencryptedDataDir(root);
    const child = spawn(process.execPath, [BIN, 'serve', '--data', dir, '--port', '0', '--insecure-unencrypted-dev'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    const deadline = Date.now() + 120_000;
    while (!/is running at/.test(stdout) && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    await exited;
    assert.match(stdout, /\(UNENCRYPTED SQLite, development only\) is running at http:/, stdout + stderr);
    assert.match(stderr, /!! INSECURE: .*chartroom\.db is NOT encrypted\. Serving it only because of --insecure-unencrypted-dev/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
