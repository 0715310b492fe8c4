/**
 * `patient/` scopes are not supported (docs/security.md explains why): a token cannot be
 * issued with one — the refusal is precise, creates nothing and is audited — and a principal
 * that somehow carried one gets no access from it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decide } from '@chartroom/core';
import type { Principal, UserId } from '@chartroom/core';
import { initDataDir, readKey } from '../src/data-dir.js';
import { openStore } from '../src/store/open-store.js';
import { openAuthService } from '../src/security/open-auth-service.js';
import { tokenCommand } from '../src/cli/token-command.js';
import { authDb } from '../src/security/auth-tables.js';
import { auditDb } from '../src/security/audit-tables.js';

test('patient/ scopes: token creation refused with a precise message, nothing created, refusal audited; no access from such a scope', async () => {
  const root = mkdtempSync(join(tmpdir(), 'chartroom-patient-scopes-'));
  try {
    const dd = initDataDir(join(root, 'node'));
    const key = readKey(dd);
    let store = await openStore({ kind: 'sqlite', file: dd.dbFile, keyHex: key });
    const auth = openAuthService(store, key);
    const { user } = await auth.accounts.add({ username: 'dr.scope', displayName: 'Dr Scope', role: 'clinician', practitionerId: 'pr-s', password: 'a long enough passphrase 42' });
    await assert.rejects(auth.tokens.create(user.id, { scopes: ['patient/*.read'] }), /patient\/ scopes need a SMART launch context; issue user\/ or system\/ scopes/);
    await store.close();

    const errors: string[] = [];
    const error = console.error;
    console.error = (...a: unknown[]) => void errors.push(a.join(' '));
    let code: number;
    try {
      code = await tokenCommand.run(['create', '--data', dd.dir, '--user', 'dr.scope', '--scope', 'patient/Observation.read']);
    } finally {
      console.error = error;
    }
    assert.equal(code, 1);
    assert.match(errors.join('\n'), /Scope "patient\/Observation\.read": patient\/ scopes need a SMART launch context/);

    store = await openStore({ kind: 'sqlite', file: dd.dbFile, keyHex: key });
    try {
      assert.equal((await authDb(store.dialect.db).selectFrom('auth_tokens').select('id').execute()).length, 0, 'no token created');
      const events = await auditDb(store.dialect.db).selectFrom('audit_events').select(['action', 'outcome', 'content']).execute();
      assert.ok(events.some((e) => e.action === 'privilege-change' && e.outcome === 'failed' && e.content.includes('patient/ scopes')), JSON.stringify(events));
    } finally {
      await store.close();
    }

    const carrier: Principal = { kind: 'token', userId: user.id as UserId, username: 'dr.scope', role: 'clinician', practitionerId: 'pr-s', scopes: ['patient/*.read'] };
    for (const resourceType of ['Patient', 'Observation', 'DocumentReference']) {
      assert.equal(decide(carrier, { action: 'read', resourceType, patientId: 'p1' }).allowed, false, resourceType);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
