/**
 * SMART App Launch (standalone, public client, PKCE S256): discovery, consent for the
 * signed-in user, CSRF on the decision, single-use codes bound to client, redirect URI and
 * verifier, and an access token limited to the granted scopes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { assertOutcome, fhirTestApp } from './helpers/fhir-app.js';
import type { FhirReply, FhirTestApp } from './helpers/fhir-app.js';
import { s256 } from '../src/security/smart-launch.js';

const APP = { clientId: 'growth-chart', name: 'Growth Chart', redirectUris: ['https://apps.example/callback'] };
const GOOD = 'meadow copper signal 5';

function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

async function session(t: FhirTestApp): Promise<{ cookie: string; csrf: string }> {
  await t.auth.accounts.add({ username: 'nurse', role: 'nurse', password: GOOD });
  const r = await t.request('POST', '/api/session', { as: null, body: { username: 'nurse', password: GOOD }, headers: { host: 'localhost' } });
  assert.equal(r.status, 200, r.text);
  const set = [r.headers['set-cookie']].flat().map(String).find((c) => c.startsWith('chartroom_session=')) ?? '';
  return { cookie: set.split(';')[0] ?? '', csrf: String(r.body.csrfToken) };
}

test('SMART standalone launch with PKCE: consent, code, token, scopes', async () => {
  const t = await fhirTestApp(undefined, { smartApps: [APP] });
  try {
    const conf = await t.request('GET', '/.well-known/smart-configuration', { as: null });
    assert.equal(conf.status, 200);
    assert.deepEqual(conf.body.code_challenge_methods_supported, ['S256']);
    assert.match(String(conf.body.authorization_endpoint), /\/oauth\/authorize$/);
    assert.match(String(conf.body.token_endpoint), /\/oauth\/token$/);

    const { cookie, csrf } = await session(t);
    const verifier = randomBytes(32).toString('base64url');
    const ask = { response_type: 'code', client_id: APP.clientId, redirect_uri: APP.redirectUris[0] as string, scope: 'launch/patient openid user/*.read', state: 'st-1', code_challenge: s256(verifier), code_challenge_method: 'S256' };
    const url = `/oauth/authorize?${form(ask)}`;
    const anonymous = await t.request('GET', url, { as: null });
    assert.equal(anonymous.status, 401);
    const badRedirect = await t.request('GET', `/oauth/authorize?${form({ ...ask, redirect_uri: 'https://evil.example/cb' })}`, { as: null, headers: { cookie } });
    assert.equal(badRedirect.status, 400);
    assert.equal(badRedirect.headers.location, undefined, 'never redirects to an unregistered URI');
    const noPkce = await t.request('GET', `/oauth/authorize?${form({ ...ask, code_challenge_method: 'plain' })}`, { as: null, headers: { cookie } });
    assert.equal(noPkce.status, 400);

    const consent = await t.request('GET', url, { as: null, headers: { cookie } });
    assert.equal(consent.status, 200, consent.text);
    assert.match(consent.text, /Growth Chart/);
    assert.match(String(consent.headers['content-security-policy']), /form-action 'self' https:\/\/apps\.example/);

    const decide = (fields: Record<string, string>, headers: Record<string, string> = {}): Promise<FhirReply> =>
      t.request('POST', '/oauth/authorize', { as: null, payload: form({ ...ask, ...fields }), headers: { cookie, host: 'localhost', 'content-type': 'application/x-www-form-urlencoded', ...headers } });
    assertOutcome(await decide({ decision: 'allow', csrf: 'forged' }), 403);
    assertOutcome(await decide({ decision: 'allow', csrf }, { origin: 'https://evil.example' }), 403);
    const denied = await decide({ decision: 'deny', csrf });
    assert.equal(denied.status, 302);
    assert.match(String(denied.headers.location), /^https:\/\/apps\.example\/callback\?error=access_denied&state=st-1$/);

    const codeOf = async (): Promise<string> => {
      const r = await decide({ decision: 'allow', csrf });
      assert.equal(r.status, 302, r.text);
      const loc = new URL(String(r.headers.location));
      assert.equal(loc.searchParams.get('state'), 'st-1');
      return loc.searchParams.get('code') ?? '';
    };
    const exchange = (code: string, v: string): Promise<FhirReply> =>
      t.request('POST', '/oauth/token', { as: null, payload: form({ grant_type: 'authorization_code', code, redirect_uri: APP.redirectUris[0] as string, client_id: APP.clientId, code_verifier: v }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });

    const code1 = await codeOf();
    const wrong = await exchange(code1, randomBytes(32).toString('base64url'));
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.error, 'invalid_grant');
    assert.equal((await exchange(code1, verifier)).body.error, 'invalid_grant', 'a code is used once, even by a failed attempt');

    const code2 = await codeOf();
    const ok = await exchange(code2, verifier);
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.token_type, 'Bearer');
    assert.equal(ok.body.scope, 'user/*.read');
    const token = String(ok.body.access_token);
    assert.equal((await exchange(code2, verifier)).body.error, 'invalid_grant', 'single use');
    assert.equal((await t.call('GET', 'Patient', { as: token })).status, 200);
    assertOutcome(await t.call('POST', 'Patient', { as: token, body: { resourceType: 'Patient' } }), 403);
  } finally {
    await t.dispose();
  }
});
