/**
 * `Patient/$summary` against the HL7 International Patient Summary 2.0.0 profiles (the
 * StructureDefinitions of the `hl7.fhir.uv.ips` package, test/ips-profiles/): every demo
 * patient's summary conforms, every reference resolves inside the document, and the checks
 * do fail on documents that break the profiles.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AllergyIntolerance, Bundle, Composition, Condition, Observation, Patient, Resource } from '@medplum/fhirtypes';
import { fhirTestApp } from './helpers/fhir-app.js';
import type { FhirTestApp } from './helpers/fhir-app.js';
import { sqliteTestStore } from './helpers/stores.js';
import { loadDemo } from '../src/demo/load-demo.js';
import { scanResources } from '../src/continuity/resource-scan.js';
import { ipsProblems } from './ips-profiles/validate-ips.js';

const ACT = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';

describe('IPS profiles', () => {
  let t: FhirTestApp;
  let ids: string[];
  let sample: Bundle;

  const summary = async (id: string): Promise<Bundle> => {
    const r = await t.call('GET', `Patient/${id}/$summary`);
    assert.equal(r.status, 200, r.text);
    return r.body as unknown as Bundle;
  };

  before(async () => {
    t = await fhirTestApp(sqliteTestStore);
    await loadDemo(t.repo, { patients: 12, seed: 1 });
    ids = [];
    for await (const r of scanResources(t.repo.dialect, { types: ['Patient'] })) ids.push(r.id);
  });

  after(async () => {
    await t.dispose();
  });

  it('every demo patient\'s summary conforms to the IPS 2.0.0 profiles, references included', async () => {
    assert.equal(ids.length, 12);
    let practitioners = 0;
    for (const id of ids) {
      const b = await summary(id);
      assert.deepEqual(ipsProblems(b), [], `Patient/${id}`);
      practitioners += (b.entry ?? []).filter((e) => e.resource?.resourceType === 'Practitioner').length;
      const types = (b.entry ?? []).map((e) => e.resource?.resourceType);
      const lab = (b.entry ?? []).some((e) => e.resource?.resourceType === 'Observation' && JSON.stringify(e.resource.category).includes('laboratory'));
      if (lab && ['AllergyIntolerance', 'Condition', 'Practitioner'].every((x) => types.includes(x as never))) sample = b;
    }
    assert.ok(practitioners > 0, 'the clinicians the entries name are in the documents');
    assert.ok(sample, 'a chart with results, allergies, problems and a clinician');
    // An Encounter is not pulled into a patient-held summary: the reference keeps its type and a display.
    const withEncounter = (sample.entry ?? []).map((e) => e.resource as Observation).find((r) => r.resourceType === 'Observation' && r.encounter);
    assert.ok(withEncounter, 'an observation that had an encounter');
    assert.equal(withEncounter.encounter?.reference, undefined);
    assert.deepEqual([withEncounter.encounter?.type, withEncounter.encounter?.display], ['Encounter', 'Encounter not included in this summary']);
    const stored = JSON.parse((await t.repo.read('Observation', withEncounter.id ?? '')).json) as Observation;
    assert.match(stored.encounter?.reference ?? '', /^Encounter\//, 'the stored record keeps its reference');
  });

  it('an empty chart and a chart with consented substance-use records conform too', async () => {
    const p = await t.repo.create({ resourceType: 'Patient', name: [{ family: 'Empty', given: ['Eve'] }], birthDate: '1980-02-03', gender: 'female' });
    assert.deepEqual(ipsProblems(await summary(p.id)), []);
    const subject = { reference: `Patient/${p.id}` };
    await t.repo.create({ resourceType: 'Condition', meta: { security: [{ system: ACT, code: 'SUD' }] }, subject, clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] }, code: { text: 'Alcohol use disorder' } });
    await t.repo.create({
      resourceType: 'Consent',
      status: 'active',
      scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
      category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
      patient: subject,
      policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentpolicycodes', code: 'cfr-part2' }] },
      provision: { type: 'permit', securityLabel: [{ system: ACT, code: 'SUD' }] },
    });
    const b = await summary(p.id);
    assert.match(JSON.stringify(b), /Alcohol use disorder/);
    assert.deepEqual(ipsProblems(b), []);
  });

  it('the checks fail on documents that break the profiles', () => {
    const entries = (b: Bundle): Resource[] => (b.entry ?? []).map((e) => e.resource as Resource);
    const first = <T extends Resource>(b: Bundle, type: string): T => entries(b).find((r) => r.resourceType === type) as T;
    const composition = (b: Bundle): Composition => first<Composition>(b, 'Composition');
    const cases: [string, (b: Bundle) => void, RegExp][] = [
      ['no problems section', (b) => void (composition(b).section = composition(b).section?.filter((s) => s.code?.coding?.[0]?.code !== '11450-4')), /sectionProblems': expected 1\.\.1, but found 0/],
      ['a sub-section', (b) => void ((composition(b).section ?? [])[0]!.section = [{ title: 'x', text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">x</div>' } }]), /no sub-sections/],
      ['no Composition.subject', (b) => void delete composition(b).subject, /Composition\.subject|Composition vs Composition-uv-ips/],
      ['Composition not first', (b) => void b.entry?.reverse(), /first entry must be the Composition/],
      ['two patients', (b) => void b.entry?.push({ fullUrl: 'urn:uuid:00000000-0000-4000-8000-000000000001', resource: { ...first<Patient>(b, 'Patient'), id: 'twin' } }), /Bundle\.entry:patient \(Patient\) must occur 1\.\.1 times; found 2/],
      ['a patient without a birth date', (b) => void delete first<Patient>(b, 'Patient').birthDate, /Patient-uv-ips: .*birthDate/],
      ['an allergy without a code', (b) => void delete first<AllergyIntolerance>(b, 'AllergyIntolerance').code, /conforms to none of .*AllergyIntolerance-uv-ips/],
      ['a problem without a subject', (b) => void delete (first<Condition>(b, 'Condition') as { subject?: unknown }).subject, /conforms to none of .*Condition-uv-ips/],
      ['a lab result without its laboratory category', (b) => {
        const lab = entries(b).find((r) => r.resourceType === 'Observation' && JSON.stringify((r as Observation).category).includes('laboratory')) as Observation;
        lab.category = lab.category?.filter((c) => !JSON.stringify(c).includes('laboratory'));
      }, /sectionResults: Observation\/\S+ conforms to none of/],
      ['a Practitioner missing from the bundle', (b) => void (b.entry = b.entry?.filter((e) => e.resource?.resourceType !== 'Practitioner')), /refers to Practitioner\/\S+, which is not in the bundle/],
      ['an immunization in the problems section', (b) => {
        const problems = composition(b).section?.find((s) => s.code?.coding?.[0]?.code === '11450-4');
        const imm = { resourceType: 'Immunization', id: 'imm1', status: 'completed', patient: { reference: first<Patient>(b, 'Patient').id ? `Patient/${first<Patient>(b, 'Patient').id ?? ''}` : '' }, occurrenceDateTime: '2025-01-01', vaccineCode: { text: 'flu' } } as Resource;
        b.entry?.push({ fullUrl: 'http://x/fhir/R4/Immunization/imm1', resource: imm });
        problems?.entry?.push({ reference: 'Immunization/imm1' });
      }, /sectionProblems: Immunization\/imm1 is not a type this section takes/],
      ['a bundle that is not a document', (b) => void (b.type = 'collection'), /Bundle\.type is collection, not document/],
    ];
    assert.deepEqual(ipsProblems(sample), [], 'the sample conforms before each change');
    for (const [name, change, expected] of cases) {
      const b = structuredClone(sample);
      change(b);
      const problems = ipsProblems(b);
      assert.ok(problems.some((p) => expected.test(p)), `${name}: expected ${String(expected)} among:\n${problems.join('\n')}`);
    }
  });
});
