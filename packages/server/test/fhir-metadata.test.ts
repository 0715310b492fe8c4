/**
 * The CapabilityStatement (https://hl7.org/fhir/R4/capabilitystatement.html) tells the truth:
 * every type it lists is served, every search parameter it lists is accepted (strictly) and
 * runs against the real store, and nothing it omits is served.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CapabilityStatement } from '@medplum/fhirtypes';
import { STORE_KINDS } from './helpers/stores.js';
import { assertOutcome, fhirTestApp } from './helpers/fhir-app.js';
import type { FhirTestApp } from './helpers/fhir-app.js';

const CLINICAL: readonly string[] = ['Patient', 'Practitioner', 'Encounter', 'Observation', 'Condition', 'AllergyIntolerance', 'MedicationRequest', 'MedicationStatement', 'Immunization', 'DiagnosticReport', 'DocumentReference', 'Appointment', 'Schedule', 'Slot', 'Consent', 'Provenance', 'AuditEvent', 'Communication'];

/** A well-formed sample value per search parameter type. */
const SAMPLE: Record<string, string> = {
  string: 'abc',
  token: 'http://example.org|x1',
  date: 'ge2020-01-01',
  reference: 'Patient/p1',
  number: 'gt1.5',
  quantity: 'le5.4|http://unitsofmeasure.org|mg',
  uri: 'http://example.org/fhir/ValueSet/x',
};

for (const kind of STORE_KINDS) {
  describe(`${kind.name}: FHIR metadata`, { skip: kind.skip }, () => {
    let t: FhirTestApp;
    let cs: CapabilityStatement;

    before(async () => {
      t = await fhirTestApp(() => kind.open());
      const res = await t.call('GET', 'metadata');
      assert.equal(res.status, 200);
      cs = res.body as unknown as CapabilityStatement;
    });
    after(async () => t.dispose());

    it('lists the operations the server runs: $everything, $summary and $export', async () => {
      const patient = cs.rest?.[0]?.resource?.find((r) => r.type === 'Patient');
      assert.deepEqual(patient?.operation?.map((o) => o.name), ['everything', 'summary', 'export']);
      assert.deepEqual(cs.rest?.[0]?.resource?.find((r) => r.type === 'Group')?.operation?.map((o) => o.name), ['export']);
      assert.deepEqual(cs.rest?.[0]?.operation?.map((o) => o.name), ['export']);
      const p = await t.repo.create({ resourceType: 'Patient', name: [{ family: 'Ng' }] });
      const summary = await t.call('GET', `Patient/${p.id}/$summary`);
      assert.equal(summary.status, 200, summary.text);
      assert.equal(summary.body.resourceType, 'Bundle');
      const everything = await t.call('GET', `Patient/${p.id}/$everything`);
      assert.equal(everything.status, 200, everything.text);
    });

    it('is an R4 CapabilityStatement for JSON with the system interactions the server has', () => {
      assert.equal(cs.resourceType, 'CapabilityStatement');
      assert.equal(cs.fhirVersion, '4.0.1');
      assert.ok(cs.format.includes('json'));
      assert.ok(!cs.format.some((f) => /xml/.test(f)));
      const system = (cs.rest?.[0]?.interaction ?? []).map((i) => i.code).sort();
      assert.deepEqual(system, ['batch', 'history-system', 'transaction']);
    });

    it('lists the clinical types, and only types the server serves', async () => {
      const types = (cs.rest?.[0]?.resource ?? []).map((r) => r.type);
      for (const must of CLINICAL) assert.ok(types.includes(must as never), must);
      for (const not of ['Bundle', 'OperationOutcome', 'Parameters', 'Resource', 'DomainResource']) assert.ok(!types.includes(not as never), not);
      for (const type of types) {
        const res = await t.call('GET', `${type}?_count=1`, { headers: { prefer: 'handling=strict' } });
        assert.equal(res.status, 200, `${type}: ${res.text}`);
      }
      assertOutcome(await t.call('GET', 'Bundle'), 404);
    });

    it('the search parameters it lists are accepted strictly and run without error', async () => {
      // Every parameter of the clinical types, and a fixed sample (every 5th) of the others.
      let checked = 0;
      let n = 0;
      for (const r of cs.rest?.[0]?.resource ?? []) {
        for (const p of r.searchParam ?? []) {
          if (!CLINICAL.includes(r.type) && n++ % 5 !== 0) continue;
          const value = p.name === '_id' ? 'abc' : p.name === '_lastUpdated' ? 'gt2020-01-01' : SAMPLE[p.type];
          assert.ok(value, `a sample for ${r.type}.${p.name} (${p.type})`);
          const q = new URLSearchParams({ [p.name]: value, _count: '1' });
          const res = await t.call('GET', `${r.type}?${q}`, { headers: { prefer: 'handling=strict' } });
          assert.equal(res.status, 200, `${r.type}?${q}: ${res.text}`);
          checked++;
        }
      }
      assert.ok(checked > 400, `checked ${checked} parameters`);
    });

    it('every search parameter it lists on Patient and Observation can sort', async () => {
      for (const type of ['Patient', 'Observation']) {
        const r = cs.rest?.[0]?.resource?.find((x) => x.type === type);
        for (const p of r?.searchParam ?? []) {
          const res = await t.call('GET', `${type}?_sort=-${p.name}&_count=2`, { headers: { prefer: 'handling=strict' } });
          assert.equal(res.status, 200, `${type} _sort=${p.name}: ${res.text}`);
        }
      }
    });
  });
}
