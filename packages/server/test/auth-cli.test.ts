/**
 * The account commands: `init` creates user admin with a one-time password (or the password
 * of --admin-password-file), `user add|list|disable|reset-password|set-role`, `token
 * create|list|revoke` (the token alone on the last line), and the demo users of `start`
 * (one per role, linked to the demo Practitioners, TOTP codes printable for demo users only).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openNodeAuth, setUpDemoUsers } from '../src/cli/user-command.js';
import { totpCode } from '../src/security/totp.js';

const BIN = new URL('../bin/chartroom.js', import.meta.url).pathname;

function run(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.error ? `${r.stderr}\n${r.error.message}` : r.stderr };
}

test('init creates admin with a one-time password; user and token commands', async () => {
  const root = mkdtempSync(join(tmpdir(), 'chartroom-auth-cli-'));
  const dir = join(root, 'node');
  try {
    const init = run(['init', '--data', dir]);
    assert.equal(init.code, 0, init.stderr);
    const otp = /one-time password: (\S+)/.exec(init.stdout)?.[1];
    assert.ok(otp, init.stdout);

    const add = run(['user', 'add', '--data', dir, 'Nurse.Ward', '--role', 'nurse', '--name', 'Nina Ward']);
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stdout, /Added nurse\.ward +nurse +Nina Ward/);
    const bad = run(['user', 'add', '--data', dir, 'xy', '--role', 'wizard']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Unknown role "wizard"/);

    const token = run(['token', 'create', '--data', dir, '--user', 'nurse.ward', '--scope', 'user/*.read', '--expires', '7d']);
    assert.equal(token.code, 0, token.stderr);
    const secret = token.stdout.trim().split('\n').pop() ?? '';
    assert.match(secret, /^chartroom_[A-Za-z0-9_-]{43}$/, 'the token alone on the last line');
    const refused = run(['token', 'create', '--data', dir, '--user', 'nurse.ward', '--scope', 'everything']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /not understood/);

    const { store, auth } = await openNodeAuth(dir);
    try {
      const admin = await auth.accounts.find('admin');
      assert.equal(admin.role, 'admin');
      assert.equal(admin.mustChangePassword, true);
      const login = await auth.login({ username: 'admin', password: otp });
      assert.equal(login.view.restriction, 'password-change-required');
      const who = await auth.authenticateToken(secret);
      assert.equal(who?.principal.username, 'nurse.ward');
      assert.deepEqual(who?.principal.scopes, ['user/*.read']);
      const id = (await auth.tokens.list())[0]?.id ?? '';
      await store.close();
      const list = run(['token', 'list', '--data', dir]);
      assert.equal(list.code, 0, `token list: ${list.stderr}`);
      assert.match(list.stdout, new RegExp(`${id}  nurse\\.ward +active +user/\\*\\.read`));
      assert.equal(run(['token', 'revoke', '--data', dir, id]).code, 0);
      assert.equal(run(['user', 'set-role', '--data', dir, 'nurse.ward', 'billing']).code, 0);
      const reset = run(['user', 'reset-password', '--data', dir, 'nurse.ward']);
      assert.equal(reset.code, 0, reset.stderr);
      const newOtp = reset.stdout.trim().split('\n').pop() ?? '';
      assert.equal(run(['user', 'disable', '--data', dir, 'nurse.ward']).code, 0);
      const users = run(['user', 'list', '--data', dir]);
      assert.match(users.stdout, /nurse\.ward +billing .*\[DISABLED,must-change-password\]/);
      const again = await openNodeAuth(dir);
      try {
        assert.equal(await again.auth.authenticateToken(secret), undefined, 'revoked');
        await assert.rejects(again.auth.login({ username: 'nurse.ward', password: newOtp }), /Wrong user name or password/);
      } finally {
        await again.store.close();
      }
    } finally {
      await store.close().catch(() => undefined);
    }

    // --admin-password-file, and a weak one refused (nothing created).
    const pw = join(root, 'pw');
    writeFileSync(pw, 'password1234\n');
    const weak = run(['init', '--data', join(root, 'weak'), '--admin-password-file', pw]);
    assert.notEqual(weak.code, 0);
    writeFileSync(pw, 'harbour kite velvet 9\n');
    const strong = run(['init', '--data', join(root, 'strong'), '--admin-password-file', pw]);
    assert.equal(strong.code, 0, strong.stderr);
    assert.doesNotMatch(strong.stdout, /one-time password/);
    const s = await openNodeAuth(join(root, 'strong'));
    try {
      const r = await s.auth.login({ username: 'admin', password: 'harbour kite velvet 9' });
      assert.equal(r.view.mustChangePassword, false);
    } finally {
      await s.store.close();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('demo users: one per role, linked to the demo Practitioners, MFA for admin and clinicians, codes printable for demo users', async () => {
  const root = mkdtempSync(join(tmpdir(), 'chartroom-auth-cli-'));
  const dir = join(root, 'node');
  try {
    assert.equal(run(['init', '--data', dir]).code, 0);
    const demo = run(['demo', '--data', dir, '--patients', '2']);
    assert.equal(demo.code, 0, demo.stderr);
    const sheet = await setUpDemoUsers(dir);
    assert.equal(statSync(join(dir, 'demo-users.txt')).mode & 0o077, 0, 'the sheet is private');
    assert.equal(readFileSync(join(dir, 'demo-users.txt'), 'utf8'), sheet);
    const pw = (u: string): string => new RegExp(`^  ${u.replace('.', '\\.')} +(\\S+)`, 'm').exec(sheet)?.[1] ?? '';
    for (const u of ['dr.okafor', 'dr.herrera', 'j.lindqvist', 'nurse', 'frontdesk', 'billing']) assert.ok(pw(u), `${u} on the sheet`);
    assert.match(sheet, /otpauth:\/\/totp\/Chartroom:dr\.okafor/);

    const code = run(['user', 'totp-code', '--data', dir, 'dr.okafor']);
    assert.equal(code.code, 0, code.stderr);
    assert.match(code.stdout.trim(), /^\d{6}$/);
    const notDemo = run(['user', 'totp-code', '--data', dir, 'admin']);
    assert.equal(notDemo.code, 1, 'admin of init is not a demo user');

    const { store, auth } = await openNodeAuth(dir);
    try {
      const users = await auth.accounts.list();
      const roles = new Set(users.map((u) => u.role));
      assert.deepEqual([...roles].sort(), ['admin', 'billing', 'clinician', 'front-desk', 'nurse']);
      for (const u of users.filter((x) => x.role === 'clinician' || x.role === 'nurse' || x.role === 'front-desk')) {
        assert.ok(u.practitionerId, `${u.username} is linked to a Practitioner`);
        assert.ok(await store.repo.readCurrent('Practitioner', u.practitionerId), 'that exists');
      }
      const okafor = users.find((u) => u.username === 'dr.okafor');
      assert.equal(okafor?.mfaEnrolled, true);
      const secret = /otpauth:\/\/totp\/Chartroom:dr\.okafor\?\S*secret=([A-Z2-7]+)/.exec(sheet)?.[1] ?? '';
      const r = await auth.login({ username: 'dr.okafor', password: pw('dr.okafor'), code: totpCode(secret, Date.now()) });
      assert.equal(r.view.user.practitionerId, okafor?.practitionerId);
      assert.equal(r.view.restriction, undefined);
      const nurse = await auth.login({ username: 'nurse', password: pw('nurse') });
      assert.equal(nurse.view.user.role, 'nurse');
    } finally {
      await store.close();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
