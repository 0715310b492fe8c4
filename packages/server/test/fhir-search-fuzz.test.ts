/**
 * Property test: random search query strings, well-formed or not, against several resource
 * types never produce a 5xx — the answer is a 200 Bundle or a 4xx OperationOutcome.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { searchParamsFor } from '@chartroom/core';
import { STORE_KINDS } from './helpers/stores.js';
import { fhirTestApp } from './helpers/fhir-app.js';
import type { FhirTestApp } from './helpers/fhir-app.js';

const TYPES = ['Patient', 'Observation', 'Encounter', 'Condition', 'MedicationRequest', 'Appointment'] as const;
const SPECIAL = ['_id', '_lastUpdated', '_count', '_offset', '_sort', '_include', '_revinclude', '_total', '_summary', '_elements', '_format', '_since'];
const MODIFIERS = ['missing', 'exact', 'contains', 'not', 'text', 'below', 'above', 'Patient', 'iterate', 'identifier', 'of-type', ''];
const PREFIXES = ['', 'eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap', 'zz'];

/** Percent-encodes what a URL cannot carry raw, leaving `%`, `&`, `=` and friends to chance. */
function rawQuery(text: string): string {
  return [...text].map((c) => (/[!-~]/.test(c) && c !== '#' ? c : encodeURIComponent(c))).join('');
}

const value = fc.oneof(
  fc.constantFrom('true', 'false', '', 'Patient/p1', 'p1', 'http://loinc.org|8867-4', '|x', 'x|', '\\,', 'a,b,,c', 'Patient:subject', 'Observation:subject:Patient', '*'),
  fc.tuple(fc.constantFrom(...PREFIXES), fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.constantFrom('2020', '2020-02', '2020-02-30', '0000-01-01', '9999-12-31T23:59:59.999+14:00', '2020-01-01T10:00'))).map(([p, d]) => p + d),
  fc.tuple(fc.constantFrom(...PREFIXES), fc.oneof(fc.double().map(String), fc.integer().map(String), fc.constantFrom('1e400', '-0', '.5', '1.', 'NaN', '5.4|http://unitsofmeasure.org|mg'))).map(([p, n]) => p + n),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }),
);

function paramName(type: string): fc.Arbitrary<string> {
  const known = [...searchParamsFor(type).keys()];
  return fc
    .tuple(fc.oneof(fc.constantFrom(...known), fc.constantFrom(...SPECIAL), fc.string({ maxLength: 8 })), fc.option(fc.constantFrom(...MODIFIERS), { nil: undefined }))
    .map(([name, mod]) => (mod === undefined ? name : `${name}:${mod}`));
}

const query = fc.constantFrom(...TYPES).chain((type) =>
  fc.record({
    type: fc.constant(type),
    encoded: fc.array(fc.tuple(paramName(type), value), { maxLength: 5 }).map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')),
    raw: fc.string({ maxLength: 30 }).map(rawQuery),
    useRaw: fc.boolean(),
    strict: fc.boolean(),
    post: fc.boolean(),
  }),
);

for (const kind of STORE_KINDS) {
  describe(`${kind.name}: FHIR search fuzz`, { skip: kind.skip }, () => {
    let t: FhirTestApp;
    before(async () => {
      t = await fhirTestApp(() => kind.open());
      const p = await t.call('PUT', 'Patient/p1', { body: { resourceType: 'Patient', id: 'p1', name: [{ family: 'Fuzz' }], birthDate: '2020-02-02' } });
      assert.equal(p.status, 201);
      await t.call('POST', 'Observation', {
        body: { resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] }, subject: { reference: 'Patient/p1' }, valueQuantity: { value: 5.4, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' } },
      });
      await t.call('POST', 'Encounter', { body: { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient/p1' } } });
    });
    after(async () => t.dispose());

    it('random search queries never answer 5xx', async () => {
      const before = await t.snapshot();
      const seen = { ok: 0, rejected: 0 };
      await fc.assert(
        fc.asyncProperty(query, async (q) => {
          const qs = q.useRaw ? q.raw : q.encoded;
          const headers: Record<string, string> = q.strict ? { prefer: 'handling=strict' } : {};
          const res = q.post
            ? await t.call('POST', `${q.type}/_search`, { payload: qs, headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' } })
            : await t.call('GET', `${q.type}?${qs}`, { headers });
          assert.ok(res.status < 500, `${res.status} for ${q.post ? 'POST' : 'GET'} ${q.type} ${qs}: ${res.text}`);
          if (res.status === 200) {
            assert.equal(res.body.resourceType, 'Bundle');
            seen.ok++;
          } else {
            seen.rejected++;
            assert.ok(res.status >= 400, `${res.status}`);
            assert.equal(res.body.resourceType, 'OperationOutcome', res.text);
          }
        }),
        { numRuns: Number(process.env.CHARTROOM_FUZZ_RUNS ?? 300) },
      );
      assert.deepEqual(await t.snapshot(), before, 'searching wrote nothing');
      // The generator must reach both the SQL (200s) and the validation (4xx), or it proves little.
      assert.ok(seen.ok > 50 && seen.rejected > 50, `answers: ${JSON.stringify(seen)}`);
    });
  });
}
