/**
 * Canaries: a unique string written into a psychotherapy note never appears in plain text
 * (nor base64, nor hex) in the database file, its WAL, the served node's logs, a backup, the
 * bulk `$export` files and downloads, the IPS `$summary`, search results of another caller —
 * and, when the note is labelled do-not-replicate, never on the hub's PostgreSQL database.
 *
 * `chartroom export` is the practice's own complete export (for moving the practice, exact
 * round trip): it holds the note by design, in plain NDJSON, as the command says; that is
 * asserted here so that a change of that policy is a visible decision (docs/security.md).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { DocumentReference } from '@medplum/fhirtypes';
import { DO_NOT_REPLICATE, PSYCHOTHERAPY_LABEL } from '@chartroom/core';
import { initDataDir, readKey } from '../src/data-dir.js';
import { openStore } from '../src/store/open-store.js';
import { openAuthService } from '../src/security/open-auth-service.js';
import { backupNode } from '../src/continuity/backup.js';
import { exportPractice } from '../src/continuity/practice-export.js';
import { PG_SKIP, postgresTestStore, sqliteTestStore } from './helpers/stores.js';
import { patient, replicate, syncTestNode } from './sync-kit.js';

const BIN = new URL('../bin/chartroom.js', import.meta.url).pathname;

/** The byte patterns that would betray `canary`: UTF-8, base64 at each alignment, hex. */
function patternsOf(canary: string): Buffer[] {
  const raw = Buffer.from(canary, 'utf8');
  const out = [raw, Buffer.from(raw.toString('hex'), 'latin1')];
  for (let pad = 0; pad < 3; pad++) {
    const b64 = Buffer.concat([Buffer.alloc(pad, 0x20), raw]).toString('base64');
    // Drop the characters that depend on the padding bytes or on what follows.
    const start = Math.ceil((pad * 4) / 3) + 1;
    out.push(Buffer.from(b64.slice(start, b64.length - 4), 'latin1'));
  }
  return out;
}

/** True when any pattern of `canary` occurs in `bytes`. */
function leaks(bytes: Buffer | string, canary: string): boolean {
  const b = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  return patternsOf(canary).some((p) => b.includes(p));
}

