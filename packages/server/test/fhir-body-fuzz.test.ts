/**
 * Property test: random JSON bodies for create, update and transaction never produce a 5xx —
 * a write is a 2xx or a 4xx OperationOutcome, and a refused write stores nothing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { STORE_KINDS } from './helpers/stores.js';
import { fhirTestApp } from './helpers/fhir-app.js';
import type { FhirTestApp } from './helpers/fhir-app.js';

const KEYS = ['resourceType', 'id', 'meta', 'name', 'birthDate', 'gender', 'identifier', 'subject', 'status', 'code', 'valueQuantity', 'effectiveDateTime', 'extension', 'contained', 'text', 'active', 'reference', 'family', 'given', 'system', 'value'];

const leaf = fc.oneof(
  fc.constantFrom('Patient', 'Observation', 'Bundle', 'transaction', 'batch', 'POST', 'PUT', 'Patient/p1', 'urn:uuid:1', 'Patient?identifier=x|y', '2020-01-01', 'final', 'female'),
  fc.string({ maxLength: 8 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);
const { node } = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('node'), { maxLength: 3 }),
  object: fc.dictionary(fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 6 })), tie('node'), { maxKeys: 5 }),
}));
const resource = fc.tuple(fc.constantFrom('Patient', 'Observation'), fc.dictionary(fc.constantFrom(...KEYS), node, { maxKeys: 5 })).map(([type, rest]) => ({ resourceType: type, ...rest }));
const entry = fc.record({
  fullUrl: fc.option(fc.constantFrom('urn:uuid:1', 'urn:uuid:2'), { nil: undefined }),
  request: fc.record({ method: fc.constantFrom('POST', 'PUT', 'GET', 'DELETE', 'PATCH'), url: fc.constantFrom('Patient', 'Observation', 'Patient/p1', 'Patient/p2', 'Patient?x=1', '') }),
  resource: fc.option(resource, { nil: undefined }),
});
const request = fc.oneof(
  fc.record({ method: fc.constant('POST'), path: fc.constantFrom('Patient', 'Observation'), body: fc.oneof(resource, node) }),
  fc.record({ method: fc.constant('PUT'), path: fc.constantFrom('Patient/p1', 'Observation/o1'), body: fc.oneof(resource, node) }),
  fc.record({
    method: fc.constant('POST'),
    path: fc.constant(''),
    body: fc.record({ resourceType: fc.constant('Bundle'), type: fc.constantFrom('transaction', 'batch'), entry: fc.array(entry, { maxLength: 4 }) }),
  }),
);

for (const kind of STORE_KINDS) {
  describe(`${kind.name}: FHIR write fuzz`, { skip: kind.skip }, () => {
    let t: FhirTestApp;
    before(async () => {
      t = await fhirTestApp(() => kind.open());
    });
    after(async () => t.dispose());

    it('random bodies never answer 5xx, and refused writes store nothing', async () => {
      const seen = { ok: 0, rejected: 0 };
      await fc.assert(
        fc.asyncProperty(request, async (r) => {
          const before = await t.snapshot();
          const res = await t.call(r.method, r.path, { body: r.body });
          assert.ok(res.status < 500, `${res.status} for ${r.method} /${r.path} ${JSON.stringify(r.body)}: ${res.text}`);
          if (res.status >= 400) {
            seen.rejected++;
            assert.equal(res.body.resourceType, 'OperationOutcome', res.text);
            assert.deepEqual(await t.snapshot(), before, `a refused write stored nothing: ${JSON.stringify(r.body)}`);
          } else {
            seen.ok++;
          }
        }),
        { numRuns: Number(process.env.CHARTROOM_FUZZ_RUNS ?? 300) },
      );
      assert.ok(seen.ok > 10 && seen.rejected > 10, `answers: ${JSON.stringify(seen)}`);
    });
  });
}
