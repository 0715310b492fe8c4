/**
 * Authorisation and audit over HTTP: psychotherapy notes stay with their author (search,
 * read, $everything, _revinclude, history), step-up, break-the-glass, default deny of app
 * routes, IDOR on patient-scoped routes, AuditEvent writes refused, audit events for reads,
 * searches and writes, the audit report API, and the psychotherapy canary in the files.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AuditEvent, Bundle, DocumentReference, Observation } from '@medplum/fhirtypes';
import { PSYCHOTHERAPY_LABEL, RESTRICTED_CONFIDENTIALITY } from '@chartroom/core';
import type { Principal, UserId } from '@chartroom/core';
import { openStore } from '../src/store/open-store.js';
import { AuditLog } from '../src/security/audit-log.js';
import { ephemeralSigner } from '../src/security/audit-signing.js';
import { BreakGlassService } from '../src/security/break-glass.js';
import { auditDb } from '../src/security/audit-tables.js';
import { auditEventOfRecord } from '../src/security/audit-event.js';
import { authorizeResource, routeAccess } from '../src/http/authorize.js';
import { STEP_UP_CODE } from '../src/fhir/access-control.js';
import { fhirTestApp } from './helpers/fhir-app.js';
import type { FhirReply, FhirTestApp } from './helpers/fhir-app.js';
import type { TestStore } from './helpers/stores.js';

const CANARY = `canary-${randomBytes(8).toString('hex')}-psychotherapy`;
const MIN = 60_000;

function note(id: string, patient: string, author: string, text: string, psychotherapy: boolean): DocumentReference {
  return {
    resourceType: 'DocumentReference',
    id,
    status: 'current',
    subject: { reference: `Patient/${patient}` },
    author: [{ reference: `Practitioner/${author}` }],
    description: text,
    content: [{ attachment: { contentType: 'text/plain', data: Buffer.from(text).toString('base64') } }],
    ...(psychotherapy ? { meta: { security: [{ ...PSYCHOTHERAPY_LABEL }, { ...RESTRICTED_CONFIDENTIALITY }] } } : {}),
  };
}

describe('authorisation and audit over HTTP', () => {
  let dir: string;
  let store: TestStore;
  let audit: AuditLog;
  let breakGlass: BreakGlassService;
  let t: FhirTestApp;
  let bgNow = Date.now();
  const principals = new Map<string, Principal>();

  /** Sends a request as one of the test principals (authenticated by the app's own token, then acting as that principal). */
  const as = (who: string, method: string, path: string, body?: unknown): Promise<FhirReply> =>
    (path.startsWith('/') ? t.request : t.call)(method, path, { headers: { 'x-test-as': who }, ...(body !== undefined ? { body } : {}) });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'chartroom-audit-'));
    const opened = await openStore({ kind: 'sqlite', file: join(dir, 'chartroom.db'), keyHex: randomBytes(32).toString('hex') });
    store = { ...opened, dispose: async () => opened.close() };
    audit = await AuditLog.open({ db: store.dialect.db, writes: store.writes, nodeId: 'node-a', signer: ephemeralSigner(), flushMs: 5 });
    breakGlass = await BreakGlassService.open({
      db: store.dialect.db,
      writes: store.writes,
      nodeId: 'node-a',
      audit,
      clock: { now: () => bgNow },
      patientExists: async (id) => (await store.repo.readCurrent('Patient', id)) !== undefined,
    });
    t = await fhirTestApp(async () => store, { audit, breakGlass });
    // After authentication (the app's own token), act as the principal the test names.
    t.app.addHook('onRequest', async (req) => {
      const who = req.headers['x-test-as'];
      const p = typeof who === 'string' ? principals.get(who) : undefined;
      if (p) req.principal = { ...p, address: req.ip };
    });
    // A route that declares no access rule (default deny), and a patient-scoped one that loads a resource (IDOR).
    t.app.get('/api/test/undeclared', async () => ({ leaked: true }));
    t.app.get<{ Params: { id: string; obsId: string } }>(
      '/api/test/patients/:id/observations/:obsId',
      routeAccess({ action: 'read', resourceType: 'Observation', patientParam: 'id' }),
      async (req) => {
        const obs = JSON.parse((await store.repo.read('Observation', req.params.obsId)).json) as Observation;
        authorizeResource(req, 'read', obs);
        return { observation: obs.id };
      },
    );
    t.app.get<{ Params: { id: string } }>('/api/test/patients/:id/letter/pdf', routeAccess({ action: 'read', resourceType: 'DocumentReference', patientParam: 'id' }), async () => ({ pdf: 'JVBERi0=' }));
    const now = Date.now();
    const session = (id: string, role: Principal['role'], extra: Partial<Principal> = {}): Principal => ({ kind: 'session', userId: id as UserId, username: id, role, mfaAt: now, ...extra });
    principals.set('drA', session('dr-a-user', 'clinician', { practitionerId: 'dr-a' }));
    principals.set('drAstale', session('dr-a-user', 'clinician', { practitionerId: 'dr-a', mfaAt: now - 20 * MIN }));
    principals.set('drB', session('dr-b-user', 'clinician', { practitionerId: 'dr-b' }));
    principals.set('nurse', session('nurse-user', 'nurse'));
    principals.set('desk', session('desk-user', 'front-desk'));
    principals.set('admin', session('admin-user', 'admin'));

    await store.repo.importMany([
      { resourceType: 'Patient', id: 'p1', name: [{ family: 'One' }] },
      { resourceType: 'Patient', id: 'p2', name: [{ family: 'Two' }] },
      { resourceType: 'Practitioner', id: 'dr-a' },
      { resourceType: 'Practitioner', id: 'dr-b' },
      { resourceType: 'Observation', id: 'o1', status: 'final', code: { text: 'weight' }, subject: { reference: 'Patient/p1' } },
      note('psyA', 'p1', 'dr-a', `Psychotherapy session. ${CANARY}`, true),
      note('psyB', 'p1', 'dr-b', 'Psychotherapy session by B.', true),
      note('plain', 'p1', 'dr-b', 'Office visit.', false),
    ]);
  });

  after(async () => {
    await t.app.close();
    await audit.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const ids = (b: FhirReply): string[] =>
    ((b.body as unknown as Bundle).entry ?? []).filter((e) => e.search?.mode !== 'outcome').map((e) => `${e.resource?.resourceType}/${e.resource?.id}`).sort();
  const withheld = (b: FhirReply): string | undefined =>
    ((b.body as unknown as Bundle).entry ?? []).find((e) => e.search?.mode === 'outcome')?.resource && JSON.stringify((b.body as unknown as Bundle).entry?.find((e) => e.search?.mode === 'outcome')?.resource);

  it('FHIR search by another clinician never returns someone else\'s psychotherapy note, and says how many it withheld', async () => {
    const b = await as('drB', 'GET', 'DocumentReference?subject=Patient/p1&_total=accurate');
    assert.equal(b.status, 200, b.text);
    assert.deepEqual(ids(b), ['DocumentReference/plain', 'DocumentReference/psyB']);
    assert.equal((b.body as unknown as Bundle).total, 2, 'the total counts only what the caller may see');
    assert.match(withheld(b) ?? '', /1 resource was withheld by the access policy/);
    assert.ok(!b.text.includes(CANARY));
    const a = await as('drA', 'GET', 'DocumentReference?subject=Patient/p1');
    assert.deepEqual(ids(a), ['DocumentReference/plain', 'DocumentReference/psyA']);
    const n = await as('nurse', 'GET', 'DocumentReference?subject=Patient/p1');
    assert.deepEqual(ids(n), ['DocumentReference/plain'], 'nurses see the chart minus psychotherapy notes');
    assert.match(withheld(n) ?? '', /2 resources were withheld/);
    const stale = await as('drAstale', 'GET', 'DocumentReference?subject=Patient/p1');
    assert.deepEqual(ids(stale), ['DocumentReference/plain'], 'the author too needs a fresh second factor (and psyB is not theirs)');
  });

  it('$everything, _revinclude and history drop the note as well', async () => {
    const e = await as('drB', 'GET', 'Patient/p1/$everything');
    assert.equal(e.status, 200, e.text);
    assert.ok(ids(e).includes('Observation/o1') && ids(e).includes('DocumentReference/psyB'));
    assert.ok(!ids(e).includes('DocumentReference/psyA'));
    assert.ok(!e.text.includes(CANARY));
    const r = await as('drB', 'GET', 'Patient?_id=p1&_revinclude=DocumentReference:subject');
    assert.ok(ids(r).includes('Patient/p1') && !ids(r).includes('DocumentReference/psyA'));
    const h = await as('drB', 'GET', 'DocumentReference/psyA/_history');
    assert.equal(h.status, 200);
    assert.ok(!h.text.includes(CANARY));
    const sys = await as('drB', 'GET', '_history');
    assert.ok(!sys.text.includes(CANARY));
  });

  it('reading a restricted note is a 403 OperationOutcome; the author with a stale second factor is asked to step up', async () => {
    const r = await as('drB', 'GET', 'DocumentReference/psyA');
    assert.equal(r.status, 403, r.text);
    assert.equal(r.body.resourceType, 'OperationOutcome');
    assert.ok(!r.text.includes(CANARY));
    const v = await as('nurse', 'GET', `DocumentReference/psyA/_history/${JSON.parse((await store.repo.read('DocumentReference', 'psyA')).json).meta.versionId}`);
    assert.equal(v.status, 403, 'vread too');
    const s = await as('drAstale', 'GET', 'DocumentReference/psyA');
    assert.equal(s.status, 403);
    assert.match(s.text, new RegExp(STEP_UP_CODE));
    const ok = await as('drA', 'GET', 'DocumentReference/psyA');
    assert.equal(ok.status, 200);
    assert.ok(ok.text.includes(CANARY));
    assert.equal((await as('desk', 'GET', 'DocumentReference?subject=Patient/p1')).status, 403, 'front desk does not search notes');
    assert.equal((await as('desk', 'GET', 'Patient/p1')).status, 200, 'but sees demographics');
    assert.equal((await as('admin', 'GET', 'Observation/o1')).status, 403, 'admin sees no clinical data');
  });

  it('writes are decided on the resource: others cannot change or delete the note; nobody writes AuditEvent', async () => {
    const before = await t.snapshot();
    assert.equal((await as('drB', 'PUT', 'DocumentReference/psyA', note('psyA', 'p1', 'dr-a', 'changed', true))).status, 403);
    assert.equal((await as('drB', 'PUT', 'DocumentReference/psyA', note('psyA', 'p1', 'dr-b', 'taken over', false))).status, 403, 'cannot take the note over by relabelling it');
    assert.equal((await as('drB', 'DELETE', 'DocumentReference/psyA')).status, 403);
    const ae: AuditEvent = { resourceType: 'AuditEvent', type: { code: 'rest' }, recorded: '2026-01-01T00:00:00Z', agent: [{ requestor: true }], source: { observer: { display: 'x' } } };
    assert.equal((await as('admin', 'POST', 'AuditEvent', ae)).status, 403);
    assert.equal((await t.call('POST', 'AuditEvent', { body: ae })).status, 403, 'not even a full-access token');
    const tx = await as('drB', 'POST', '', { resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'DELETE', url: 'DocumentReference/psyA' } }] });
    assert.equal(tx.status, 403, 'inside a transaction too');
    assert.deepEqual(await t.snapshot(), before, 'nothing changed');
  });

  it('app routes: a route without an access rule is refused; a patient-scoped route refuses another patient\'s ids (IDOR)', async () => {
    const u = await as('admin', 'GET', '/api/test/undeclared');
    assert.equal(u.status, 403);
    assert.match(u.text, /declares no access rule/);
    assert.ok(!u.text.includes('leaked'));
    assert.equal((await as('drB', 'GET', '/api/test/patients/p1/observations/o1')).status, 200);
    const idor = await as('drB', 'GET', '/api/test/patients/p2/observations/o1');
    assert.equal(idor.status, 403);
    assert.match(idor.text, /not in the compartment of Patient\/p2/);
    assert.equal((await as('desk', 'GET', '/api/test/patients/p1/observations/o1')).status, 403, 'front desk reads no observations');
    assert.equal((await t.request('GET', '/api/test/patients/p1/observations/o1', { as: null })).status, 401, 'no credentials');
  });

  it('break-the-glass: reason required, group only, opens the note for a time, audited at high severity, listed for review', async () => {
    assert.equal((await as('drB', 'POST', '/api/break-glass', { patientId: 'p1', reason: 'urgent' })).status, 400, 'a real reason');
    assert.equal((await as('desk', 'POST', '/api/break-glass', { patientId: 'p1', reason: 'patient collapsed in waiting room' })).status, 403);
    assert.equal((await as('drB', 'POST', '/api/break-glass', { patientId: 'nobody', reason: 'patient collapsed in waiting room' })).status, 404);
    const g = await as('drB', 'POST', '/api/break-glass', { patientId: 'p1', reason: 'suicidal ideation reported in ED, need therapy history' });
    assert.equal(g.status, 201, g.text);
    const r = await as('drB', 'GET', 'DocumentReference/psyA');
    assert.equal(r.status, 200, r.text);
    const list = await as('admin', 'GET', '/api/break-glass');
    assert.equal(list.status, 200);
    const grants = list.body.grants as { username: string; patientId: string; active: boolean; reason: string }[];
    assert.equal(grants.length, 1);
    assert.deepEqual([grants[0]?.username, grants[0]?.patientId, grants[0]?.active], ['dr-b-user', 'p1', true]);
    assert.equal((await as('drB', 'GET', '/api/break-glass')).status, 403, 'the review list is for the privacy officer');
    await audit.flush();
    const events = await auditDb(store.dialect.db).selectFrom('audit_events').selectAll().where('user_id', '=', 'dr-b-user').where('severity', '=', 'high').execute();
    assert.ok(events.some((e) => e.action === 'break-glass' && e.outcome === 'success' && e.purpose === 'BTG'), 'the grant');
    assert.ok(events.some((e) => e.action === 'read' && e.resource === 'DocumentReference/psyA' && e.purpose === 'BTG'), 'the read it allowed');
    bgNow += 61 * MIN;
    assert.equal((await as('drB', 'GET', 'DocumentReference/psyA')).status, 403, 'time-boxed');
  });

  it('reads, searches (with the patients returned) and writes are audited; the report API is admin-only and sortable', async () => {
    await as('nurse', 'GET', 'Observation?subject=Patient/p1');
    await as('nurse', 'GET', 'Patient/p2');
    const c = await as('nurse', 'POST', 'Observation', { resourceType: 'Observation', status: 'final', code: { text: 'pulse' }, subject: { reference: 'Patient/p2' } });
    assert.equal(c.status, 201);
    await audit.flush();
    const rows = await auditDb(store.dialect.db).selectFrom('audit_events').selectAll().where('user_id', '=', 'nurse-user').orderBy('seq').execute();
    const search = rows.find((r) => r.action === 'search' && r.content.includes('Observation?subject=Patient'));
    assert.ok(search, 'search audited');
    assert.deepEqual(auditEventOfRecord(search.content, 'node-a', Number(search.seq)).entity?.filter((e) => e.role?.code === '1').map((e) => e.what?.reference), ['Patient/p1'], 'with the patients it returned');
    assert.ok(rows.some((r) => r.action === 'read' && r.resource === 'Patient/p2'));
    assert.ok(rows.some((r) => r.action === 'create' && r.resource === `Observation/${String(c.body.id)}`));
    assert.ok(rows.every((r) => r.address === '127.0.0.1'), 'network address');
    assert.equal((await as('drB', 'GET', '/api/test/patients/p2/letter/pdf')).status, 200);
    await audit.flush();
    const printed = await auditDb(store.dialect.db).selectFrom('audit_events').selectAll().where('user_id', '=', 'dr-b-user').where('action', '=', 'print').execute();
    assert.equal(printed.length, 1, 'a PDF of patient data is audited as a print (a disclosure)');
    const disclosures = await as('admin', 'GET', '/api/audit?patient=p2&disclosures=true');
    assert.deepEqual((disclosures.body.rows as { action: string }[]).map((r) => r.action), ['print']);
    const rep = await as('admin', 'GET', '/api/audit?patient=p2&sort=-time');
    assert.equal(rep.status, 200, rep.text);
    const got = rep.body.rows as { action: string; user: string; time: string }[];
    assert.ok(got.some((r) => r.action === 'create' && r.user === 'nurse-user'));
    assert.deepEqual(got.map((r) => r.time), [...got.map((r) => r.time)].sort().reverse());
    assert.equal((await as('drB', 'GET', '/api/audit?patient=p2')).status, 403);
    assert.equal((await as('admin', 'GET', '/api/audit?patient=p2&sort=secret')).status, 400);
    const v = await as('admin', 'GET', '/api/audit/verify');
    assert.equal(v.status, 200);
    assert.equal(v.body.ok, true, v.text);
  });

  it('sign-in, failed sign-in and sign-out are audited, without the password', async () => {
    const password = `Correct horse ${randomBytes(6).toString('hex')}`;
    await t.auth.accounts.add({ username: 'desk.login', displayName: 'Desk Login', role: 'front-desk', password });
    const bad = await t.request('POST', '/api/session', { as: null, body: { username: 'desk.login', password: 'wrong password 123' } });
    assert.equal(bad.status, 401, bad.text);
    const good = await t.request('POST', '/api/session', { as: null, body: { username: 'desk.login', password } });
    assert.equal(good.status, 200, good.text);
    const cookie = String(good.headers['set-cookie'] ?? '').split(';')[0] ?? '';
    const out = await t.request('DELETE', '/api/session', { as: null, headers: { cookie, 'x-csrf-token': String(good.body.csrfToken) } });
    assert.ok(out.status < 300, out.text);
    await audit.flush();
    const rows = await auditDb(store.dialect.db).selectFrom('audit_events').selectAll().where('username', '=', 'desk.login').orderBy('seq').execute();
    assert.deepEqual(rows.map((r) => [r.action, r.outcome]), [['login-failed', 'failed'], ['login', 'success'], ['logout', 'success']]);
    assert.ok(rows.every((r) => !r.content.includes(password) && !r.content.includes('wrong password')), 'no password in the trail');
  });

  it('canary: the psychotherapy note\'s text never appears in plain text (or base64) in the database files or WAL', async () => {
    await audit.flush();
    await store.repo.withTransaction(async () => undefined);
    const needles = [CANARY, Buffer.from(`Psychotherapy session. ${CANARY}`).toString('base64').slice(0, 24)];
    const files = readdirSync(dir);
    assert.ok(files.includes('chartroom.db'));
    for (const f of files) {
      const bytes = readFileSync(join(dir, f));
      for (const n of needles) assert.equal(bytes.indexOf(Buffer.from(n)), -1, `${f} does not contain ${n}`);
    }
    const leaked = await auditDb(store.dialect.db).selectFrom('audit_events').select('seq').where('content', 'like', `%${CANARY}%`).execute();
    assert.equal(leaked.length, 0, 'audit events name resources, never their content');
  });
});
