/**
 * Bad input at the FHIR REST layer: every case answers a clear OperationOutcome with the right
 * status, issue code and expression, and changes nothing in the store.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { STORE_KINDS, sqliteTestStore } from './helpers/stores.js';
import { assertOutcome, assertUnchanged, fhirTestApp } from './helpers/fhir-app.js';
import type { FhirTestApp } from './helpers/fhir-app.js';

const JSON_HEADERS = { 'content-type': 'application/fhir+json' };

for (const kind of STORE_KINDS) {
  describe(`${kind.name}: FHIR bad input`, { skip: kind.skip }, () => {
    let t: FhirTestApp;
    let patientId: string;
    let patientRev: string;

    before(async () => {
      t = await fhirTestApp(() => kind.open());
      const created = await t.call('POST', 'Patient', { body: { resourceType: 'Patient', name: [{ family: 'Baseline' }], birthDate: '1970-01-01' } });
      assert.equal(created.status, 201);
      patientId = created.body.id as string;
      patientRev = (created.body.meta as { versionId: string }).versionId;
    });
    after(async () => t.dispose());

    it('malformed JSON is a 400 naming the parse error', async () => {
      await assertUnchanged(t, async () => {
        assertOutcome(await t.call('POST', 'Patient', { payload: '{"resourceType": "Patient",', headers: JSON_HEADERS }), 400, {
          code: 'invalid',
          diagnostics: /not valid JSON/,
        });
        assertOutcome(await t.call('PUT', `Patient/${patientId}`, { payload: '{bad', headers: JSON_HEADERS }), 400, { diagnostics: /not valid JSON/ });
        assertOutcome(await t.call('POST', '', { payload: '[{', headers: { 'content-type': 'application/json' } }), 400, { diagnostics: /not valid JSON/ });
      });
    });

    it('a missing or wrong resourceType is a 400 at resourceType', async () => {
      await assertUnchanged(t, async () => {
        assertOutcome(await t.call('POST', 'Patient', { body: { name: [{ family: 'X' }] } }), 400, { diagnostics: /Missing resourceType/, expression: 'Patient.resourceType' });
        assertOutcome(await t.call('POST', 'Patient', { body: { resourceType: 'Observation', status: 'final' } }), 400, {
          code: 'invalid',
          diagnostics: /does not match the URL type "Patient"/,
          expression: 'Patient.resourceType',
        });
        assertOutcome(await t.call('PUT', `Patient/${patientId}`, { body: { resourceType: 'Practitioner', id: patientId } }), 400, {
          expression: 'Patient.resourceType',
        });
        assertOutcome(await t.call('POST', 'Patient', { body: [{ resourceType: 'Patient' }] }), 400, { diagnostics: /JSON object/ });
        assertOutcome(await t.call('POST', 'Patient', { payload: 'null', headers: JSON_HEADERS }), 400, { diagnostics: /JSON object/ });
        assertOutcome(await t.call('POST', 'Patient', { payload: '', headers: JSON_HEADERS }), 400, { diagnostics: /needs a JSON body/ });
      });
    });

    it('XML, unknown and missing media types are a 415 that says JSON is supported', async () => {
      await assertUnchanged(t, async () => {
        const xml = await t.call('POST', 'Patient', { payload: '<Patient xmlns="http://hl7.org/fhir"/>', headers: { 'content-type': 'application/fhir+xml' } });
        assertOutcome(xml, 415, { code: 'not-supported', diagnostics: /JSON.*XML is not supported/ });
        const text = await t.call('POST', 'Patient', { payload: 'hello', headers: { 'content-type': 'text/plain' } });
        assertOutcome(text, 415, { diagnostics: /application\/fhir\+json/ });
        const none = await t.call('POST', 'Patient', { payload: '{"resourceType":"Patient"}' });
        assertOutcome(none, 415, { diagnostics: /no Content-Type.*JSON/ });
        assertOutcome(await t.call('GET', `Patient/${patientId}`, { headers: { accept: 'application/fhir+xml' } }), 415, { diagnostics: /XML is not supported/ });
        assertOutcome(await t.call('GET', 'Patient?_format=xml'), 415, { expression: '_format' });
      });
      const ok = await t.call('GET', `Patient/${patientId}?_format=json`, { headers: { accept: 'application/fhir+json' } });
      assert.equal(ok.status, 200);
    });

    it('an unknown resource type is a 404 in the URL and a 400 in a body', async () => {
      await assertUnchanged(t, async () => {
        assertOutcome(await t.call('GET', 'Spaceship'), 404, { code: 'not-found', diagnostics: /Unknown resource type "Spaceship"/ });
        assertOutcome(await t.call('GET', 'Spaceship/1'), 404, { code: 'not-found' });
        assertOutcome(await t.call('POST', 'Spaceship', { body: { resourceType: 'Spaceship' } }), 404, { code: 'not-found' });
        assertOutcome(await t.call('PUT', 'Spaceship/1', { body: { resourceType: 'Spaceship', id: '1' } }), 404, { code: 'not-found' });
        assertOutcome(await t.call('POST', 'Patient', { body: { resourceType: 'Spaceship' } }), 400, { expression: 'Patient.resourceType' });
        const tx = await t.call('POST', '', {
          body: { resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'POST', url: 'Spaceship' }, resource: { resourceType: 'Spaceship' } }] },
        });
        assertOutcome(tx, 400, { diagnostics: /Unknown resource type "Spaceship"/, expression: 'Bundle.entry[0].request.url' });
      });
    });

    it('a PUT whose body id differs from the URL id is a 400 at Patient.id and leaves the resource alone', async () => {
      await assertUnchanged(t, async () => {
        const res = await t.call('PUT', `Patient/${patientId}`, { body: { resourceType: 'Patient', id: 'someone-else', name: [{ family: 'Changed' }] } });
        assertOutcome(res, 400, { code: 'invalid', diagnostics: /does not match the URL id/, expression: 'Patient.id' });
        assertOutcome(await t.call('PUT', `Patient/${patientId}`, { body: { resourceType: 'Patient', name: [{ family: 'Changed' }] } }), 400, {
          expression: 'Patient.id',
        });
      });
      const read = await t.call('GET', `Patient/${patientId}`);
      assert.deepEqual(read.body.name, [{ family: 'Baseline' }]);
    });

    it('an invalid date in a body is a 400 whose expression is the element', async () => {
      await assertUnchanged(t, async () => {
        assertOutcome(await t.call('POST', 'Patient', { body: { resourceType: 'Patient', birthDate: '1980-02-30x' } }), 400, {
          diagnostics: /date/i,
          expression: 'Patient.birthDate',
        });
        assertOutcome(await t.call('PUT', `Patient/${patientId}`, { body: { resourceType: 'Patient', id: patientId, birthDate: '31/12/1980' } }), 400, {
          expression: 'Patient.birthDate',
        });
        assertOutcome(
          await t.call('POST', 'Observation', {
            body: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, effectiveDateTime: '2020-01-01T25:00:00Z' },
          }),
          400,
          { expression: /^Observation\.effective/ },
        );
      });
    });

    it('a code outside its required value set is a 400 at the element, nested and contained ones too', async () => {
      await assertUnchanged(t, async () => {
        assertOutcome(await t.call('POST', 'Patient', { body: { resourceType: 'Patient', gender: 'robot' } }), 400, {
          code: 'code-invalid',
          diagnostics: /^Patient\.gender: "robot" is not a code of the required value set \(one of: male, female, other, unknown\)$/,
          expression: 'Patient.gender',
        });
        assertOutcome(
          await t.call('PUT', `Patient/${patientId}`, {
            body: { resourceType: 'Patient', id: patientId, telecom: [{ system: 'phone', value: '555' }, { system: 'pigeon', value: 'loft 3' }] },
          }),
          400,
          { code: 'code-invalid', expression: 'Patient.telecom[1].system' },
        );
        assertOutcome(
          await t.call('POST', 'Observation', {
            body: {
              resourceType: 'Observation',
              status: 'final',
              code: { text: 'weight' },
              valueQuantity: { value: 70, comparator: '~' },
              contained: [{ resourceType: 'Practitioner', id: 'p1', gender: 'M' }],
            },
          }),
          400,
          { expression: 'Observation.valueQuantity.comparator' },
        );
        const both = await t.call('POST', 'Observation', {
          body: { resourceType: 'Observation', status: 'guess', code: { text: 'x' }, contained: [{ resourceType: 'Practitioner', id: 'p1', gender: 'M' }] },
        });
        const oo = assertOutcome(both, 400, { expression: 'Observation.contained[0].gender' });
        assert.deepEqual(oo.issue.map((i) => i.expression?.[0]).sort(), ['Observation.contained[0].gender', 'Observation.status']);
      });
      // The bound codes themselves are accepted.
      const ok = await t.call('POST', 'Patient', { body: { resourceType: 'Patient', gender: 'unknown', telecom: [{ system: 'sms', value: '555' }] } });
      assert.equal(ok.status, 201, ok.text);
    });

    it('invalid dates, unknown modifiers and bad _count in a search are 400s naming the parameter', async () => {
      await assertUnchanged(t, async () => {
        assertOutcome(await t.call('GET', 'Patient?birthdate=1980-13-01'), 400, { code: 'invalid', diagnostics: /Invalid date/, expression: 'birthdate' });
        assertOutcome(await t.call('GET', 'Patient?birthdate=yesterday'), 400, { expression: 'birthdate' });
        assertOutcome(await t.call('GET', 'Patient?_lastUpdated=gt2020-02-30'), 400, { expression: '_lastUpdated' });
        assertOutcome(await t.call('GET', 'Patient?name:sounds-like=smith'), 400, { diagnostics: /modifier ":sounds-like"/, expression: 'name:sounds-like' });
        assertOutcome(await t.call('GET', 'Patient?birthdate:exact=2000'), 400, { expression: 'birthdate:exact' });
        assertOutcome(await t.call('GET', 'Observation?subject:Spaceship=1'), 400, { expression: 'subject:Spaceship' });
        for (const count of ['-1', '1001', 'ten', '1.5']) {
          assertOutcome(await t.call('GET', `Patient?_count=${count}`), 400, { expression: '_count' });
        }
        assertOutcome(await t.call('GET', 'Patient/_history?_count=0'), 400, { expression: '_count' });
        assertOutcome(await t.call('GET', 'Patient/_history?_since=last-week'), 400, { expression: '_since' });
      });
    });

    it('unknown search parameters are ignored with an outcome entry when lenient, and a 400 when strict', async () => {
      for (const headers of [{}, { prefer: 'handling=lenient' }] as Record<string, string>[]) {
        const res = await t.call('GET', `Patient?_id=${patientId}&shoe-size=42`, { headers });
        assert.equal(res.status, 200);
        const entries = res.body.entry as { resource: { resourceType: string; id?: string; issue?: { severity: string; expression?: string[] }[] }; search: { mode: string } }[];
        assert.deepEqual(
          entries.filter((e) => e.search.mode === 'match').map((e) => e.resource.id),
          [patientId],
        );
        const outcome = entries.find((e) => e.search.mode === 'outcome');
        assert.ok(outcome, 'the bundle carries an outcome entry');
        assert.equal(outcome.resource.resourceType, 'OperationOutcome');
        assert.equal(outcome.resource.issue?.[0]?.severity, 'warning');
        assert.deepEqual(outcome.resource.issue?.[0]?.expression, ['shoe-size']);
      }
      assertOutcome(await t.call('GET', 'Patient?shoe-size=42', { headers: { prefer: 'handling=strict' } }), 400, {
        diagnostics: /Unknown search parameter "shoe-size"/,
        expression: 'shoe-size',
      });
    });

    it('If-None-Exist with a typo is refused, not widened to match everything', async () => {
      await assertUnchanged(t, async () => {
        const res = await t.call('POST', 'Patient', { body: { resourceType: 'Patient' }, headers: { 'if-none-exist': 'identifer=http://x|1' } });
        assertOutcome(res, 400, { expression: 'identifer' });
      });
    });

    it('a bad If-Match is a 412 and the resource keeps its version', async () => {
      await assertUnchanged(t, async () => {
        const res = await t.call('PUT', `Patient/${patientId}`, {
          body: { resourceType: 'Patient', id: patientId, name: [{ family: 'Lost update' }] },
          headers: { 'if-match': 'W/"1-00000000000000000000000000000000"' },
        });
        assertOutcome(res, 412, { code: 'conflict', diagnostics: /does not match the current version/ });
        const missing = await t.call('PUT', 'Patient/never-existed', {
          body: { resourceType: 'Patient', id: 'never-existed' },
          headers: { 'if-match': `W/"${patientRev}"` },
        });
        assertOutcome(missing, 412);
      });
      const read = await t.call('GET', `Patient/${patientId}`);
      assert.equal(read.headers.etag, `W/"${patientRev}"`);
      assertOutcome(await t.call('GET', 'Patient/never-existed'), 404);
    });

    it('vread of an unknown version is a 404, read of a deleted resource a 410, a bad id a 400', async () => {
      assertOutcome(await t.call('GET', `Patient/${patientId}/_history/9-ffffffffffffffffffffffffffffffff`), 404, { code: 'not-found' });
      assertOutcome(await t.call('GET', 'Patient/nobody/_history/1-abc'), 404);
      const doomed = await t.call('POST', 'Patient', { body: { resourceType: 'Patient', name: [{ family: 'Doomed' }] } });
      assert.equal((await t.call('DELETE', `Patient/${doomed.body.id}`)).status, 200);
      await assertUnchanged(t, async () => {
        assertOutcome(await t.call('GET', `Patient/${doomed.body.id}`), 410, { code: 'deleted', diagnostics: /deleted/ });
        for (const bad of ['has space', 'x'.repeat(65), 'a_b', 'é']) {
          assertOutcome(await t.call('GET', `Patient/${encodeURIComponent(bad)}`), 400, { code: 'invalid', diagnostics: /Invalid id/, expression: 'Patient.id' });
        }
        assertOutcome(await t.call('PUT', 'Patient/a_b', { body: { resourceType: 'Patient', id: 'a_b' } }), 400, { expression: 'Patient.id' });
        assertOutcome(await t.call('DELETE', 'Patient/a_b'), 400, { expression: 'Patient.id' });
        assertOutcome(await t.call('DELETE', 'Patient/not-there'), 404);
      });
    });

    it('URLs the router cannot decode and NUL characters are 400 OperationOutcomes', async () => {
      await assertUnchanged(t, async () => {
        assertOutcome(await t.call('GET', 'Patient/%E0%A4%A'), 400, { code: 'invalid', diagnostics: /not valid/ });
        assertOutcome(await t.call('GET', 'Patient?name=a%00b'), 400, { diagnostics: /NUL/, expression: 'name' });
        assertOutcome(await t.call('GET', 'Patient?identifier=x%00'), 400, { expression: 'identifier' });
      });
    });

    it('absurdly deep JSON is a 400 before any recursive walker sees it; brackets inside strings do not count', async () => {
      const deep = (n: number): string => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
      await assertUnchanged(t, async () => {
        assertOutcome(await t.call('POST', 'Patient', { payload: `{"resourceType":"Patient","extension":${deep(100_000)}}`, headers: JSON_HEADERS }), 400, {
          diagnostics: /deeper than 100 levels/,
        });
        const tx = `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient","x":${deep(100_000)}}}]}`;
        assertOutcome(await t.call('POST', '', { payload: tx, headers: JSON_HEADERS }), 400, { diagnostics: /deeper than 100 levels/ });
        assertOutcome(await t.call('POST', 'Patient', { payload: `{"resourceType":"Patient","name":${'['.repeat(101)}${']'.repeat(101)}}`, headers: JSON_HEADERS }), 400, {
          diagnostics: /deeper than 100 levels/,
        });
      });
      const brackets = await t.call('POST', 'Patient', { body: { resourceType: 'Patient', name: [{ family: `${'[{'.repeat(200)}"\\` }] } });
      assert.equal(brackets.status, 201, brackets.text);
    });

    it('POST _search with a JSON body is a 400, not a crash', async () => {
      await assertUnchanged(t, async () => {
        assertOutcome(await t.call('POST', 'Patient/_search', { body: { _sort: 5, name: { x: 1 } } }), 400, { diagnostics: /x-www-form-urlencoded/ });
      });
    });

    it('unsupported interactions are 405 and unknown paths 404, as OperationOutcomes', async () => {
      await assertUnchanged(t, async () => {
        assertOutcome(await t.call('PATCH', `Patient/${patientId}`, { body: [], headers: { 'content-type': 'application/json-patch+json' } }), 405, { code: 'not-supported' });
        assertOutcome(await t.call('DELETE', 'Patient'), 405);
        assertOutcome(await t.call('GET', ''), 405);
        assertOutcome(await t.call('GET', `Patient/${patientId}/nonsense`), 404);
        const res = await t.app.inject({ method: 'GET', url: '/not-fhir' });
        assert.equal(res.statusCode, 404);
        assert.equal(JSON.parse(res.body).resourceType, 'OperationOutcome');
      });
    });
  });
}

describe('FHIR body size limit', () => {
  it('a body over the limit is a 413 and nothing is stored', async () => {
    const t = await fhirTestApp(() => sqliteTestStore(), { bodyLimit: 1024 });
    try {
      await assertUnchanged(t, async () => {
        const big = { resourceType: 'Patient', name: [{ family: 'x'.repeat(2000) }] };
        assertOutcome(await t.call('POST', 'Patient', { body: big }), 413, { code: 'too-costly', diagnostics: /larger than the limit of 1024 bytes/ });
        const bundle = { resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'POST', url: 'Patient' }, resource: big }] };
        assertOutcome(await t.call('POST', '', { body: bundle }), 413);
      });
      assert.equal((await t.call('POST', 'Patient', { body: { resourceType: 'Patient' } })).status, 201);
    } finally {
      await t.dispose();
    }
  });
});
