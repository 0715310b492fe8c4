/**
 * What the clinic node promises about its database file: an acknowledged write survives
 * kill -9; a wrong key is refused with a clear message and changes nothing; no plaintext
 * reaches the disk; the key file is private and a key file others can read is refused.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import type { Patient } from '@medplum/fhirtypes';
import { openStore } from '../src/store/open-store.js';
import { WrongKeyError } from '../src/store/sqlite-dialect.js';
import { initDataDir, openDataDir, readKey } from '../src/data-dir.js';
import { openNodeStore } from '../src/cli/main.js';

const CHILD = fileURLToPath(new URL('./durability-child.ts', import.meta.url));
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'chartroom-durability-'));
  dirs.push(d);
  return d;
}

const newKey = (): string => randomBytes(32).toString('hex');

interface Ack {
  id: string;
  n: number;
  rev: string;
}

/**
 * Runs the writer child until it has acknowledged `killAfter` writes, kills it with SIGKILL,
 * and returns every acknowledgement it printed (only complete lines count).
 */
async function writeUntilKilled(file: string, keyHex: string, killAfter: number, start: number): Promise<{ acks: Ack[]; signal: string | null }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file, keyHex, '4'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DURABILITY_START: String(start), NODE_NO_WARNINGS: '1' },
  });
  const acks: Ack[] = [];
  let pending = '';
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      const m = /^ack (\S+) (\d+) (\d+-[0-9a-f]{32})$/.exec(line);
      if (m) {
        acks.push({ id: m[1] as string, n: Number(m[2]), rev: m[3] as string });
        if (acks.length === killAfter) child.kill('SIGKILL');
      } else if (line !== 'ready') {
        assert.fail(`unexpected line from the writer: ${line}`);
      }
    }
  });
  const [code, signal] = (await new Promise((resolve) => child.on('close', (c, s) => resolve([c, s])))) as [number | null, string | null];
  assert.equal(code, null, `the writer must not exit by itself (stderr: ${stderr})`);
  return { acks, signal };
}

describe('durability of the encrypted SQLite store', () => {
  test('every acknowledged write survives SIGKILL mid-stream, twice, and the database opens cleanly', async () => {
    const dir = tempDir();
    const file = join(dir, 'chartroom.db');
    const keyHex = newKey();
    const all: Ack[] = [];
    for (const [round, killAfter] of [[0, 300], [1, 150]] as const) {
      const { acks, signal } = await writeUntilKilled(file, keyHex, killAfter, round * 1_000_000);
      assert.equal(signal, 'SIGKILL');
      assert.ok(acks.length >= killAfter, `round ${round}: ${acks.length} acknowledgements`);
      assert.ok(existsSync(`${file}-wal`), 'the killed writer left its WAL behind, so reopening must recover it');
      all.push(...acks);

      const store = await openStore({ kind: 'sqlite', file, keyHex });
      try {
        const check = await sql<{ integrity_check: string }>`PRAGMA integrity_check`.execute(store.dialect.db);
        assert.deepEqual(check.rows.map((r) => r.integrity_check), ['ok']);
        for (const ack of all) {
          const v = await store.repo.read('Patient', ack.id);
          assert.equal(v.rev, ack.rev, `Patient/${ack.id} has the acknowledged revision`);
          const p = JSON.parse(v.json) as Patient;
          assert.equal(p.name?.[0]?.family, `Durable-${ack.n}`);
          assert.deepEqual(p.identifier, [{ system: 'urn:chartroom:durability', value: String(ack.n) }]);
        }
        // The change log and search indexes came through too.
        const changes = await store.dialect.db.selectFrom('changes').select('id').where('id', 'in', all.map((a) => a.id)).execute();
        assert.equal(changes.length, all.length);
        const indexed = await store.dialect.db.selectFrom('sp_token').select('rk').where('system', '=', 'urn:chartroom:durability').execute();
        assert.ok(indexed.length >= all.length);
      } finally {
        await store.close();
      }
    }
  });

  test('a wrong key is refused with a clear message and leaves the files unchanged', async () => {
    const dir = tempDir();
    const file = join(dir, 'chartroom.db');
    const keyHex = newKey();
    const store = await openStore({ kind: 'sqlite', file, keyHex });
    await store.repo.create({ resourceType: 'Patient', name: [{ family: 'Keyed' }] });
    await store.close();
    const snapshot = (): Record<string, string> =>
      Object.fromEntries(readdirSync(dir).sort().map((f) => [f, createHash('sha256').update(readFileSync(join(dir, f))).digest('hex')]));
    const before = snapshot();
    await assert.rejects(openStore({ kind: 'sqlite', file, keyHex: newKey() }), (err: unknown) => {
      assert.ok(err instanceof WrongKeyError, `expected WrongKeyError, got ${String(err)}`);
      assert.match(err.message, /key does not decrypt it/);
      assert.match(err.message, /nothing was changed/);
      assert.ok(err.message.includes(file), 'the message names the file');
      return true;
    });
    assert.deepEqual(snapshot(), before, 'no file was created, changed or removed');
    // The right key still opens it.
    const again = await openStore({ kind: 'sqlite', file, keyHex });
    assert.equal((await again.repo.countByType()).Patient, 1);
    await again.close();
  });

  test('neither the database nor its WAL holds plaintext', async () => {
    const dir = tempDir();
    const file = join(dir, 'chartroom.db');
    const canary = `Canary-${randomBytes(8).toString('hex')}`;
    const store = await openStore({ kind: 'sqlite', file, keyHex: newKey() });
    await store.repo.create({ resourceType: 'Patient', name: [{ family: canary, given: ['Plain'] }], address: [{ city: canary }] });
    const needles = [Buffer.from(canary, 'utf8'), Buffer.from(canary.toLowerCase(), 'utf8'), Buffer.from(canary, 'utf16le'), Buffer.from('SQLite format 3')];
    const scan = (label: string): void => {
      for (const f of readdirSync(dir)) {
        const bytes = readFileSync(join(dir, f));
        for (const needle of needles) assert.equal(bytes.indexOf(needle), -1, `${label}: ${f} contains "${needle.toString()}"`);
      }
    };
    assert.ok(existsSync(`${file}-wal`), 'the write is in the WAL while the store is open');
    scan('while open');
    await store.close();
    assert.ok(statSync(file).size > 0);
    scan('after close');
  });

  test('initDataDir writes the key file with mode 0600', () => {
    const dd = initDataDir(join(tempDir(), 'node'));
    assert.equal(statSync(dd.keyFile).mode & 0o777, 0o600);
    assert.match(readKey(dd), /^[0-9a-f]{64}$/);
  });

  test('a key file that others can read is refused, and the database is not opened', async () => {
    const dd = initDataDir(join(tempDir(), 'node'));
    for (const mode of [0o644, 0o640, 0o604]) {
      chmodSync(dd.keyFile, mode);
      assert.throws(() => readKey(openDataDir(dd.dir)), /readable by others.*chmod 600/);
      await assert.rejects(openNodeStore(dd.dir), /readable by others/);
      assert.equal(existsSync(dd.dbFile), false, 'no database file was created');
    }
    chmodSync(dd.keyFile, 0o600);
    const store = await openNodeStore(dd.dir);
    await store.close();
    assert.ok(existsSync(dd.dbFile));
  });
});
