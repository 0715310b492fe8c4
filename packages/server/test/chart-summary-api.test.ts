/**
 * The chart summary on both databases: one call with demographics, active problems
 * (ICD-10-CM from the shipped terminology), allergies, active medications, latest vitals,
 * recent abnormal labs, last notes, upcoming appointments and (empty for now) conflicts;
 * ICD-10-CM search and problem coding with bad input refused without side effects.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Observation, Resource } from '@medplum/fhirtypes';
import { STORE_KINDS } from './helpers/stores.js';
import { assertOutcome, assertUnchanged, fhirTestApp } from './helpers/fhir-app.js';
import type { FhirTestApp } from './helpers/fhir-app.js';
import { MONDAY_8AM, TestClock, seedClinic } from './helpers/clinic-fixture.js';
import { icd10cm } from '../src/clinical/terminology/icd10cm.js';
import type { ChartSummary } from '../src/clinical/chart-summary/chart-summary.js';
import { DOCUMENT_CATEGORY_SYSTEM } from '../src/clinical/documents/document-service.js';

const LOINC = 'http://loinc.org';
const CAT = 'http://terminology.hl7.org/CodeSystem/observation-category';

function obs(id: string, category: string, code: string, display: string, value: number, unit: string, when: string, flag?: string): Observation {
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    category: [{ coding: [{ system: CAT, code: category }] }],
    code: { coding: [{ system: LOINC, code, display }], text: display },
    subject: { reference: 'Patient/alice' },
    effectiveDateTime: when,
    valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit },
    ...(flag ? { interpretation: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation', code: flag }] }] } : {}),
  };
}

describe('shipped ICD-10-CM', () => {
  it('has the FY2026 codes and finds them by code prefix and by words', () => {
    const ix = icd10cm();
    assert.ok(ix.entries.length > 70_000, `${ix.entries.length} codes`);
    assert.equal(ix.lookup('F33.1')?.display, 'Major depressive disorder, recurrent, moderate');
    assert.equal(ix.lookup('f33.1')?.code, 'F33.1');
    assert.equal(ix.lookup('F33'), undefined, 'category headers are not billable codes');
    assert.deepEqual(ix.search('f33.', 3).map((c) => c.code), ['F33.0', 'F33.1', 'F33.2']);
    assert.deepEqual(ix.search('E119', 1).map((c) => c.code), ['E11.9']);
    const words = ix.search('maj depress recur', 20).map((c) => c.code);
    assert.ok(words.length > 3 && words.every((c) => c.startsWith('F33')), words.join());
    assert.equal(ix.search('anxiety', 1)[0]?.code, 'F41.9');
    assert.deepEqual(ix.search('qqqzzz'), []);
  });
});

for (const kind of STORE_KINDS) {
  describe(`chart summary (${kind.name})`, { skip: kind.skip }, () => {
    let t: FhirTestApp;
    before(async () => {
      t = await fhirTestApp(() => kind.open(), { clinicalClock: new TestClock(MONDAY_8AM) });
      await seedClinic(t.repo);
      const more: Resource[] = [
        {
          resourceType: 'Condition',
          id: 'cond-old',
          clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'resolved' }] },
          code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'J06.9' }], text: 'Acute upper respiratory infection' },
          subject: { reference: 'Patient/alice' },
        },
        {
          resourceType: 'AllergyIntolerance',
          id: 'allergy-alice',
          clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' }] },
          code: { text: 'Sulfonamides' },
          criticality: 'high',
          reaction: [{ manifestation: [{ text: 'Hives' }] }],
          patient: { reference: 'Patient/alice' },
        },
        {
          resourceType: 'MedicationRequest',
          id: 'mr-lithium',
          status: 'active',
          intent: 'order',
          medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '6448' }], text: 'Lithium carbonate 300 mg' },
          subject: { reference: 'Patient/alice' },
          dosageInstruction: [{ text: '300 mg twice daily' }],
          authoredOn: '2029-01-10',
        },
        {
          resourceType: 'MedicationRequest',
          id: 'mr-stopped',
          status: 'stopped',
          intent: 'order',
          medicationCodeableConcept: { text: 'Ibuprofen 400 mg' },
          subject: { reference: 'Patient/alice' },
        },
        obs('bp-old', 'vital-signs', '8480-6', 'Systolic blood pressure', 150, 'mm[Hg]', '2029-06-01T10:00:00Z'),
        obs('bp-new', 'vital-signs', '8480-6', 'Systolic blood pressure', 128, 'mm[Hg]', '2030-02-01T10:00:00Z'),
        obs('hr', 'vital-signs', '8867-4', 'Heart rate', 72, '/min', '2030-02-01T10:00:00Z'),
        obs('li-high', 'laboratory', '14334-7', 'Lithium [Moles/volume] in Serum or Plasma', 1.4, 'mmol/L', '2030-02-01T08:00:00Z', 'H'),
        obs('li-ok', 'laboratory', '14334-7', 'Lithium [Moles/volume] in Serum or Plasma', 0.8, 'mmol/L', '2029-12-01T08:00:00Z', 'N'),
        obs('tsh-ancient', 'laboratory', '3016-3', 'TSH', 9.1, 'm[IU]/L', '2026-01-01T08:00:00Z', 'H'),
        {
          resourceType: 'Appointment',
          id: 'appt-next',
          status: 'booked',
          start: '2030-03-11T09:00:00Z',
          end: '2030-03-11T09:30:00Z',
          participant: [
            { actor: { reference: 'Patient/alice' }, status: 'accepted' },
            { actor: { reference: 'Practitioner/dr-a', display: 'Dr. Amara Okafor' }, status: 'accepted' },
          ],
        },
        {
          resourceType: 'Appointment',
          id: 'appt-past',
          status: 'fulfilled',
          start: '2030-01-11T09:00:00Z',
          end: '2030-01-11T09:30:00Z',
          participant: [{ actor: { reference: 'Patient/alice' }, status: 'accepted' }],
        },
      ];
      await t.repo.importMany(more);
    });
    after(async () => t?.dispose());

    it('adds a problem coded from the shipped ICD-10-CM and refuses unknown codes without side effects', async () => {
      const ok = await t.request('POST', '/api/patients/alice/problems', { body: { code: 'f31.81', onset: '2019-04' } });
      assert.equal(ok.status, 201, ok.text);
      assert.deepEqual((ok.body.code as { coding: unknown[] }).coding[0], { system: 'http://hl7.org/fhir/sid/icd-10-cm', version: '2026', code: 'F31.81', display: 'Bipolar II disorder' });
      await assertUnchanged(t, async () => {
        assertOutcome(await t.request('POST', '/api/patients/alice/problems', { body: { code: 'F31' } }), 400, { expression: 'code', diagnostics: /not a valid ICD-10-CM/ });
        assertOutcome(await t.request('POST', '/api/patients/alice/problems', { body: { code: 'F31.81', onset: '2099-01-01' } }), 400, { expression: 'onset' });
        assertOutcome(await t.request('POST', '/api/patients/nobody/problems', { body: { code: 'F31.81' } }), 404);
      });
      const search = await t.request('GET', '/api/terminology/icd10?q=bipolar%20II');
      assert.equal(search.status, 200, search.text);
      assert.equal((search.body.results as { code: string }[])[0]?.code, 'F31.81');
      assertOutcome(await t.request('GET', '/api/terminology/icd10'), 400, { expression: 'q' });
    });

    it('returns everything a clinician needs on opening the chart', async () => {
      const drA = await t.actAs('clinician', { practitionerId: 'dr-a' });
      const note = await drA.request('POST', '/api/patients/alice/notes', { body: { template: 'soap' } });
      assert.equal(note.status, 201, note.text);
      // An uploaded scan and a letter, newer than the note: documents, not notes.
      const filed = (id: string, code: string, title: string): Resource => ({
        resourceType: 'DocumentReference',
        id,
        status: 'current',
        docStatus: 'final',
        type: { text: title },
        category: [{ coding: [{ system: DOCUMENT_CATEGORY_SYSTEM, code }] }],
        subject: { reference: 'Patient/alice' },
        date: '2031-01-01T09:00:00Z',
        content: [{ attachment: { contentType: 'application/pdf', title } }],
      });
      await t.repo.importMany([filed('doc-scan', 'scan', 'Outside records'), filed('doc-letter', 'letter', 'Referral letter')]);
      const noteList = await drA.request('GET', '/api/patients/alice/notes');
      assert.equal(noteList.status, 200, noteList.text);
      assert.deepEqual((noteList.body.notes as { title: string }[]).map((n) => n.title), ['SOAP note'], 'uploaded documents and letters are not notes');
      const r = await t.request('GET', '/api/patients/alice/summary');
      assert.equal(r.status, 200, r.text);
      const s = r.body as unknown as ChartSummary;
      assert.equal(s.patient.name, 'Alicia Muñoz');
      assert.equal(s.patient.age, 49);
      assert.equal(s.patient.mrn, 'MRN-0001');
      assert.equal(s.coverage?.copay, 35);
      assert.deepEqual(s.problems.map((p) => [p.code, p.display]), [['F31.81', 'Bipolar II disorder']], 'resolved problems left out');
      assert.deepEqual(s.allergies.map((a) => [a.substance, a.criticality, a.reactions]), [['Sulfonamides', 'high', ['Hives']]]);
      assert.deepEqual(s.medications.map((m) => [m.name, m.rxnorm, m.dosage]), [['Lithium carbonate 300 mg', '6448', '300 mg twice daily']]);
      assert.deepEqual(s.vitals.map((v) => [v.code, v.value]).sort(), [['8480-6', 128], ['8867-4', 72]], 'the latest of each vital sign');
      assert.deepEqual(s.abnormalLabs.map((o) => [o.id, o.interpretation]), [['li-high', 'H']], 'abnormal results of the last year');
      assert.deepEqual(s.upcomingAppointments.map((a) => [a.id, a.practitioner]), [['appt-next', 'Dr. Amara Okafor']]);
      assert.deepEqual(s.notes.map((n) => [n.title, n.status]), [['SOAP note', 'draft']], 'last notes leave out documents and letters');
      assert.deepEqual(s.conflicts, []);
      assertOutcome(await t.request('GET', '/api/patients/nobody/summary'), 404, { diagnostics: /Patient\/nobody not found/ });
    });

    it('lists the chart’s resources in sync conflict, and only this chart’s', async () => {
      // The replication store marks a resource with more than one live leaf (resources.conflicts).
      const mark = (type: string, id: string) => t.repo.dialect.db.updateTable('resources').set({ conflicts: 2 }).where('type', '=', type).where('id', '=', id).execute();
      await mark('MedicationRequest', 'mr-lithium');
      await mark('AllergyIntolerance', 'allergy-bob');
      await mark('Patient', 'alice');
      const s = (await t.request('GET', '/api/patients/alice/summary')).body as unknown as ChartSummary;
      assert.deepEqual(s.conflicts, [
        { resourceType: 'MedicationRequest', id: 'mr-lithium', leaves: 2 },
        { resourceType: 'Patient', id: 'alice', leaves: 2 },
      ]);
    });
  });
}
