/**
 * The authentication routes and hook over HTTP (inject), on both stores: 401 without
 * credentials, sign-in and session cookie attributes, identical answers for unknown user and
 * wrong password, CSRF (token and Origin), no state change over GET, idle expiry with a fake
 * clock, disabling ends sessions, first-login password change, MFA enrolment and sign-in,
 * bearer token scopes, security headers, the admin API.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { STORE_KINDS } from './helpers/stores.js';
import { assertOutcome, assertUnchanged, fhirTestApp } from './helpers/fhir-app.js';
import type { FhirReply, FhirTestApp } from './helpers/fhir-app.js';
import { totpCode } from '../src/security/totp.js';
import { CONTENT_SECURITY_POLICY } from '../src/http/authenticate.js';

const GOOD = 'tulip lantern orbit 77';
const ORIGIN = 'http://localhost';

function fakeClock(start = Date.UTC(2026, 10, 25, 9, 0, 0)): { now(): number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

function cookiesOf(reply: FhirReply): Record<string, string> {
  const raw = reply.headers['set-cookie'];
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [String(raw)];
  return Object.fromEntries(list.map((c) => [c.slice(0, c.indexOf('=')), c]));
}

/** A browser-like session: signs in, then sends the cookie and the CSRF token. */
async function signIn(t: FhirTestApp, username: string, password: string, extra: Record<string, unknown> = {}): Promise<{ reply: FhirReply; cookie: string; csrf: string; send: (method: string, url: string, body?: unknown, headers?: Record<string, string>) => Promise<FhirReply> }> {
  const reply = await t.request('POST', '/api/session', { as: null, body: { username, password, ...extra }, headers: { host: 'localhost', 'content-type': 'application/json' } });
  const set = cookiesOf(reply).chartroom_session ?? '';
  const cookie = set.split(';')[0] ?? '';
  const csrf = String(reply.body?.csrfToken ?? '');
  const send = (method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<FhirReply> =>
    t.request(method, url, { as: null, ...(body !== undefined ? { body } : {}), headers: { host: 'localhost', cookie, 'x-csrf-token': csrf, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers } });
  return { reply, cookie, csrf, send };
}

for (const kind of STORE_KINDS) {
  describe(`authentication over HTTP on ${kind.name}`, { skip: kind.skip }, () => {
    const open = async (clock = fakeClock()): Promise<{ t: FhirTestApp; clock: ReturnType<typeof fakeClock> }> => {
      const t = await fhirTestApp(kind.open, {}, { authClock: clock });
      return { t, clock };
    };

    test('FHIR and /api need credentials: 401 OperationOutcome; metadata, healthz and sign-in are public', async () => {
      const { t } = await open();
      try {
        assertOutcome(await t.call('GET', 'Patient', { as: null }), 401, { code: 'login' });
        assertOutcome(await t.request('GET', '/api/session', { as: null }), 401);
        assertOutcome(await t.request('GET', '/api/sessions', { as: null }), 401);
        assertOutcome(await t.call('GET', 'Patient', { as: 'chartroom_not-a-real-token-at-all-000000000000' }), 401);
        assertOutcome(await t.call('GET', 'Patient', { as: null, headers: { authorization: 'Basic abc' } }), 401);
        assert.equal((await t.call('GET', 'metadata', { as: null })).status, 200);
        assert.equal((await t.request('GET', '/healthz', { as: null })).status, 200);
        assert.equal((await t.call('GET', 'Patient')).status, 200, 'the helper token works');
        await assertUnchanged(t, async () => {
          assertOutcome(await t.call('POST', 'Patient', { as: null, body: { resourceType: 'Patient' } }), 401);
        });
      } finally {
        await t.dispose();
      }
    });

    test('sign-in: cookie attributes, body of the contract, same answer for unknown user and wrong password', async () => {
      const { t } = await open();
      try {
        await t.auth.accounts.add({ username: 'frontdesk', displayName: 'Marisol Peña', role: 'front-desk', password: GOOD });
        const s = await signIn(t, 'frontdesk', GOOD);
        assert.equal(s.reply.status, 200, s.reply.text);
        assert.deepEqual(Object.keys(s.reply.body).sort(), ['csrfToken', 'mfaEnrolled', 'mustChangePassword', 'user']);
        assert.equal((s.reply.body.user as { role: string }).role, 'front-desk');
        const set = cookiesOf(s.reply).chartroom_session ?? '';
        assert.match(set, /HttpOnly/);
        assert.match(set, /SameSite=Strict/);
        assert.doesNotMatch(set, /Secure/, 'Secure is relaxed for loopback HTTP only');
        const lan = await t.request('POST', '/api/session', { as: null, body: { username: 'frontdesk', password: GOOD }, headers: { host: 'chartroom.clinic.example' } });
        assert.match(cookiesOf(lan).chartroom_session ?? '', /; Secure/, 'Secure for any other host');
        assert.match(cookiesOf(lan).chartroom_device ?? '', /HttpOnly; SameSite=Strict; Secure/);
        assert.ok((s.cookie.split('=')[1] ?? '').length >= 43, 'a 256-bit token');
        const me = await s.send('GET', '/api/session');
        assert.equal(me.status, 200);
        assert.equal(me.body.csrfToken, s.csrf);
        const s2 = await signIn(t, 'frontdesk', GOOD);
        assert.notEqual(s2.cookie, s.cookie, 'a new token at every sign-in');

        const wrong = await signIn(t, 'frontdesk', 'tulip lantern orbit 78');
        const unknown = await signIn(t, 'no-such-user', GOOD);
        assert.equal(wrong.reply.status, 401);
        assert.equal(unknown.reply.status, 401);
        assert.equal(wrong.reply.text, unknown.reply.text, 'identical bodies');
        assert.deepEqual(Object.keys(cookiesOf(wrong.reply)), []);
        assertOutcome(await t.request('POST', '/api/session', { as: null, body: { username: 'frontdesk' } }), 400);
      } finally {
        await t.dispose();
      }
    });

    test('CSRF: a state change without the token or from a foreign origin is refused and changes nothing; bearer calls need no token', async () => {
      const { t } = await open();
      try {
        await t.auth.accounts.add({ username: 'nurse', role: 'nurse', password: GOOD });
        const s = await signIn(t, 'nurse', GOOD);
        const before = await t.auth.sessions.list((s.reply.body.user as { id: string }).id);
        assertOutcome(await s.send('DELETE', '/api/session', undefined, { 'x-csrf-token': 'forged' }), 403, { code: 'forbidden' });
        assertOutcome(await s.send('DELETE', '/api/session', undefined, { origin: 'https://evil.example' }), 403);
        const noToken = await t.request('DELETE', '/api/session', { as: null, headers: { host: 'localhost', cookie: s.cookie } });
        assertOutcome(noToken, 403);
        await assertUnchanged(t, async () => {
          assertOutcome(await t.call('POST', 'Patient', { as: null, body: { resourceType: 'Patient' }, headers: { host: 'localhost', cookie: s.cookie } }), 403);
        });
        assert.equal((await t.auth.sessions.list((s.reply.body.user as { id: string }).id)).length, before.length, 'the session was not ended');
        // A sign-in posted from another site is refused too.
        const cross = await t.request('POST', '/api/session', { as: null, body: { username: 'nurse', password: GOOD }, headers: { host: 'localhost', origin: 'https://evil.example' } });
        assertOutcome(cross, 403);
        // Same origin with the token works.
        const out = await s.send('DELETE', '/api/session', undefined, { origin: ORIGIN });
        assert.equal(out.status, 200, out.text);
        assertOutcome(await s.send('GET', '/api/session'), 401);
      } finally {
        await t.dispose();
      }
    });

    test('no state change over GET: sign-out, password change and admin actions exist only as POST/DELETE', async () => {
      const { t } = await open();
      try {
        const admin = await t.actAs('admin');
        const { user } = await t.auth.accounts.add({ username: 'billing', role: 'billing', password: GOOD });
        const s = await signIn(t, 'billing', GOOD);
        for (const url of ['/api/session/unlock', '/api/account/password', '/api/account/mfa/enrol', `/api/admin/users/${user.id}/disable`, `/api/admin/users/${user.id}/reset-password`]) {
          const r = await admin.request('GET', url);
          assert.equal(r.status, 404, `GET ${url}: ${r.status}`);
        }
        assert.equal((await s.send('GET', '/api/session')).status, 200, 'the session still works');
        assert.equal((await t.auth.accounts.get(user.id)).disabled, false);
      } finally {
        await t.dispose();
      }
    });

    test('idle timeout (fake clock), unlock, and listing and ending one\'s sessions', async () => {
      const { t, clock } = await open();
      try {
        await t.auth.accounts.add({ username: 'billing', role: 'billing', password: GOOD });
        const a = await signIn(t, 'billing', GOOD);
        const b = await signIn(t, 'billing', GOOD);
        const list = await a.send('GET', '/api/sessions');
        const sessions = list.body.sessions as { id: string; current: boolean }[];
        assert.equal(sessions.length, 2);
        const other = sessions.find((x) => !x.current);
        assert.ok(other);
        assertOutcome(await a.send('DELETE', '/api/sessions/not-mine'), 404);
        assert.equal((await a.send('DELETE', `/api/sessions/${other.id}`)).status, 200);
        assertOutcome(await b.send('GET', '/api/session'), 401);

        clock.advance(10 * 60_000);
        assertOutcome(await a.send('POST', '/api/session/unlock', { password: 'wrong password here' }), 401);
        assert.equal((await a.send('POST', '/api/session/unlock', { password: GOOD })).status, 200);
        clock.advance(14 * 60_000);
        assert.equal((await a.send('GET', '/api/session')).status, 200, 'unlock moved the idle deadline');
        clock.advance(15 * 60_000);
        assertOutcome(await a.send('GET', '/api/session'), 401);
      } finally {
        await t.dispose();
      }
    });

    test('disabling a user (admin API) ends their sessions and tokens at once', async () => {
      const { t } = await open();
      try {
        const admin = await t.actAs('admin');
        const nurse = await t.actAs('nurse', { username: 'nurse.ward' });
        await t.auth.accounts.setPassword(nurse.userId, GOOD);
        const s = await signIn(t, 'nurse.ward', GOOD);
        assert.equal((await s.send('GET', '/api/session')).status, 200);
        assert.equal((await nurse.call('GET', 'Patient')).status, 200);
        const r = await admin.request('POST', `/api/admin/users/${nurse.userId}/disable`);
        assert.equal(r.status, 200, r.text);
        assert.equal(r.body.disabled, true);
        assertOutcome(await s.send('GET', '/api/session'), 401);
        assertOutcome(await nurse.call('GET', 'Patient'), 401);
        assert.equal((await signIn(t, 'nurse.ward', GOOD)).reply.status, 401);
      } finally {
        await t.dispose();
      }
    });

    test('admin API: add, list, role, reset password (forced change at first sign-in); non-admins refused', async () => {
      const { t } = await open();
      try {
        const admin = await t.actAs('admin');
        const clinician = await t.actAs('clinician');
        assertOutcome(await clinician.request('GET', '/api/admin/users'), 403);
        const added = await admin.request('POST', '/api/admin/users', { body: { username: 'dr.lindqvist', displayName: 'Jonas Lindqvist', role: 'billing' } });
        assert.equal(added.status, 201, added.text);
        const otp = String(added.body.oneTimePassword);
        const id = (added.body.user as { id: string }).id;
        assertOutcome(await admin.request('POST', '/api/admin/users', { body: { username: 'dr.lindqvist', role: 'nurse' } }), 409);
        assertOutcome(await admin.request('POST', `/api/admin/users/${id}/role`, { body: { role: 'wizard' } }), 400);
        assert.equal((await admin.request('POST', `/api/admin/users/${id}/role`, { body: { role: 'nurse' } })).body.role, 'nurse');
        const users = (await admin.request('GET', '/api/admin/users')).body.users as { username: string }[];
        assert.ok(users.some((u) => u.username === 'dr.lindqvist'));

        const first = await signIn(t, 'dr.lindqvist', otp);
        assert.equal(first.reply.status, 200);
        assert.equal(first.reply.body.restriction, 'password-change-required');
        const blocked = await first.send('GET', '/api/sessions?x=1');
        assert.equal(blocked.status, 200, 'own sessions may be listed');
        assertOutcome(await first.send('GET', '/fhir/R4/Patient'), 403);
        assertOutcome(await first.send('POST', '/api/account/password', { currentPassword: otp, newPassword: 'short' }), 400, { expression: 'newPassword' });
        const changed = await first.send('POST', '/api/account/password', { currentPassword: otp, newPassword: GOOD });
        assert.equal(changed.status, 200, changed.text);
        assert.equal(changed.body.restriction, undefined);
        assert.equal((await first.send('GET', '/fhir/R4/Patient')).status, 200);

        const reset = await admin.request('POST', `/api/admin/users/${id}/reset-password`);
        assert.equal(reset.status, 200);
        assertOutcome(await first.send('GET', '/api/session'), 401, {});
        assert.equal((await signIn(t, 'dr.lindqvist', GOOD)).reply.status, 401, 'the old password is gone');
      } finally {
        await t.dispose();
      }
    });

    test('MFA: clinicians must enrol; enrol with QR, verify, then sign-in needs the code (mfa-required); step-up', async () => {
      const { t, clock } = await open();
      try {
        await t.auth.accounts.add({ username: 'dr.okafor', role: 'clinician', password: GOOD, practitionerId: 'prac-1' });
        const s = await signIn(t, 'dr.okafor', GOOD);
        assert.equal(s.reply.body.restriction, 'mfa-enrolment-required');
        assert.equal(s.reply.body.mfaEnrolled, false);
        assertOutcome(await s.send('GET', '/fhir/R4/Patient'), 403);
        const enrol = await s.send('POST', '/api/account/mfa/enrol');
        assert.equal(enrol.status, 200, enrol.text);
        assert.match(String(enrol.body.qrDataUrl), /^data:image\/png;base64,/);
        const secret = String(enrol.body.secret);
        assertOutcome(await s.send('POST', '/api/account/mfa/verify', { code: '123456' }), 400);
        const ok = await s.send('POST', '/api/account/mfa/verify', { code: totpCode(secret, clock.now()) });
        assert.equal(ok.status, 200, ok.text);
        assert.equal((ok.body.recoveryCodes as string[]).length, 10);
        assert.equal((await s.send('GET', '/fhir/R4/Patient')).status, 200, 'enrolled: the restriction is gone');

        const need = await signIn(t, 'dr.okafor', GOOD);
        const oo = assertOutcome(need.reply, 401);
        assert.equal(oo.issue[0]?.details?.coding?.[0]?.code, 'mfa-required');
        clock.advance(30_000);
        const full = await signIn(t, 'dr.okafor', GOOD, { code: totpCode(secret, clock.now()) });
        assert.equal(full.reply.status, 200, full.reply.text);
        assert.equal((full.reply.body.user as { practitionerId: string }).practitionerId, 'prac-1');
        clock.advance(30_000);
        const up = await full.send('POST', '/api/session/step-up', { code: totpCode(secret, clock.now()) });
        assert.equal(up.status, 200, up.text);
        assertOutcome(await full.send('POST', '/api/session/step-up', { code: totpCode(secret, clock.now()) }), 401);
      } finally {
        await t.dispose();
      }
    });

    test('bearer token scopes: read-only tokens cannot write; type scopes limit types; transactions checked per entry', async () => {
      const { t } = await open();
      try {
        const reader = await t.actAs('clinician', { scopes: ['user/*.read'] });
        const patientWriter = await t.actAs('clinician', { scopes: ['user/Patient.write', 'user/Patient.read'] });
        assert.equal((await reader.call('GET', 'Observation')).status, 200);
        await assertUnchanged(t, async () => {
          assertOutcome(await reader.call('POST', 'Patient', { body: { resourceType: 'Patient' } }), 403, { diagnostics: /scopes/ });
          assertOutcome(await patientWriter.call('POST', 'Observation', { body: { resourceType: 'Observation', status: 'final', code: { text: 'x' } } }), 403);
          assertOutcome(await patientWriter.call('GET', 'Observation'), 403);
          const bundle = {
            resourceType: 'Bundle',
            type: 'transaction',
            entry: [
              { resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Patient' } },
              { resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' } }, request: { method: 'POST', url: 'Observation' } },
            ],
          };
          assertOutcome(await patientWriter.call('POST', '', { body: bundle }), 403);
        });
        assert.equal((await patientWriter.call('POST', 'Patient', { body: { resourceType: 'Patient' } })).status, 201);
        assert.equal((await reader.call('POST', 'Patient/_search', { payload: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status, 200, 'POST _search is a read');
        assertOutcome(await reader.request('GET', '/api/admin/users'), 403);
      } finally {
        await t.dispose();
      }
    });

    test('security headers on every response; no-store on /fhir and /api', async () => {
      const { t } = await open();
      try {
        for (const r of [await t.call('GET', 'metadata', { as: null }), await t.call('GET', 'Patient'), await t.request('GET', '/api/session', { as: null }), await t.request('GET', '/healthz', { as: null }), await t.request('GET', '/', { as: null })]) {
          assert.equal(r.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
          assert.equal(r.headers['x-content-type-options'], 'nosniff');
          assert.equal(r.headers['referrer-policy'], 'no-referrer');
          assert.equal(r.headers['strict-transport-security'], undefined, 'no HSTS over plain HTTP');
        }
        assert.equal((await t.call('GET', 'Patient')).headers['cache-control'], 'no-store');
        assert.equal((await t.request('GET', '/api/session', { as: null })).headers['cache-control'], 'no-store');
        assert.match(CONTENT_SECURITY_POLICY, /frame-ancestors 'none'/);
        assert.doesNotMatch(CONTENT_SECURITY_POLICY, /https?:/, 'nothing from third parties');
      } finally {
        await t.dispose();
      }
    });
  });
}