/** Every file under `dir`. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

function note(id: string, canary: string, extraLabels: { system: string; code: string }[] = []): DocumentReference {
  const text = `Session notes: ${canary}. Process material, not for the chart summary.`;
  return {
    resourceType: 'DocumentReference',
    id,
    meta: { security: [{ ...PSYCHOTHERAPY_LABEL }, ...extraLabels] },
    status: 'current',
    docStatus: 'final',
    type: { text: `Psychotherapy note ${canary}` },
    subject: { reference: 'Patient/p1' },
    author: [{ reference: 'Practitioner/pr-canary' }],
    description: canary,
    content: [{ attachment: { contentType: 'text/plain; charset=utf-8', data: Buffer.from(text).toString('base64') } }],
  };
}

test('canary: the patterns find a canary in plain, base64 and hex, and nothing else', () => {
  const canary = `canary-${randomBytes(8).toString('hex')}`;
  assert.ok(leaks(`x ${canary} y`, canary));
  for (let pad = 0; pad < 3; pad++) assert.ok(leaks(Buffer.from('ab'.slice(0, pad) + `..${canary}..`).toString('base64'), canary), `base64 at offset ${pad}`);
  assert.ok(leaks(Buffer.from(canary).toString('hex'), canary));
  assert.equal(leaks(`canary-${randomBytes(8).toString('hex')}`, canary), false);
});

test('canary: a psychotherapy note never appears in the database, WAL, logs, backup, bulk export or IPS of a served node', async () => {
  const canary = `psy-canary-${randomBytes(10).toString('hex')}`;
  const root = mkdtempSync(join(tmpdir(), 'chartroom-canary-'));
  const dd = initDataDir(join(root, 'node'));
  let authorToken: string;
  let noteId: string | undefined;
  let systemToken: string;
  {
    const key = readKey(dd);
    const store = await openStore({ kind: 'sqlite', file: dd.dbFile, keyHex: key });
    const auth = openAuthService(store, key);
    const author = await auth.accounts.add({ username: 'dr.canary', displayName: 'Dr Canary', role: 'clinician', practitionerId: 'pr-canary', password: randomBytes(18).toString('base64url') });
    const admin = await auth.accounts.add({ username: 'ops', displayName: 'Operations', role: 'admin', password: randomBytes(18).toString('base64url') });
    authorToken = (await auth.tokens.create(author.user.id, { scopes: ['user/*.*'] })).token;
    systemToken = (await auth.tokens.create(admin.user.id, { scopes: ['system/*.read'] })).token;
    await store.repo.create({ resourceType: 'Practitioner', id: 'pr-canary', name: [{ family: 'Canary' }] }, { id: 'pr-canary' });
    await store.repo.create(patient('p1', 'Canarypatient'), { id: 'p1' });
    await store.close();
  }

  const child = spawn(process.execPath, [BIN, 'serve', '--data', dd.dir, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  child.stdout.on('data', (b: Buffer) => (logs += b.toString()));
  child.stderr.on('data', (b: Buffer) => (logs += b.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  try {
    const deadline = Date.now() + 120_000;
    while (!/is running at (\S+)/.test(logs) && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const base = /is running at (\S+)/.exec(logs)?.[1];
    assert.ok(base, logs);
    const fhir = (path: string, token: string, init: RequestInit = {}): Promise<Response> =>
      fetch(`${base}/fhir/R4/${path}`, { ...init, headers: { authorization: `Bearer ${token}`, accept: 'application/fhir+json', 'content-type': 'application/fhir+json', ...(init.headers as Record<string, string> | undefined) } });

    // The author writes the note through the API; bad requests carrying the canary are answered, not logged.
    const created = await fhir('DocumentReference', authorToken, { method: 'POST', body: JSON.stringify(note('n1', canary)) });
    assert.equal(created.status, 201, await created.clone().text());
    noteId = ((await created.json()) as { id: string }).id;
    const bad = await fhir('DocumentReference', authorToken, { method: 'POST', body: `{"resourceType":"DocumentReference","status":"${canary}"` });
    assert.equal(bad.status, 400);
    assert.equal((await fhir(`DocumentReference?description=${canary}`, authorToken)).status, 200);
    assert.equal((await fhir(`DocumentReference/${noteId}`, authorToken)).status, 403, 'even the author needs a fresh second factor (step-up)');

    // Another caller (a backend service) does not get it: search, IPS summary, bulk export.
    const search = await fhir('DocumentReference?subject=Patient/p1', systemToken);
    assert.equal(search.status, 200);
    assert.equal(leaks(await search.text(), canary), false, 'search');
    const summary = await fhir('Patient/p1/$summary', systemToken);
    assert.equal(summary.status, 200);
    assert.equal(leaks(await summary.text(), canary), false, 'IPS $summary');
    const kick = await fhir('$export', systemToken, { headers: { prefer: 'respond-async' } });
    assert.equal(kick.status, 202, await kick.text());
    const poll = kick.headers.get('content-location') ?? '';
    let manifest: { output: { url: string }[] } | undefined;
    for (let i = 0; i < 600 && !manifest; i++) {
      const r = await fetch(poll, { headers: { authorization: `Bearer ${systemToken}` } });
      if (r.status === 200) manifest = (await r.json()) as { output: { url: string }[] };
      else await new Promise((res) => setTimeout(res, 100));
    }
    assert.ok(manifest && manifest.output.length > 0, 'the export finished');
    for (const o of manifest.output) {
      const r = await fetch(o.url, { headers: { authorization: `Bearer ${systemToken}` } });
      assert.equal(r.status, 200);
      assert.equal(leaks(await r.text(), canary), false, `bulk export download ${o.url}`);
    }

    // At rest while the node runs: the database file and its WAL (the note is in there).
    const wal = `${dd.dbFile}-wal`;
    assert.equal(leaks(readFileSync(dd.dbFile), canary), false, 'database file');
    if (existsSync(wal)) assert.equal(leaks(readFileSync(wal), canary), false, 'WAL');

    // An online backup.
    const backup = await backupNode(dd.dir, join(root, 'backups', 'b1.db'));
    assert.equal(leaks(readFileSync(backup.file), canary), false, 'backup');
    assert.equal(leaks(readFileSync(backup.manifestFile), canary), false, 'backup manifest');
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  try {
    assert.match(logs, /is running at/);
    assert.equal(leaks(logs, canary), false, `server logs:\n${logs}`);
    for (const f of [...filesUnder(dd.dir), ...filesUnder(join(root, 'backups'))]) assert.equal(leaks(readFileSync(f), canary), false, f);

    // The practice's own complete export holds it by design (plain NDJSON for moving the practice).
    const key = readKey(dd);
    const store = await openStore({ kind: 'sqlite', file: dd.dbFile, keyHex: key });
    try {
      assert.ok((await store.repo.readCurrent('DocumentReference', noteId ?? ''))?.json.includes(canary), 'the note was stored');
      const out = join(root, 'export');
      await exportPractice(store.dialect, out);
      assert.ok(leaks(readFileSync(join(out, 'DocumentReference.ndjson')), canary), 'chartroom export is the complete practice export');
    } finally {
      await store.close();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

/** Rows of any table of the PostgreSQL database holding a pattern of `canary` (as text; bytea shows as hex). */
async function pgRowsWith(url: string, canary: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query<{ table_schema: string; table_name: string }>(
      "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema')",
    );
    const pats = patternsOf(canary).map((p) => `%${p.toString('latin1')}%`);
    const hits: string[] = [];
    for (const t of tables.rows) {
      const name = `"${t.table_schema}"."${t.table_name}"`;
      const r = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${name} AS x WHERE ${pats.map((_, i) => `x::text LIKE $${i + 1}`).join(' OR ')}`, pats);
      if (Number(r.rows[0]?.n ?? 0) > 0) hits.push(`${name}: ${r.rows[0]?.n ?? ''} row(s)`);
    }
    return hits;
  } finally {
    await client.end();
  }
}

test('canary: a do-not-replicate psychotherapy note never reaches the hub (PostgreSQL); a labelled-only one does (control)', { skip: PG_SKIP }, async () => {
  const kept = `dnr-canary-${randomBytes(10).toString('hex')}`;
  const shared = `shared-canary-${randomBytes(10).toString('hex')}`;
  const clinic = await syncTestNode('clinic', () => sqliteTestStore());
  const hub = await syncTestNode('hub', () => postgresTestStore());
  try {
    await clinic.store.repo.create(patient('p1', 'Canarypatient'), { id: 'p1' });
    await clinic.store.repo.create(note('n-kept', kept, [{ ...DO_NOT_REPLICATE }]), { id: 'n-kept' });
    await clinic.store.repo.create(note('n-shared', shared), { id: 'n-shared' });
    await replicate(clinic, hub);
    const url = new URL(process.env.CHARTROOM_TEST_PG ?? '');
    url.pathname = `/${hub.store.databaseName ?? ''}`;
    assert.notDeepEqual(await pgRowsWith(url.toString(), shared), [], 'control: a note without the label is replicated and found by the scan');
    assert.deepEqual(await pgRowsWith(url.toString(), kept), [], 'the do-not-replicate note is nowhere in the hub database');
    assert.equal(await hub.store.repo.readCurrent('DocumentReference', 'n-kept'), undefined);
  } finally {
    await clinic.dispose();
    await hub.dispose();
  }
});
