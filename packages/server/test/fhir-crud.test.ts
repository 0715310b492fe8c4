/**
 * Create, conditional create, read, update, delete and version headers over HTTP
 * (https://hl7.org/fhir/R4/http.html), against real stores with a fixed clock.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { STORE_KINDS } from './helpers/stores.js';
import { assertOutcome, assertUnchanged, fhirTestApp } from './helpers/fhir-app.js';
import type { FhirTestApp } from './helpers/fhir-app.js';

const NOW = Date.parse('2031-05-06T07:08:09.000Z');
const SYS = 'http://example.org/mrn';

interface Meta {
  versionId: string;
  lastUpdated: string;
}

for (const kind of STORE_KINDS) {
  describe(`${kind.name}: FHIR create, read, update, delete`, { skip: kind.skip }, () => {
    let t: FhirTestApp;
    before(async () => {
      t = await fhirTestApp(() => kind.open({ clock: { now: () => NOW } }));
    });
    after(async () => t.dispose());

    it('create is a 201 with Location, ETag, server meta, and ignores the client id', async () => {
      const res = await t.call('POST', 'Patient', {
        body: {
          resourceType: 'Patient',
          id: 'client-picked',
          meta: { versionId: '42', lastUpdated: '1999-01-01T00:00:00Z' },
          name: [{ family: 'Ibarra' }],
        },
      });
      assert.equal(res.status, 201, res.text);
      const id = res.body.id as string;
      const meta = res.body.meta as Meta;
      assert.notEqual(id, 'client-picked');
      assert.match(meta.versionId, /^1-[0-9a-f]{32}$/);
      assert.equal(meta.lastUpdated, new Date(NOW).toISOString(), 'lastUpdated is set by the server');
      assert.equal(res.headers.etag, `W/"${meta.versionId}"`);
      assert.equal(res.headers['last-modified'], new Date(NOW).toUTCString());
      assert.equal(res.headers.location, `http://localhost:80/fhir/R4/Patient/${id}/_history/${meta.versionId}`);
      assert.match(String(res.headers['content-type']), /^application\/fhir\+json/);
      assertOutcome(await t.call('GET', 'Patient/client-picked'), 404);
      const read = await t.call('GET', `Patient/${id}`);
      assert.equal(read.status, 200);
      assert.deepEqual(read.body, res.body);
      assert.equal(read.headers.etag, res.headers.etag);
      const notModified = await t.call('GET', `Patient/${id}`, { headers: { 'if-none-match': String(res.headers.etag) } });
      assert.equal(notModified.status, 304);
    });

    it('If-None-Exist creates when nothing matches, returns the match, and refuses several matches', async () => {
      const body = { resourceType: 'Patient', identifier: [{ system: SYS, value: 'cc-1' }] };
      const headers = { 'if-none-exist': `identifier=${SYS}|cc-1` };
      const first = await t.call('POST', 'Patient', { body, headers });
      assert.equal(first.status, 201, first.text);
      await assertUnchanged(t, async () => {
        const again = await t.call('POST', 'Patient', { body, headers });
        assert.equal(again.status, 200);
        assert.equal(again.body.id, first.body.id);
        assert.equal(again.headers.etag, first.headers.etag);
      });
      await t.call('POST', 'Patient', { body: { resourceType: 'Patient', identifier: [{ system: SYS, value: 'cc-dup' }] } });
      await t.call('POST', 'Patient', { body: { resourceType: 'Patient', identifier: [{ system: SYS, value: 'cc-dup' }] } });
      await assertUnchanged(t, async () => {
        const many = await t.call('POST', 'Patient', {
          body: { resourceType: 'Patient', identifier: [{ system: SYS, value: 'cc-dup' }] },
          headers: { 'if-none-exist': `Patient?identifier=${SYS}|cc-dup` },
        });
        assertOutcome(many, 412, { code: 'conflict', diagnostics: /matches more than one Patient/ });
      });
    });

    it('update with a client-chosen id creates (201), then updates (200) with a new version', async () => {
      const body = { resourceType: 'Patient', id: 'chosen-1', gender: 'male' };
      const created = await t.call('PUT', 'Patient/chosen-1', { body });
      assert.equal(created.status, 201, created.text);
      const v1 = (created.body.meta as Meta).versionId;
      assert.match(v1, /^1-/);
      assert.equal(created.headers.location, `http://localhost:80/fhir/R4/Patient/chosen-1/_history/${v1}`);
      const updated = await t.call('PUT', 'Patient/chosen-1', { body: { ...body, gender: 'female' } });
      assert.equal(updated.status, 200, updated.text);
      const v2 = (updated.body.meta as Meta).versionId;
      assert.match(v2, /^2-/);
      assert.equal(updated.headers.etag, `W/"${v2}"`);
      assert.equal((await t.call('GET', 'Patient/chosen-1')).body.gender, 'female');
    });

    it('If-Match with the current version updates; with an old version it is a 412', async () => {
      const created = await t.call('PUT', 'Patient/match-1', { body: { resourceType: 'Patient', id: 'match-1', active: true } });
      const etag = String(created.headers.etag);
      const ok = await t.call('PUT', 'Patient/match-1', { body: { resourceType: 'Patient', id: 'match-1', active: false }, headers: { 'if-match': etag } });
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.body.active, false);
      await assertUnchanged(t, async () => {
        const stale = await t.call('PUT', 'Patient/match-1', { body: { resourceType: 'Patient', id: 'match-1', active: true }, headers: { 'if-match': etag } });
        assertOutcome(stale, 412);
      });
      assert.equal((await t.call('GET', 'Patient/match-1')).body.active, false);
    });

    it('delete writes a tombstone: read is 410, history shows it, old versions stay readable, PUT revives', async () => {
      const created = await t.call('PUT', 'Patient/del-1', { body: { resourceType: 'Patient', id: 'del-1', gender: 'other' } });
      const v1 = (created.body.meta as Meta).versionId;
      const del = await t.call('DELETE', 'Patient/del-1');
      assert.equal(del.status, 200);
      assert.equal(del.body.resourceType, 'OperationOutcome');
      assertOutcome(await t.call('GET', 'Patient/del-1'), 410, { code: 'deleted' });
      await assertUnchanged(t, async () => {
        assert.equal((await t.call('DELETE', 'Patient/del-1')).status, 200, 'deleting again is idempotent');
      });
      const history = await t.call('GET', 'Patient/del-1/_history');
      assert.equal(history.status, 200);
      assert.equal(history.body.type, 'history');
      const entries = history.body.entry as { request: { method: string }; response: { status: string; etag: string }; resource?: unknown }[];
      assert.deepEqual(entries.map((e) => e.request.method), ['DELETE', 'PUT']);
      assert.equal(entries[0]?.resource, undefined, 'a deletion carries no resource');
      assert.equal(entries[1]?.response.etag, `W/"${v1}"`);
      const old = await t.call('GET', `Patient/del-1/_history/${v1}`);
      assert.equal(old.status, 200);
      assert.equal(old.body.gender, 'other');
      const tombstoneRev = entries[0]?.response.etag.slice(3, -1);
      assertOutcome(await t.call('GET', `Patient/del-1/_history/${tombstoneRev}`), 410);
      assert.equal((await t.call('GET', 'Patient?_id=del-1&_summary=count')).body.total, 0, 'deleted resources are not found by search');
      const revived = await t.call('PUT', 'Patient/del-1', { body: { resourceType: 'Patient', id: 'del-1' } });
      assert.equal(revived.status, 201);
      assert.match((revived.body.meta as Meta).versionId, /^3-/);
    });

    it('HEAD answers like GET without a body', async () => {
      const res = await t.app.inject({ method: 'HEAD', url: '/fhir/R4/Patient/chosen-1', headers: { authorization: `Bearer ${t.token}` } });
      assert.equal(res.statusCode, 200);
      assert.equal(res.body, '');
      assert.match(String(res.headers.etag), /^W\/"2-/);
    });
  });
}
