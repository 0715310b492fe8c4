/**
 * `chartroom rekey`: after it, the node's data (chart resources, attachments, accounts) opens
 * with the new key and not with the old; sealed credentials still work; secrets hashed under
 * the old key are ended; the old key is kept (0600) beside the new one; the command refuses
 * while another connection holds the database, resumes after a crash, and encrypts a
 * database that was not encrypted.
 */
import { captureConsole } from './helpers/console-capture.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3-multiple-ciphers';
import { initDataDir, readKey } from '../src/data-dir.js';
import type { DataDir } from '../src/data-dir.js';
import { isPlaintextSqlite, openStore } from '../src/store/open-store.js';
import { WrongKeyError, openSqliteDatabase } from '../src/store/sqlite-dialect.js';
import { openAuthService } from '../src/security/open-auth-service.js';
import { totpCode } from '../src/security/totp.js';
import { DatabaseInUseError, rekeyDataDir } from '../src/security/rekey.js';
import { rekeyCommand } from '../src/cli/rekey-command.js';
import { auditDb } from '../src/security/audit-tables.js';
import { verifyAuditTrail } from '../src/security/audit-verify.js';
import { authDb } from '../src/security/auth-tables.js';
import { credentialCrypto } from '../src/security/credential-crypto.js';
import { backupNode } from '../src/continuity/backup.js';
import { verifyTarget } from '../src/continuity/verify.js';

const CANARY = 'rekey-canary-7f3a91c2-psychotherapy';
const NEW_KEY = 'ab'.repeat(32);
const PASSWORD = 'correct horse battery staple 42';

/** True when `keyHex` opens the file (false for a wrong key). */
function opensWith(file: string, keyHex: string): boolean {
  try {
    const db = openSqliteDatabase({ file, keyHex });
    db.close();
    return true;
  } catch (err) {
    if (err instanceof WrongKeyError) return false;
    throw err;
  }
}

async function seed(dd: DataDir): Promise<{ tokenSecret: string; sessionToken: string; totpSecret: string }> {
  const key = readKey(dd);
  const store = await openStore({ kind: 'sqlite', file: dd.dbFile, keyHex: key });
  try {
    await store.repo.create({ resourceType: 'Patient', name: [{ family: 'Rekey' }] }, { id: 'p1' });
    await store.repo.create({ resourceType: 'Binary', contentType: 'text/plain', data: Buffer.from(`attachment ${CANARY}`).toString('base64') }, { id: 'b1' });
    const auth = openAuthService(store, key);
    const { user } = await auth.accounts.add({ username: 'dr.rekey', displayName: 'Dr Rekey', role: 'clinician', practitionerId: 'pr-1', password: PASSWORD });
    const enrol = await auth.enrolTotp(user.id);
    await auth.confirmTotp(user.id, totpCode(enrol.secret, Date.now()));
    const { token: sessionToken } = await auth.sessions.create(user.id, {});
    const { token: tokenSecret } = await auth.tokens.create(user.id, { scopes: ['user/*.read'] });
    return { tokenSecret, sessionToken, totpSecret: enrol.secret };
  } finally {
    await store.close();
  }
}

