/**
 * Search over HTTP (https://hl7.org/fhir/R4/search.html): POST `_search` with a form body
 * equals GET, paging by next links, and `Patient/$everything`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { STORE_KINDS } from './helpers/stores.js';
import { assertOutcome, fhirTestApp, nextLink } from './helpers/fhir-app.js';
import type { FhirReply, FhirTestApp } from './helpers/fhir-app.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

function ids(reply: FhirReply, mode = 'match'): string[] {
  const entries = (reply.body.entry ?? []) as { resource: { resourceType: string; id: string }; search: { mode: string } }[];
  return entries.filter((e) => e.search.mode === mode).map((e) => `${e.resource.resourceType}/${e.resource.id}`);
}

for (const kind of STORE_KINDS) {
  describe(`${kind.name}: FHIR search`, { skip: kind.skip }, () => {
    let t: FhirTestApp;
    const smiths: string[] = [];
    let alice = '';
    let bob = '';

    before(async () => {
      t = await fhirTestApp(() => kind.open());
      for (let i = 0; i < 12; i++) {
        const res = await t.call('POST', 'Patient', {
          body: {
            resourceType: 'Patient',
            name: [{ family: i % 2 ? 'Smith' : 'Smithson', given: [`G${i}`] }],
            gender: i % 3 ? 'female' : 'male',
            birthDate: `19${50 + i}-06-15`,
          },
        });
        if (i % 2) smiths.push(`Patient/${res.body.id}`);
      }
      alice = `Patient/${(await t.call('POST', 'Patient', { body: { resourceType: 'Patient', name: [{ family: 'Everything', given: ['Alice'] }] } })).body.id}`;
      bob = `Patient/${(await t.call('POST', 'Patient', { body: { resourceType: 'Patient', name: [{ family: 'Everything', given: ['Bob'] }] } })).body.id}`;
      for (const [subject, text] of [[alice, 'a1'], [alice, 'a2'], [bob, 'b1']] as const) {
        await t.call('POST', 'Observation', { body: { resourceType: 'Observation', status: 'final', code: { text }, subject: { reference: subject } } });
      }
      await t.call('POST', 'Condition', { body: { resourceType: 'Condition', subject: { reference: alice }, code: { text: 'asthma' } } });
    });
    after(async () => t.dispose());

    it('POST _search with a form body answers exactly what GET answers', async () => {
      const query = 'family=smith&gender=female&birthdate=ge1955&_sort=birthdate&_count=3&_total=accurate';
      const get = await t.call('GET', `Patient?${query}`);
      const post = await t.call('POST', 'Patient/_search', { payload: query, headers: FORM });
      assert.equal(get.status, 200, get.text);
      assert.equal(post.status, 200, post.text);
      assert.deepEqual(post.body, get.body);
      assert.equal(ids(get).length, 3);
      assert.ok(typeof get.body.total === 'number' && get.body.total > 3);
      const split = await t.call('POST', 'Patient/_search?family=smith&gender=female', { payload: 'birthdate=ge1955&_sort=birthdate&_count=3&_total=accurate', headers: FORM });
      assert.deepEqual(ids(split), ids(get), 'URL and body parameters combine');
      const strict = await t.call('POST', 'Patient/_search', { payload: 'shoe-size=9', headers: { ...FORM, prefer: 'handling=strict' } });
      assertOutcome(strict, 400, { expression: 'shoe-size' });
    });

    it('next links page through every match exactly once', async () => {
      const seen: string[] = [];
      let page = await t.call('GET', 'Patient?family:exact=Smith&_count=4');
      for (let n = 0; ; n++) {
        assert.equal(page.status, 200, page.text);
        seen.push(...ids(page));
        const next = nextLink(page);
        if (!next) break;
        assert.ok(n < 10);
        page = await t.follow(next);
      }
      assert.equal(seen.length, smiths.length);
      assert.deepEqual([...seen].sort(), [...smiths].sort());
    });

    it(
      'a birthDate in the year 0050 is not found by birthdate=1950',
      async () => {
        const old = await t.call('POST', 'Patient', { body: { resourceType: 'Patient', name: [{ family: 'Antiquity' }], birthDate: '0050-03-01' } });
        assert.equal(old.status, 201);
        const res = await t.call('GET', 'Patient?family=antiquity&birthdate=1950');
        assert.deepEqual(ids(res), []);
      },
    );

    it('Patient/[id]/$everything returns the patient and what refers to it, nobody else', async () => {
      const res = await t.call('GET', `${alice}/$everything`);
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.type, 'searchset');
      const got = ids(res);
      assert.equal(got[0], alice);
      assert.deepEqual(got.map((r) => r.split('/')[0]).sort(), ['Condition', 'Observation', 'Observation', 'Patient']);
      assert.ok(!got.includes(bob));
      assertOutcome(await t.call('GET', 'Patient/nobody/$everything'), 404);
    });

    it('Patient/$everything pages through every patient with their compartments', async () => {
      const seen: string[] = [];
      let page = await t.call('GET', 'Patient/$everything?_count=5');
      for (let n = 0; ; n++) {
        assert.equal(page.status, 200, page.text);
        seen.push(...ids(page));
        const next = nextLink(page);
        if (!next) break;
        assert.ok(n < 10);
        page = await t.follow(next);
      }
      const patients = (await t.call('GET', 'Patient?_summary=count')).body.total;
      assert.ok(typeof patients === 'number' && patients >= 14);
      assert.equal(seen.filter((r) => r.startsWith('Patient/')).length, patients);
      assert.equal(seen.filter((r) => r.startsWith('Observation/')).length, 3);
      assert.equal(new Set(seen).size, seen.length, 'no resource twice');
    });
  });
}
