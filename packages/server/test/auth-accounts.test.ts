/**
 * Accounts and authentication services on both stores: users, password policy and hashing,
 * sign-in answers, throttling with a fake clock, sessions' idle and absolute expiry,
 * disabling, TOTP enrolment and single use, recovery codes, API tokens.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { OutcomeError } from '@chartroom/core';
import { STORE_KINDS } from './helpers/stores.js';
import type { TestStore } from './helpers/stores.js';
import { openAuthService } from '../src/security/open-auth-service.js';
import type { AuthEvent, AuthService } from '../src/security/auth-service.js';
import { ARGON2_PARAMS, hashPassword, needsRehash, verifyPassword } from '../src/security/password-hash.js';
import { passwordProblem } from '../src/security/password-policy.js';
import { totpCode } from '../src/security/totp.js';
import { afterFailure, THROTTLE_LIMITS } from '../src/security/login-throttle.js';
import { authDb } from '../src/security/auth-tables.js';

/** A clock tests move by hand. */
function fakeClock(start = Date.UTC(2026, 10, 25, 9, 0, 0)): { now(): number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

async function rejects(p: Promise<unknown>, status: number, pattern?: RegExp): Promise<OutcomeError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof OutcomeError, `an OutcomeError, got ${String(err)}`);
    assert.equal(err.status, status, err.message);
    if (pattern) assert.match(err.message, pattern);
    return err;
  }
  assert.fail(`expected a ${status} rejection`);
}

const GOOD = 'correct horse battery staple 42';

