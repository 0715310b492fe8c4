/**
 * `chartroom verify --resources`: every current resource is validated as a write is today,
 * so data stored before a rule was added (here a code outside its required value set) is
 * found before a peer refuses it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { initDataDir } from '../src/data-dir.js';
import { openDataStore } from '../src/cli/open-data-store.js';
import { verifyTarget } from '../src/continuity/verify.js';

const BIN = new URL('../bin/chartroom.js', import.meta.url).pathname;

function run(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 180_000 }, (err, stdout) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout });
    });
  });
}

test('verify --resources names the stored resources that today’s validation refuses; without it the check is not run', { timeout: 300_000 }, async () => {
  const root = mkdtempSync(join(tmpdir(), 'chartroom-verify-res-'));
  try {
    const dd = initDataDir(join(root, 'node'));
    const store = await openDataStore(dd.dir);
    let badId: string;
    try {
      await store.repo.create({ resourceType: 'Patient', gender: 'female', name: [{ family: 'Valid' }] });
      const bad = await store.repo.create({ resourceType: 'Patient', gender: 'male', name: [{ family: 'Old' }] });
      badId = bad.id;
      // As an earlier version would have stored it: the same row and revision, gender outside the value set.
      const content = bad.json.replace('"gender":"male"', '"gender":"robot"');
      assert.notEqual(content, bad.json);
      await sql`UPDATE resources SET content = ${content} WHERE type = 'Patient' AND id = ${badId}`.execute(store.dialect.db);
      await sql`UPDATE revisions SET content = ${content} WHERE rev = ${bad.rev}`.execute(store.dialect.db);
    } finally {
      await store.close();
    }

    const plain = await verifyTarget(dd.dir);
    assert.equal(plain.checks.find((c) => c.name === 'resource validation'), undefined);
    assert.ok(plain.ok, JSON.stringify(plain.checks));

    const full = await verifyTarget(dd.dir, { resources: true });
    const check = full.checks.find((c) => c.name === 'resource validation');
    assert.equal(check?.status, 'problem');
    assert.match(check?.detail ?? '', new RegExp(`^1 of 2 current resources fail .*Patient/${badId}: Patient\\.gender: "robot" is not a code of the required value set`));
    assert.equal(full.ok, false);

    const cli = await run(['verify', dd.dir, '--resources']);
    assert.equal(cli.code, 1, cli.stdout);
    assert.match(cli.stdout, /resource validation: 1 of 2 current resources fail/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
