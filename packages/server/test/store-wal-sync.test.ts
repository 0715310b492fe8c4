/**
 * Durable group commits without blocking the event loop (store/wal-sync.ts): a write on
 * SQLite settles only after an fdatasync of the WAL that began after its COMMIT; a failed
 * sync is reported to every write of its group; writes outside the queue keep
 * `synchronous = FULL`; the store closes only after the last sync. The kill -9 test is in
 * durability.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CompiledQuery } from 'kysely';
import { openStore } from '../src/store/open-store.js';
import { openSqliteDatabase, sqliteDialect } from '../src/store/sqlite-dialect.js';
import type { WalDurability } from '../src/store/sqlite-dialect.js';
import { migrateToLatest } from '../src/store/migrations.js';
import { WalSync } from '../src/store/wal-sync.js';
import type { CommitDurability } from '../src/store/wal-sync.js';
import { WriteQueue } from '../src/store/write-queue.js';
import type { WriteQueueEvent } from '../src/store/write-queue.js';
import { systemClock } from '../src/store/clock.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'chartroom-walsync-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A durability whose flushes the test completes by hand. */
class ManualDurability implements CommitDurability {
  readonly relaxed = CompiledQuery.raw('PRAGMA synchronous = NORMAL');
  readonly strict = CompiledQuery.raw('PRAGMA synchronous = FULL');
  readonly calls: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  flush(): Promise<void> {
    return new Promise((resolve, reject) => this.calls.push({ resolve, reject }));
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function openQueue(t: { after(fn: () => void): void }): Promise<{ queue: WriteQueue; durability: ManualDurability; raw: ReturnType<typeof openSqliteDatabase> }> {
  const raw = openSqliteDatabase({ file: join(tempDir(t), 'q.db'), keyHex: randomBytes(32).toString('hex') });
  const dialect = sqliteDialect(raw);
  await migrateToLatest(dialect);
  const durability = new ManualDurability();
  const queue = new WriteQueue(dialect.db, systemClock, {}, durability);
  t.after(() => dialect.close());
  return { queue, durability, raw };
}

test('a committed write settles only when the WAL sync after its COMMIT completes', async (t) => {
  const { queue, durability, raw } = await openQueue(t);
  let settled = false;
  const write = queue
    .run(async (tx) => {
      await tx.insertInto('changes').values({ type: 'Patient', id: 'a', rev: '1-x', deleted: 0 }).execute();
      return 'done';
    })
    .then((v) => {
      settled = true;
      return v;
    });
  while (durability.calls.length === 0) await turn();
  // Committed (visible to a reader) but not yet acknowledged.
  assert.equal((raw.prepare('SELECT count(*) AS n FROM changes').get() as { n: number }).n, 1);
  for (let i = 0; i < 5; i++) await turn();
  assert.equal(settled, false, 'not acknowledged before the sync');
  assert.equal(raw.pragma('synchronous', { simple: true }), 2, 'FULL again outside the queue');
  durability.calls[0]?.resolve();
  assert.equal(await write, 'done');
});

test('a failed WAL sync rejects every write of its group, and close waits for pending syncs', async (t) => {
  const { queue, durability } = await openQueue(t);
  const writes = [1, 2, 3].map((i) => queue.run(async (tx) => tx.insertInto('changes').values({ type: 'Patient', id: `p${i}`, rev: '1-x', deleted: 0 }).execute()));
  const events: WriteQueueEvent[] = [];
  queue.subscribe((e) => events.push(e));
  while (durability.calls.length === 0) await turn();
  let closed = false;
  const closing = queue.close().then(() => {
    closed = true;
  });
  for (let i = 0; i < 5; i++) await turn();
  assert.equal(closed, false, 'close waits for the sync of the last group');
  const eio = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
  for (const c of durability.calls) c.reject(eio);
  const outcomes = await Promise.allSettled(writes);
  assert.deepEqual(outcomes.map((o) => o.status), ['rejected', 'rejected', 'rejected']);
  assert.ok(outcomes.every((o) => o.status === 'rejected' && o.reason === eio));
  await closing;
  assert.ok(events.some((e) => e.type === 'sync-failed'));
});

test('WalSync coalesces: a flush asked for while one runs is served by a later sync, not the running one', async (t) => {
  const dir = tempDir(t);
  const raw = openSqliteDatabase({ file: join(dir, 'w.db'), keyHex: randomBytes(32).toString('hex') });
  raw.exec('CREATE TABLE t (a INTEGER)');
  raw.exec('INSERT INTO t VALUES (1)');
  const sync = new WalSync(join(dir, 'w.db-wal'));
  t.after(async () => {
    await sync.close();
    raw.close();
  });
  const first = sync.flush();
  const second = sync.flush();
  const third = sync.flush();
  assert.equal(second, third, 'callers waiting for the next sync share it');
  assert.notEqual(first, second);
  await Promise.all([first, second, third]);
  assert.equal(sync.syncs, 2, 'three flushes, two fdatasync calls');
  await sync.flush();
  assert.equal(sync.syncs, 3);
});

test('a store on a file syncs its WAL for each acknowledged group; an in-memory store has nothing to sync', async (t) => {
  const dir = tempDir(t);
  const keyHex = randomBytes(32).toString('hex');
  const store = await openStore({ kind: 'sqlite', file: join(dir, 's.db'), keyHex });
  const durability = store.dialect.durability as WalDurability | undefined;
  assert.ok(durability?.syncer instanceof WalSync);
  const before = durability.syncer.syncs;
  await Promise.all(Array.from({ length: 20 }, (_, i) => store.repo.create({ resourceType: 'Patient', name: [{ family: `Sync${i}` }] })));
  assert.ok(durability.syncer.syncs > before, 'at least one fdatasync before the writes were acknowledged');
  assert.ok(durability.syncer.syncs - before <= 20, 'groups share syncs');
  // Checkpoints run in the worker thread; the main connection only checkpoints past the safety limit.
  const raw = (store.dialect as unknown as { raw: ReturnType<typeof openSqliteDatabase> }).raw;
  assert.equal(raw.pragma('wal_autocheckpoint', { simple: true }), 20_000);
  await durability.checkpointer.runNow();
  assert.equal(durability.checkpointer.lastError, undefined);
  assert.ok(durability.checkpointer.checkpoints >= 1, 'the worker copied the WAL into the database');
  const [row] = raw.pragma('wal_checkpoint(PASSIVE)') as { log: number; checkpointed: number }[];
  assert.equal(row?.log, row?.checkpointed, 'nothing left to copy');
  await store.close();
  const reopened = await openStore({ kind: 'sqlite', file: join(dir, 's.db'), keyHex });
  const rows = await reopened.dialect.db.selectFrom('resources').select('id').where('type', '=', 'Patient').execute();
  assert.equal(rows.length, 20, 'every acknowledged write is there after reopening');
  await reopened.close();
  const memory = await openStore({ kind: 'sqlite', file: ':memory:', keyHex: undefined });
  assert.equal(memory.dialect.durability, undefined);
  await memory.close();
});