describe('password policy and hashing', () => {
  test('length 12 minimum, no composition rules, common and derived passwords refused', () => {
    assert.match(passwordProblem('short pw') ?? '', /at least 12/);
    assert.equal(passwordProblem('plain lower case words'), undefined, 'no composition rules');
    assert.match(passwordProblem('password1234') ?? '', /common/);
    assert.match(passwordProblem('Password1234!') ?? '', /common/);
    assert.match(passwordProblem('aaaaaaaaaaaaaaa') ?? '', /repeats/);
    assert.match(passwordProblem('abababababab') ?? '', /repeats/);
    assert.match(passwordProblem('qwertyuiopasdf') ?? '', /run of keys/);
    assert.match(passwordProblem('dr.okafor-is-my-password', { username: 'dr.okafor' }) ?? '', /user name/);
  });

  test('argon2id with OWASP parameters; rehash when the parameters rise', async () => {
    const h = await hashPassword(GOOD);
    assert.match(h, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.ok(ARGON2_PARAMS.memoryCost >= 19 * 1024 && ARGON2_PARAMS.timeCost >= 2);
    assert.equal(await verifyPassword(h, GOOD), true);
    assert.equal(await verifyPassword(h, GOOD + 'x'), false);
    assert.equal(needsRehash(h), false);
    const weak = await hashPassword(GOOD, { memoryCost: 4096, timeCost: 1, parallelism: 1 });
    assert.equal(needsRehash(weak), true);
    assert.equal(needsRehash('not a hash'), true);
  });

  test('throttle decision: free failures, doubling delay, cap, and at most 100 failures an hour', () => {
    const L = THROTTLE_LIMITS.u;
    let c: ReturnType<typeof afterFailure> | undefined;
    let t = 0;
    let failures = 0;
    // An attacker who tries again the moment he is allowed, for an hour.
    while (t < 3_600_000) {
      c = afterFailure(c, t, L);
      failures++;
      t = Math.max(t + 1, c.blocked_until);
    }
    assert.ok(failures <= 100, `failures in an hour: ${failures}`);
    assert.ok(failures > L.freeFailures);
  });
});

for (const kind of STORE_KINDS) {
  describe(`auth services on ${kind.name}`, { skip: kind.skip }, () => {
    let store: TestStore;
    let auth: AuthService;
    let clock: ReturnType<typeof fakeClock>;
    const fresh = async (): Promise<void> => {
      store = await kind.open();
      clock = fakeClock();
      auth = openAuthService(store, randomBytes(32).toString('hex'), { clock });
    };

    test('users: add, unique names, never-reused ids, list, role, disable; secrets sealed in their columns', async () => {
      await fresh();
      try {
        const { user, oneTimePassword } = await auth.accounts.add({ username: 'Dr.Okafor', displayName: 'Dr. Amara Okafor', role: 'clinician', practitionerId: 'p-1' });
        assert.equal(user.username, 'dr.okafor');
        assert.equal(user.mustChangePassword, true);
        assert.ok(oneTimePassword && oneTimePassword.length >= 16);
        await rejects(auth.accounts.add({ username: 'dr.okafor', role: 'nurse', password: GOOD }), 409, /taken/);
        await rejects(auth.accounts.add({ username: 'x y', role: 'nurse', password: GOOD }), 400, /not valid/);
        await rejects(auth.accounts.add({ username: 'nurse1', role: 'surgeon' as never, password: GOOD }), 400, /Unknown role/);
        await rejects(auth.accounts.add({ username: 'nurse1', role: 'nurse', password: 'password1234' }), 400, /common/);
        assert.equal((await auth.accounts.list()).length, 1, 'refused adds changed nothing');
        const b = await auth.accounts.add({ username: 'nurse1', role: 'nurse', password: GOOD });
        assert.notEqual(b.user.id, user.id);
        await auth.accounts.disable(b.user.id);
        await rejects(auth.accounts.add({ username: 'nurse1', role: 'nurse', password: GOOD }), 409, /taken/);
        assert.equal((await auth.accounts.setRole(user.id, 'admin')).role, 'admin');
        const raw = await authDb(store.dialect.db).selectFrom('auth_users').selectAll().execute();
        for (const r of raw) {
          assert.doesNotMatch(r.password_hash, /argon2/, 'password hashes are sealed');
          assert.match(r.password_hash, /^v1\./);
        }
      } finally {
        await store.dispose();
      }
    });

    test('sign-in: unknown user, wrong password and disabled user get the same answer', async () => {
      await fresh();
      try {
        const { user } = await auth.accounts.add({ username: 'frontdesk', role: 'front-desk', password: GOOD });
        const ok = await auth.login({ username: 'FrontDesk', password: GOOD, address: '10.0.0.1' });
        assert.equal(ok.view.user.username, 'frontdesk');
        assert.ok(ok.sessionToken.length >= 43, '256-bit token');
        const a = await rejects(auth.login({ username: 'frontdesk', password: GOOD + '!', address: '10.0.0.1' }), 401);
        const b = await rejects(auth.login({ username: 'nobody', password: GOOD, address: '10.0.0.1' }), 401);
        await auth.accounts.disable(user.id);
        const c = await rejects(auth.login({ username: 'frontdesk', password: GOOD, address: '10.0.0.1' }), 401);
        assert.deepEqual(a.outcome, b.outcome);
        assert.deepEqual(b.outcome, c.outcome);
        assert.equal(await auth.authenticateSession(ok.sessionToken), undefined, 'disabling ended the session');
      } finally {
        await store.dispose();
      }
    });

    test('brute force: 200 guesses are throttled; the real user on a trusted device still signs in', async () => {
      await fresh();
      try {
        await auth.accounts.add({ username: 'billing', role: 'billing', password: GOOD });
        const first = await auth.login({ username: 'billing', password: GOOD, address: '10.0.0.5' });
        const device = first.newDeviceToken;
        assert.ok(device);
        let wrong = 0;
        let throttled = 0;
        for (let i = 0; i < 200; i++) {
          try {
            await auth.login({ username: 'billing', password: `guess number ${i} xx`, address: '203.0.113.9' });
            assert.fail('a guess succeeded');
          } catch (err) {
            assert.ok(err instanceof OutcomeError);
            if (err.status === 429) throttled++;
            else if (err.status === 401) wrong++;
            else throw err;
          }
          clock.advance(1_000);
        }
        assert.ok(wrong <= 100, `password checks in the 200 s: ${wrong}`);
        assert.ok(wrong >= THROTTLE_LIMITS.u.freeFailures);
        assert.ok(throttled >= 100, `throttled answers: ${throttled}`);
        // Even the right password from the attacker's side is throttled now.
        await rejects(auth.login({ username: 'billing', password: GOOD, address: '203.0.113.9' }), 429);
        // The real user, on the device she used before, gets in at once.
        const real = await auth.login({ username: 'billing', password: GOOD, address: '10.0.0.5', deviceToken: device });
        assert.equal(real.view.user.username, 'billing');
        // Unknown users are throttled alike (no enumeration through 429s).
        for (let i = 0; i < 6; i++) await rejects(auth.login({ username: 'ghost', password: `guess ${i} abcdefgh`, address: `198.51.100.${i}` }), 401);
        await rejects(auth.login({ username: 'ghost', password: 'another guess zz', address: '198.51.100.99' }), 429);
      } finally {
        await store.dispose();
      }
    });

    test('sessions: idle timeout 15 min, absolute 12 h, end one, list, end all', async () => {
      await fresh();
      try {
        await auth.accounts.add({ username: 'nurse', role: 'nurse', password: GOOD });
        const s1 = await auth.login({ username: 'nurse', password: GOOD, address: '10.0.0.2' });
        clock.advance(14 * 60_000);
        assert.ok(await auth.authenticateSession(s1.sessionToken), 'active after 14 min');
        clock.advance(14 * 60_000);
        assert.ok(await auth.authenticateSession(s1.sessionToken), 'activity moved the idle deadline');
        clock.advance(15 * 60_000);
        assert.equal(await auth.authenticateSession(s1.sessionToken), undefined, 'idle for 15 min: ended');
        clock.advance(1);
        assert.equal(await auth.authenticateSession(s1.sessionToken), undefined, 'stays ended');

        const s2 = await auth.login({ username: 'nurse', password: GOOD, address: '10.0.0.2' });
        for (let i = 0; i < 12 * 6 - 1; i++) {
          clock.advance(10 * 60_000);
          assert.ok(await auth.authenticateSession(s2.sessionToken), `active at ${(i + 1) * 10} min`);
        }
        clock.advance(10 * 60_000);
        assert.equal(await auth.authenticateSession(s2.sessionToken), undefined, 'absolute lifetime of 12 h');

        const a = await auth.login({ username: 'nurse', password: GOOD });
        const b = await auth.login({ username: 'nurse', password: GOOD });
        assert.notEqual(a.sessionToken, b.sessionToken, 'new token at every sign-in');
        const who = (await auth.authenticateSession(a.sessionToken))?.principal;
        assert.equal(who?.kind, 'session');
        assert.equal(who?.role, 'nurse');
        const listed = await auth.sessions.list(who?.userId as string);
        assert.deepEqual(listed.map((s) => s.id).sort(), [a.sessionId, b.sessionId].sort());
        await auth.sessions.end(b.sessionId, 'logout');
        assert.equal(await auth.authenticateSession(b.sessionToken), undefined);
        assert.ok(await auth.authenticateSession(a.sessionToken));
        assert.equal(await auth.sessions.endAll(who?.userId as string, 'test'), 1);
        assert.equal(await auth.authenticateSession(a.sessionToken), undefined);
      } finally {
        await store.dispose();
      }
    });

    test('TOTP: enrol, confirm, mfa-required, single-use codes, recovery codes, rehash on sign-in', async () => {
      await fresh();
      try {
        const { user } = await auth.accounts.add({ username: 'dr.herrera', role: 'clinician', password: GOOD });
        const before = await auth.login({ username: 'dr.herrera', password: GOOD });
        assert.equal(before.view.restriction, 'mfa-enrolment-required', 'clinicians must enrol MFA');
        const enrol = await auth.enrolTotp(user.id);
        assert.match(enrol.otpauthUri, /^otpauth:\/\/totp\/Chartroom:dr\.herrera\?/);
        assert.match(enrol.qrDataUrl, /^data:image\/png;base64,/);
        await rejects(auth.confirmTotp(user.id, '000000'), 400);
        const { recoveryCodes } = await auth.confirmTotp(user.id, totpCode(enrol.secret, clock.now()));
        assert.equal(recoveryCodes.length, 10);

        const e = await rejects(auth.login({ username: 'dr.herrera', password: GOOD }), 401);
        assert.equal(e.outcome.issue[0]?.details?.coding?.[0]?.code, 'mfa-required');
        // The code just used to confirm cannot be used again.
        await rejects(auth.login({ username: 'dr.herrera', password: GOOD, code: totpCode(enrol.secret, clock.now()) }), 401);
        clock.advance(30_000);
        const code = totpCode(enrol.secret, clock.now());
        const ok = await auth.login({ username: 'dr.herrera', password: GOOD, code });
        assert.equal(ok.view.restriction, undefined);
        assert.equal(ok.view.mfaEnrolled, true);
        assert.equal((await auth.authenticateSession(ok.sessionToken))?.principal.mfaAt, clock.now());
        await rejects(auth.login({ username: 'dr.herrera', password: GOOD, code }), 401, /already used/);
        const rc = recoveryCodes[0] as string;
        assert.ok(await auth.login({ username: 'dr.herrera', password: GOOD, code: rc.toUpperCase() }));
        await rejects(auth.login({ username: 'dr.herrera', password: GOOD, code: rc }), 401);
        await rejects(auth.login({ username: 'dr.herrera', password: 'wrong password!!', code: totpCode(enrol.secret, clock.now() + 30_000) }), 401, /Wrong user name or password/);
      } finally {
        await store.dispose();
      }
    });

    test('rehash: a hash made with weaker parameters is replaced at sign-in', async () => {
      store = await kind.open();
      clock = fakeClock();
      const key = randomBytes(32).toString('hex');
      const weak = openAuthService(store, key, { clock, settings: { argon2: { memoryCost: 4096, timeCost: 1, parallelism: 1 } } });
      try {
        const { user } = await weak.accounts.add({ username: 'billing2', role: 'billing', password: GOOD });
        const strong = openAuthService(store, key, { clock });
        await strong.login({ username: 'billing2', password: GOOD });
        const row = await strong.accounts.row(user.id);
        const { credentialCrypto } = await import('../src/security/credential-crypto.js');
        assert.match(credentialCrypto(key).open(row?.password_hash ?? ''), /m=19456,t=2,p=1/);
      } finally {
        await store.dispose();
      }
    });

    test('events for the audit trail: sign-in success, failure, mfa-required, throttled; account changes', async () => {
      store = await kind.open();
      clock = fakeClock();
      const events: AuthEvent[] = [];
      const svc = openAuthService(store, randomBytes(32).toString('hex'), { clock, onEvent: (e) => events.push(e) });
      try {
        const { user } = await svc.accounts.add({ username: 'front2', role: 'front-desk', password: GOOD });
        await svc.login({ username: 'front2', password: GOOD, address: '10.0.0.7' });
        for (let i = 0; i < 6; i++) await svc.login({ username: 'front2', password: `wrong guess ${i} zz`, address: '10.0.0.8' }).catch(() => undefined);
        await svc.login({ username: 'front2', password: GOOD, address: '10.0.0.8' }).catch(() => undefined);
        await svc.accounts.setRole(user.id, 'billing');
        await svc.accounts.disable(user.id);
        const logins = events.filter((e) => e.type === 'login').map((e) => (e.type === 'login' ? e.outcome : ''));
        assert.deepEqual(logins, ['success', 'failure', 'failure', 'failure', 'failure', 'failure', 'failure', 'throttled']);
        const first = events.find((e) => e.type === 'login');
        assert.equal(first?.type === 'login' ? first.address : '', '10.0.0.7');
        const changes = events.filter((e) => e.type === 'account').map((e) => (e.type === 'account' ? e.change : ''));
        assert.deepEqual(changes, ['added', 'role-changed', 'disabled']);
      } finally {
        await store.dispose();
      }
    });

    test('API tokens: scopes checked at creation, expiry, revocation, disabled user', async () => {
      await fresh();
      try {
        const { user } = await auth.accounts.add({ username: 'script', role: 'clinician', password: GOOD });
        await rejects(auth.tokens.create(user.id, { scopes: ['everything'] }), 400, /not understood/);
        const { token, info } = await auth.tokens.create(user.id, { scopes: ['user/*.read', 'user/Patient.write'], lifetimeMs: 60_000 });
        const who = await auth.authenticateToken(token);
        assert.deepEqual(who?.principal.scopes, ['user/*.read', 'user/Patient.write']);
        assert.equal(who?.principal.kind, 'token');
        clock.advance(60_000);
        assert.equal(await auth.authenticateToken(token), undefined, 'expired');
        const t2 = await auth.tokens.create(user.id, { scopes: ['system/*.*'] });
        assert.ok(await auth.authenticateToken(t2.token));
        await auth.tokens.revoke(t2.info.id);
        assert.equal(await auth.authenticateToken(t2.token), undefined, 'revoked');
        const t3 = await auth.tokens.create(user.id, { scopes: ['system/*.*'] });
        await auth.accounts.disable(user.id);
        assert.equal(await auth.authenticateToken(t3.token), undefined, 'user disabled');
        assert.equal((await auth.tokens.list(user.id)).length, 3);
        assert.ok(info.expiresAt);
        const raw = await authDb(store.dialect.db).selectFrom('auth_tokens').select('token_hash').execute();
        assert.ok(raw.every((r) => !token.includes(r.token_hash) && r.token_hash !== token));
      } finally {
        await store.dispose();
      }
    });
  });
}