test('rekey: data readable with the new key only; credentials re-sealed; hashed secrets ended; old key kept', async () => {
  const root = mkdtempSync(join(tmpdir(), 'chartroom-rekey-'));
  try {
    const dd = initDataDir(join(root, 'node'));
    const oldKey = readKey(dd);
    const { tokenSecret, sessionToken, totpSecret } = await seed(dd);

    // Refused while another connection (a running server) holds the database; nothing changes.
    const server = await openStore({ kind: 'sqlite', file: dd.dbFile, keyHex: oldKey });
    await server.repo.readCurrent('Patient', 'p1');
    await assert.rejects(rekeyDataDir(dd.dir, { newKeyHex: NEW_KEY }), DatabaseInUseError);
    assert.equal(readKey(dd), oldKey, 'key file unchanged');
    assert.ok(!existsSync(`${dd.keyFile}.new`), 'no pending key left behind');
    await server.close();
    assert.ok(opensWith(dd.dbFile, oldKey));

    const before = await backupNode(dd.dir, join(root, 'backups', 'before.db'));

    const now = new Date('2026-11-25T15:30:00Z');
    const r = await rekeyDataDir(dd.dir, { newKeyHex: NEW_KEY, now });
    assert.deepEqual(r.databases, [{ file: dd.dbFile, was: 'encrypted' }]);
    assert.equal(readFileSync(dd.keyFile, 'utf8').trim(), NEW_KEY);
    assert.equal(statSync(dd.keyFile).mode & 0o777, 0o600);
    assert.equal(r.oldKeyFile, `${dd.keyFile}.old-20261125T153000Z`);
    assert.equal(readFileSync(r.oldKeyFile, 'utf8').trim(), oldKey);
    assert.equal(statSync(r.oldKeyFile).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(dd.dir).filter((f) => f.endsWith('.new')), []);
    // A backup taken before still verifies with the kept old key, and says so when given the new one.
    assert.equal((await verifyTarget(before.file, { keyFile: r.oldKeyFile })).ok, true);
    const withNew = await verifyTarget(before.file);
    assert.equal(withNew.ok, false);
    assert.match(withNew.checks.find((c) => c.name === 'key')?.detail ?? '', /wrong key file/);

    assert.equal(opensWith(dd.dbFile, oldKey), false, 'the old key no longer opens the database');
    assert.equal(opensWith(dd.dbFile, NEW_KEY), true);
    for (const f of readdirSync(dd.dir)) if (f.startsWith('chartroom.db')) assert.ok(!readFileSync(join(dd.dir, f)).includes(CANARY), `${f} has no plain text`);

    const store = await openStore({ kind: 'sqlite', file: dd.dbFile, keyHex: readKey(dd) });
    try {
      assert.equal((await store.repo.readCurrent('Patient', 'p1'))?.deleted, false);
      const bin = await store.repo.readCurrent('Binary', 'b1');
      assert.match(Buffer.from((JSON.parse(bin?.json ?? '{}') as { data?: string }).data ?? '', 'base64').toString(), new RegExp(CANARY), 'attachment readable');

      const auth = openAuthService(store, NEW_KEY);
      const login = await auth.login({ username: 'dr.rekey', password: PASSWORD, code: totpCode(totpSecret, Date.now() + 30_000) });
      assert.ok(login.sessionToken, 'password hash and TOTP seed re-sealed under the new key');
      assert.equal(await auth.authenticateSession(sessionToken), undefined, 'old sessions ended');
      assert.equal(await auth.authenticateToken(tokenSecret), undefined, 'old API tokens revoked');
      const token = await authDb(store.dialect.db).selectFrom('auth_tokens').select('revoked_at').executeTakeFirstOrThrow();
      assert.equal(token.revoked_at, now.getTime());
      assert.equal((await authDb(store.dialect.db).selectFrom('auth_recovery_codes').select('user_id').execute()).length, 0);
      assert.equal(r.credentials.resealed, 2);
      assert.equal(r.credentials.tokensRevoked, 1);
      assert.ok(r.credentials.sessionsEnded >= 1);
      assert.deepEqual(r.credentials.usersWithRecoveryCodes, ['dr.rekey']);
      const sealed = await authDb(store.dialect.db).selectFrom('auth_users').select(['password_hash', 'totp_secret']).where('username', '=', 'dr.rekey').executeTakeFirstOrThrow();
      assert.throws(() => credentialCrypto(oldKey).open(sealed.password_hash), 'the old key no longer opens the sealed password hash');
      assert.throws(() => credentialCrypto(oldKey).open(sealed.totp_secret ?? ''), 'nor the TOTP seed');

      const events = await auditDb(store.dialect.db).selectFrom('audit_events').select(['action', 'severity', 'content']).execute();
      const keyEvent = events.find((e) => e.content.includes('database key replaced'));
      assert.equal(keyEvent?.action, 'privilege-change');
      assert.equal(keyEvent?.severity, 'high');
      assert.equal((await verifyAuditTrail(store.dialect.db)).ok, true);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('rekey resumes after a crash between the database and the key file', async () => {
  const root = mkdtempSync(join(tmpdir(), 'chartroom-rekey-resume-'));
  try {
    const dd = initDataDir(join(root, 'node'));
    const oldKey = readKey(dd);
    await seed(dd);
    // The crash: the new key was written to .new and the database rekeyed, nothing more.
    writeFileSync(`${dd.keyFile}.new`, NEW_KEY + '\n', { mode: 0o600 });
    const raw = new Database(dd.dbFile);
    raw.pragma(`cipher='sqlcipher'`);
    raw.pragma('legacy=4');
    raw.pragma(`key="x'${oldKey}'"`);
    raw.pragma('journal_mode = DELETE');
    raw.pragma(`rekey="x'${NEW_KEY}'"`);
    raw.pragma('journal_mode = WAL');
    raw.close();
    assert.equal(opensWith(dd.dbFile, readKey(dd)), false, 'the key file no longer opens the database');

    const r = await rekeyDataDir(dd.dir);
    assert.deepEqual(r.databases.map((d) => d.was), ['already-rekeyed']);
    assert.equal(readKey(dd), NEW_KEY, 'the pending key was used, not a fresh one');
    assert.equal(r.credentials.resealed, 2, 'credentials still sealed under the old key were re-sealed');
    const store = await openStore({ kind: 'sqlite', file: dd.dbFile, keyHex: NEW_KEY });
    try {
      const row = await authDb(store.dialect.db).selectFrom('auth_users').select(['password_hash', 'totp_secret']).where('username', '=', 'dr.rekey').executeTakeFirstOrThrow();
      assert.match(credentialCrypto(NEW_KEY).open(row.password_hash), /^\$argon2id\$/);
      assert.throws(() => credentialCrypto(oldKey).open(row.password_hash));
      assert.doesNotThrow(() => credentialCrypto(NEW_KEY).open(row.totp_secret ?? ''));
    } finally {
      await store.close();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('rekey encrypts a database that was not encrypted; the command prints what it did and refuses bad input', async () => {
  const root = mkdtempSync(join(tmpdir(), 'chartroom-rekey-plain-'));
  try {
    const dd = initDataDir(join(root, 'node'));
    const plain = await openStore({ kind: 'sqlite', file: dd.dbFile, keyHex: undefined });
    await plain.repo.create({ resourceType: 'Patient', name: [{ family: CANARY }] }, { id: 'p1' });
    await plain.close();
    assert.equal(isPlaintextSqlite(dd.dbFile), true);

    const { code, out } = await captureConsole(() => rekeyCommand.run(['--data', dd.dir]));
    assert.equal(code, 0);
    assert.match(out, /Encrypted \(was NOT encrypted\): .*chartroom\.db/);
    assert.match(out, /Old key kept as .*chartroom\.key\.old-\d{8}T\d{6}Z/);
    assert.equal(isPlaintextSqlite(dd.dbFile), false);
    assert.ok(!readFileSync(dd.dbFile).includes(CANARY));
    const store = await openStore({ kind: 'sqlite', file: dd.dbFile, keyHex: readKey(dd) });
    assert.equal((await store.repo.readCurrent('Patient', 'p1'))?.deleted, false);
    await store.close();

    await assert.rejects(rekeyCommand.run([]), /needs --data DIR/);
    await assert.rejects(rekeyCommand.run(['--data', dd.dir, '--store', 'mysql://x']), /--store must be a postgres:\/\/ URL/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
