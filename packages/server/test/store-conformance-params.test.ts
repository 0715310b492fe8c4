/**
 * Store conformance, part 3: every search parameter the CapabilityStatement lists (it lists
 * `searchParamsFor(type)`) is indexed and searchable, generated from the definitions for each
 * resource type of ARCHITECTURE §3. For each parameter, a value is taken from the index rows of
 * the fixtures and searched for: the fixture it came from must be found, only fixtures with a
 * value for that parameter may match, and `:missing` must split the fixtures exactly.
 * Parameters no fixture fills must match nothing. Runs unchanged against every store kind.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { extractIndexRows, parseSearchRequest, searchParamsFor } from '@chartroom/core';
import type { IndexRows, SearchParamDef } from '@chartroom/core';
import type { Resource } from '@medplum/fhirtypes';
import { loadDefinitions } from '../src/fhir/load-definitions.js';
import { capabilityStatement } from '../src/fhir/capability.js';
import { STORE_KINDS, ids, put, withStore } from './store-conformance-kit.js';

loadDefinitions();

const META = {
  tag: [{ system: 'urn:chartroom:tag', code: 'demo' }],
  security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'PSY' }],
  profile: ['http://example.org/StructureDefinition/chartroom'],
  source: 'http://example.org/node/a',
};
const cc = (code: string, system = 'http://example.org/cs'): Record<string, unknown> => ({ coding: [{ system, code, display: code }], text: code });
const ref = (reference: string): { reference: string } => ({ reference });
const ident = (value: string): Record<string, unknown>[] => [{ system: 'urn:example:id', value }];
const RESOLVED = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'remission' }] };
const period = { start: '2020-03-01T09:00:00Z', end: '2020-03-01T10:00:00Z' };

/** Fixtures per type: together they give every parameter a value (choice types need two). */
const FIXTURES: Record<string, Record<string, unknown>[]> = {
  Patient: [
    {
      identifier: ident('MRN-1'),
      active: true,
      name: [{ family: 'Muñoz', given: ['José'] }],
      telecom: [
        { system: 'phone', value: '+1 555 0100' },
        { system: 'email', value: 'jose@example.org' },
      ],
      gender: 'male',
      birthDate: '1980-05-03',
      deceasedDateTime: '2020-01-01T00:00:00Z',
      address: [{ use: 'home', line: ['1 Main St'], city: 'Springfield', state: 'IL', postalCode: '62701', country: 'US' }],
      generalPractitioner: [ref('Practitioner/pr1')],
      managingOrganization: ref('Organization/org1'),
      link: [{ other: ref('Patient/p2'), type: 'seealso' }],
      communication: [{ language: cc('en', 'urn:ietf:bcp:47') }],
      meta: META,
    },
    { deceasedBoolean: false },
  ],
  Practitioner: [
    {
      identifier: ident('NPI-1'),
      active: true,
      name: [{ family: 'House', given: ['Greg'] }],
      telecom: [
        { system: 'phone', value: '555-0101' },
        { system: 'email', value: 'house@example.org' },
      ],
      address: [{ use: 'work', city: 'Princeton', state: 'NJ', postalCode: '08540', country: 'US' }],
      gender: 'male',
      communication: [cc('en', 'urn:ietf:bcp:47')],
      meta: META,
    },
  ],
  Appointment: [
    {
      identifier: ident('APT-1'),
      status: 'booked',
      serviceCategory: [cc('gp')],
      serviceType: [cc('consult')],
      specialty: [cc('394814009', 'http://snomed.info/sct')],
      appointmentType: cc('ROUTINE', 'http://terminology.hl7.org/CodeSystem/v2-0276'),
      reasonCode: [cc('headache')],
      reasonReference: [ref('Condition/c1')],
      supportingInformation: [ref('Observation/o1')],
      start: '2020-03-01T09:00:00Z',
      end: '2020-03-01T09:15:00Z',
      slot: [ref('Slot/s1')],
      basedOn: [ref('ServiceRequest/sr1')],
      participant: [
        { actor: ref('Patient/p1'), status: 'accepted' },
        { actor: ref('Practitioner/pr1'), status: 'tentative' },
        { actor: ref('Location/l1'), status: 'accepted' },
      ],
      meta: META,
    },
  ],
  Schedule: [
    {
      identifier: ident('SCH-1'),
      active: true,
      serviceCategory: [cc('gp')],
      serviceType: [cc('consult')],
      specialty: [cc('394814009', 'http://snomed.info/sct')],
      actor: [ref('Practitioner/pr1')],
      planningHorizon: { start: '2020-03-01', end: '2020-03-31' },
      meta: META,
    },
  ],
  Slot: [
    {
      identifier: ident('SLOT-1'),
      serviceCategory: [cc('gp')],
      serviceType: [cc('consult')],
      specialty: [cc('394814009', 'http://snomed.info/sct')],
      appointmentType: cc('ROUTINE', 'http://terminology.hl7.org/CodeSystem/v2-0276'),
      schedule: ref('Schedule/sch1'),
      status: 'free',
      start: '2020-03-01T09:00:00Z',
      end: '2020-03-01T09:15:00Z',
      meta: META,
    },
  ],
  Encounter: [
    {
      identifier: ident('ENC-1'),
      status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
      type: [cc('checkup')],
      subject: ref('Patient/p1'),
      episodeOfCare: [ref('EpisodeOfCare/ep1')],
      basedOn: [ref('ServiceRequest/sr1')],
      participant: [{ type: [cc('ATND', 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType')], period, individual: ref('Practitioner/pr1') }],
      appointment: [ref('Appointment/a1')],
      period,
      length: { value: 60, unit: 'min', system: 'http://unitsofmeasure.org', code: 'min' },
      reasonCode: [cc('headache')],
      reasonReference: [ref('Condition/c1')],
      diagnosis: [{ condition: ref('Condition/c1') }],
      account: [ref('Account/acc1')],
      hospitalization: { specialArrangement: [cc('wheel')] },
      location: [{ location: ref('Location/l1'), period }],
      serviceProvider: ref('Organization/org1'),
      partOf: ref('Encounter/e0'),
      meta: META,
    },
  ],
  Condition: [
    {
      identifier: ident('C-1'),
      clinicalStatus: cc('resolved', 'http://terminology.hl7.org/CodeSystem/condition-clinical'),
      verificationStatus: cc('confirmed', 'http://terminology.hl7.org/CodeSystem/condition-ver-status'),
      category: [cc('problem-list-item', 'http://terminology.hl7.org/CodeSystem/condition-category')],
      severity: cc('24484000', 'http://snomed.info/sct'),
      code: cc('38341003', 'http://snomed.info/sct'),
      bodySite: [cc('368209003', 'http://snomed.info/sct')],
      subject: ref('Patient/p1'),
      encounter: ref('Encounter/e1'),
      onsetDateTime: '2019-06',
      abatementDateTime: '2020-01-15',
      recordedDate: '2019-06-20',
      asserter: ref('Practitioner/pr1'),
      stage: [{ summary: cc('stage-1') }],
      evidence: [{ code: [cc('symptom')], detail: [ref('Observation/o1')] }],
      meta: META,
    },
    { clinicalStatus: RESOLVED, subject: ref('Patient/p1'), onsetString: 'Since childhood', abatementString: 'After surgery' },
    {
      clinicalStatus: RESOLVED,
      subject: ref('Patient/p1'),
      onsetAge: { value: 42, unit: 'a', system: 'http://unitsofmeasure.org', code: 'a' },
      abatementAge: { value: 45, unit: 'a', system: 'http://unitsofmeasure.org', code: 'a' },
    },
  ],
  AllergyIntolerance: [
    {
      identifier: ident('AL-1'),
      clinicalStatus: cc('active', 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical'),
      verificationStatus: cc('confirmed', 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification'),
      type: 'allergy',
      category: ['medication'],
      criticality: 'high',
      code: cc('7980', 'http://www.nlm.nih.gov/research/umls/rxnorm'),
      patient: ref('Patient/p1'),
      onsetDateTime: '2010-01-01',
      recordedDate: '2010-02-01',
      recorder: ref('Practitioner/pr1'),
      asserter: ref('Patient/p1'),
      lastOccurrence: '2019-12-24',
      reaction: [{ manifestation: [cc('hives')], severity: 'moderate', exposureRoute: cc('oral'), onset: '2019-12-24' }],
      meta: META,
    },
  ],
  MedicationRequest: [
    {
      identifier: ident('MR-1'),
      status: 'active',
      intent: 'order',
      category: [cc('outpatient')],
      priority: 'routine',
      medicationCodeableConcept: cc('197361', 'http://www.nlm.nih.gov/research/umls/rxnorm'),
      subject: ref('Patient/p1'),
      encounter: ref('Encounter/e1'),
      authoredOn: '2020-03-01',
      requester: ref('Practitioner/pr1'),
      performer: ref('Practitioner/pr2'),
      performerType: cc('nurse'),
      dosageInstruction: [{ timing: { event: ['2020-03-02T08:00:00Z'] } }],
      dispenseRequest: { performer: ref('Organization/pharm1') },
      meta: META,
    },
    { status: 'stopped', intent: 'plan', medicationReference: ref('Medication/med1'), subject: ref('Patient/p1') },
  ],
  MedicationStatement: [
    {
      identifier: ident('MS-1'),
      basedOn: [ref('MedicationRequest/mr1')],
      partOf: [ref('MedicationAdministration/ma1')],
      status: 'active',
      category: cc('community'),
      medicationCodeableConcept: cc('197361', 'http://www.nlm.nih.gov/research/umls/rxnorm'),
      subject: ref('Patient/p1'),
      context: ref('Encounter/e1'),
      effectivePeriod: { start: '2020-03-01' },
      dateAsserted: '2020-03-05',
      informationSource: ref('Practitioner/pr1'),
      meta: META,
    },
    { status: 'completed', medicationReference: ref('Medication/med1'), subject: ref('Patient/p1') },
  ],
  Observation: [
    {
      identifier: ident('OBS-1'),
      basedOn: [ref('ServiceRequest/sr1')],
      partOf: [ref('Procedure/proc1')],
      status: 'final',
      category: [cc('laboratory', 'http://terminology.hl7.org/CodeSystem/observation-category')],
      code: cc('2345-7', 'http://loinc.org'),
      subject: ref('Patient/p1'),
      focus: [ref('Condition/c1')],
      encounter: ref('Encounter/e1'),
      effectiveDateTime: '2020-03-01T09:30:00Z',
      performer: [ref('Practitioner/pr1')],
      valueQuantity: { value: 5.4, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' },
      method: cc('enzymatic'),
      specimen: ref('Specimen/sp1'),
      device: ref('Device/dev1'),
      hasMember: [ref('Observation/o2')],
      derivedFrom: [ref('DocumentReference/d1')],
      component: [
        { code: cc('8480-6', 'http://loinc.org'), valueQuantity: { value: 120, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } },
        { code: cc('8462-4', 'http://loinc.org'), valueCodeableConcept: cc('high') },
        { code: cc('9999-9', 'http://loinc.org'), dataAbsentReason: cc('unknown') },
      ],
      meta: META,
    },
    { status: 'final', code: cc('72166-2', 'http://loinc.org'), subject: ref('Patient/p1'), valueCodeableConcept: cc('never-smoker') },
    { status: 'final', code: cc('29463-7', 'http://loinc.org'), subject: ref('Patient/p1'), dataAbsentReason: cc('asked-unknown') },
    { status: 'final', code: cc('note', 'http://loinc.org'), subject: ref('Group/g1'), valueString: 'Feeling fine' },
    { status: 'final', code: cc('lmp', 'http://loinc.org'), subject: ref('Patient/p1'), valueDateTime: '2020-02-14' },
  ],
  DiagnosticReport: [
    {
      identifier: ident('DR-1'),
      basedOn: [ref('ServiceRequest/sr1')],
      status: 'final',
      category: [cc('LAB', 'http://terminology.hl7.org/CodeSystem/v2-0074')],
      code: cc('24323-8', 'http://loinc.org'),
      subject: ref('Patient/p1'),
      encounter: ref('Encounter/e1'),
      effectiveDateTime: '2020-03-01T09:30:00Z',
      issued: '2020-03-01T12:00:00Z',
      performer: [ref('Organization/lab1')],
      resultsInterpreter: [ref('Practitioner/pr1')],
      specimen: [ref('Specimen/sp1')],
      result: [ref('Observation/o1')],
      media: [{ link: ref('Media/m1') }],
      conclusionCode: [cc('normal')],
      meta: META,
    },
  ],
  DocumentReference: [
    {
      masterIdentifier: { system: 'urn:example:doc', value: 'DOC-1' },
      identifier: ident('DOC-1b'),
      status: 'current',
      docStatus: 'final',
      type: cc('34108-1', 'http://loinc.org'),
      category: [cc('clinical-note')],
      subject: ref('Patient/p1'),
      date: '2020-03-01T10:00:00Z',
      author: [ref('Practitioner/pr1')],
      authenticator: ref('Practitioner/pr1'),
      custodian: ref('Organization/org1'),
      relatesTo: [{ code: 'appends', target: ref('DocumentReference/d0') }],
      description: 'Letter to Dr. Núñez',
      securityLabel: [cc('R', 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality')],
      content: [{ attachment: { contentType: 'application/pdf', language: 'en', url: 'http://example.org/docs/1' }, format: { system: 'urn:example:format', code: 'pdf' } }],
      context: {
        encounter: [ref('Encounter/e1')],
        event: [cc('visit')],
        period,
        facilityType: cc('clinic'),
        practiceSetting: cc('general'),
        related: [ref('Observation/o1')],
      },
      meta: META,
    },
  ],
  Binary: [{ contentType: 'text/plain', data: 'aGVsbG8=', meta: META }],
  Communication: [
    {
      identifier: ident('COM-1'),
      instantiatesCanonical: ['http://example.org/PlanDefinition/recall'],
      instantiatesUri: ['http://example.org/protocols/recall'],
      basedOn: [ref('ServiceRequest/sr1')],
      partOf: [ref('Encounter/e1')],
      status: 'completed',
      category: [cc('reminder')],
      medium: [cc('WRITTEN', 'http://terminology.hl7.org/CodeSystem/v3-ParticipationMode')],
      subject: ref('Patient/p1'),
      encounter: ref('Encounter/e1'),
      sent: '2020-03-01T10:00:00Z',
      received: '2020-03-01T10:05:00Z',
      recipient: [ref('Patient/p1')],
      sender: ref('Practitioner/pr1'),
      meta: META,
    },
  ],
  Immunization: [
    {
      identifier: ident('IMM-1'),
      status: 'completed',
      vaccineCode: cc('140', 'http://hl7.org/fhir/sid/cvx'),
      patient: ref('Patient/p1'),
      occurrenceDateTime: '2020-10-01',
      lotNumber: 'LOT-42A',
      manufacturer: ref('Organization/mfr1'),
      location: ref('Location/l1'),
      performer: [{ actor: ref('Practitioner/pr1') }],
      reasonCode: [cc('routine')],
      reasonReference: [ref('Condition/c1')],
      reaction: [{ date: '2020-10-02', detail: ref('Observation/o3') }],
      protocolApplied: [{ series: 'Flu 2020', targetDisease: [cc('6142004', 'http://snomed.info/sct')], doseNumberPositiveInt: 1 }],
      meta: META,
    },
    { status: 'not-done', statusReason: cc('PATOBJ'), vaccineCode: cc('140', 'http://hl7.org/fhir/sid/cvx'), patient: ref('Patient/p1'), occurrenceString: 'last autumn' },
  ],
  Consent: [
    {
      identifier: ident('CON-1'),
      status: 'active',
      scope: cc('patient-privacy', 'http://terminology.hl7.org/CodeSystem/consentscope'),
      category: [cc('59284-0', 'http://loinc.org')],
      patient: ref('Patient/p1'),
      dateTime: '2020-03-01T10:00:00Z',
      performer: [ref('Patient/p1')],
      organization: [ref('Organization/org1')],
      sourceReference: ref('DocumentReference/d1'),
      policyRule: cc('OPTIN', 'http://terminology.hl7.org/CodeSystem/v3-ActCode'),
      provision: {
        type: 'permit',
        period: { start: '2020-03-01', end: '2021-03-01' },
        actor: [{ role: cc('PRCP', 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType'), reference: ref('Practitioner/pr1') }],
        action: [cc('access', 'http://terminology.hl7.org/CodeSystem/consentaction')],
        securityLabel: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'PSY' }],
        purpose: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'TREAT' }],
        data: [{ meaning: 'related', reference: ref('Observation/o1') }],
      },
      meta: META,
    },
  ],
  Provenance: [
    {
      target: [ref('Observation/o1'), ref('Patient/p1')],
      occurredDateTime: '2020-03-01T09:30:00Z',
      recorded: '2020-03-01T09:31:00Z',
      location: ref('Location/l1'),
      agent: [{ type: cc('author', 'http://terminology.hl7.org/CodeSystem/provenance-participant-type'), role: [cc('doctor')], who: ref('Practitioner/pr1') }],
      entity: [{ role: 'source', what: ref('DocumentReference/d1') }],
      signature: [{ type: [{ system: 'urn:iso-astm:E1762-95:2013', code: '1.2.840.10065.1.12.1.1' }], when: '2020-03-01T09:31:00Z', who: ref('Practitioner/pr1') }],
      meta: META,
    },
  ],
  AuditEvent: [
    {
      type: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110110' },
      subtype: [{ system: 'http://hl7.org/fhir/restful-interaction', code: 'read' }],
      action: 'R',
      recorded: '2020-03-01T09:31:00Z',
      outcome: '0',
      agent: [
        {
          type: cc('humanuser'),
          role: [cc('doctor')],
          who: ref('Practitioner/pr1'),
          altId: 'ghouse',
          name: 'Greg House',
          requestor: true,
          policy: ['http://example.org/policy/treatment'],
          network: { address: '10.0.0.7', type: '2' },
        },
      ],
      source: { site: 'clinic-a', observer: ref('Device/node1'), type: [{ system: 'http://terminology.hl7.org/CodeSystem/security-source-type', code: '4' }] },
      entity: [
        { what: ref('Patient/p1'), type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '1' }, role: { system: 'http://terminology.hl7.org/CodeSystem/object-role', code: '1' }, name: 'Chart of José Muñoz' },
      ],
      meta: META,
    },
  ],
};

/** Escapes a value for a search parameter (https://hl7.org/fhir/R4/search.html#escaping). */
const esc = (v: string): string => v.replace(/[\\,$|]/g, (c) => '\\' + c);
const iso = (ms: number): string => new Date(ms).toISOString();
const FAR = 8e15; // open Period ends are stored near ±8.64e15

/** A query that finds the resource an index row came from. */
function queryFor(def: SearchParamDef, rows: IndexRows): string | undefined {
  const p = encodeURIComponent(def.code);
  const e = (v: string): string => encodeURIComponent(esc(v));
  switch (def.type) {
    case 'string': {
      const r = rows.string.find((x) => x.code === def.code);
      return r && `${p}=${e(r.value)}`;
    }
    case 'token': {
      const r = rows.token.find((x) => x.code === def.code);
      if (!r) return undefined;
      if (r.value === null) return `${p}=${e(r.system ?? '')}|`;
      return `${p}=${r.system === null ? '' : e(r.system)}|${e(r.value)}`;
    }
    case 'date': {
      const r = rows.date.find((x) => x.code === def.code);
      if (!r) return undefined;
      const parts = [];
      if (r.low > -FAR) parts.push(`${p}=ge${encodeURIComponent(iso(r.low))}`);
      if (r.high < FAR) parts.push(`${p}=le${encodeURIComponent(iso(r.high))}`);
      return parts.join('&');
    }
    case 'reference': {
      const r = rows.reference.find((x) => x.code === def.code);
      if (!r) return undefined;
      return `${p}=${r.targetType && r.targetId ? e(`${r.targetType}/${r.targetId}`) : e(r.ref)}`;
    }
    case 'number': {
      const r = rows.number.find((x) => x.code === def.code);
      return r && `${p}=${r.value}`;
    }
    case 'quantity': {
      const r = rows.quantity.find((x) => x.code === def.code);
      return r && `${p}=${r.value}|${e(r.system ?? '')}|${e(r.unit ?? '')}`;
    }
    case 'uri': {
      const r = rows.uri.find((x) => x.code === def.code);
      return r && `${p}=${e(r.value)}`;
    }
    default: {
      const never: never = def.type;
      throw new Error(`unhandled type ${String(never)}`);
    }
  }
}

/** A well-formed value of the parameter's type that no fixture has. */
function unmatchedQuery(def: SearchParamDef): string {
  const p = encodeURIComponent(def.code);
  switch (def.type) {
    case 'string':
      return `${p}=zzqx`;
    case 'token':
      return `${p}=urn:none|zzqx`;
    case 'date':
      return `${p}=1801-01-01`;
    case 'reference':
      return `${p}=${def.targets[0] ?? 'Patient'}/zzqx`;
    case 'number':
      return `${p}=-123456`;
    case 'quantity':
      return `${p}=-123456|urn:none|zz`;
    case 'uri':
      return `${p}=urn:zzqx`;
    default: {
      const never: never = def.type;
      throw new Error(`unhandled type ${String(never)}`);
    }
  }
}

const hasRows = (def: SearchParamDef, rows: IndexRows): boolean => (rows[def.type] as { code: string }[]).some((r) => r.code === def.code);

/** Resource types of ARCHITECTURE §3. */
const TYPES = Object.keys(FIXTURES);

test('fixtures cover the listed types and give every listed parameter a value', () => {
  assert.deepEqual(TYPES, [
    'Patient', 'Practitioner', 'Appointment', 'Schedule', 'Slot', 'Encounter', 'Condition', 'AllergyIntolerance', 'MedicationRequest',
    'MedicationStatement', 'Observation', 'DiagnosticReport', 'DocumentReference', 'Binary', 'Communication', 'Immunization', 'Consent',
    'Provenance', 'AuditEvent',
  ]);
  const empty: string[] = [];
  let total = 0;
  for (const type of TYPES) {
    const rows = (FIXTURES[type] ?? []).map((f) => extractIndexRows({ resourceType: type, ...f } as Resource));
    for (const def of searchParamsFor(type).values()) {
      total++;
      if (!rows.some((r) => hasRows(def, r))) empty.push(`${type}.${def.code}`);
    }
  }
  assert.ok(total > 350, `only ${total} parameters`);
  assert.deepEqual(empty, [], `parameters that no fixture fills (${empty.length} of ${total}): extend the fixtures or fix indexing`);
});

test('the CapabilityStatement lists exactly the indexed parameters, with their types', () => {
  const listed = capabilityStatement('test').rest?.[0]?.resource ?? [];
  for (const type of TYPES) {
    const entry = listed.find((r) => r.type === type);
    assert.ok(entry, `${type} is in the CapabilityStatement`);
    const params = (entry.searchParam ?? []).map((p) => `${p.name}:${p.type}`).sort();
    const indexed = [...searchParamsFor(type).values()].map((d) => `${d.code}:${d.type}`);
    assert.deepEqual(params, ['_id:token', '_lastUpdated:date', ...indexed].sort(), type);
  }
});

for (const kind of STORE_KINDS) {
  describe(`store conformance (${kind.name}): every listed search parameter`, { skip: kind.skip }, () => {
    for (const type of TYPES) {
      test(`${type}: each parameter finds the fixtures that have it, and only them`, async () => {
        await withStore(kind, async (store) => {
          const fixtures = (FIXTURES[type] ?? []).map((f, i) => ({ resourceType: type, id: `${type.toLowerCase()}-${i}`, ...f }) as Resource);
          await put(store, ...fixtures);
          const rows = fixtures.map((f) => ({ id: f.id ?? '', rows: extractIndexRows(f) }));
          const all = rows.map((r) => r.id).sort();
          for (const def of searchParamsFor(type).values()) {
            const having = rows.filter((r) => hasRows(def, r.rows)).map((r) => r.id).sort();
            const label = `${type}?${def.code} (${def.type})`;
            // parseSearchRequest accepts the parameter with a plausible value, and the store runs it.
            parseSearchRequest(type, { [def.code]: unmatchedQuery(def).split('=')[1] }, { strict: true });
            assert.deepEqual(await ids(store, type, unmatchedQuery(def)), [], `${label}: a value no fixture has matches nothing`);
            assert.deepEqual(await ids(store, type, `${encodeURIComponent(def.code)}:missing=false`), having, `${label}:missing=false`);
            assert.deepEqual(
              await ids(store, type, `${encodeURIComponent(def.code)}:missing=true`),
              all.filter((id) => !having.includes(id)),
              `${label}:missing=true`,
            );
            const source = rows.find((r) => hasRows(def, r.rows));
            if (!source) continue;
            const q = queryFor(def, source.rows);
            assert.ok(q, label);
            const found = await ids(store, type, q);
            assert.ok(found.includes(source.id), `${label}: ${decodeURIComponent(q)} finds ${source.id}; got ${found.join(',')}`);
            for (const id of found) assert.ok(having.includes(id), `${label}: ${decodeURIComponent(q)} found ${id}, which has no value for it`);
            const sorted = await ids(store, type, `_sort=${encodeURIComponent(def.code)}`);
            assert.deepEqual(sorted, all, `${label}: sorting keeps every resource`);
          }
        });
      });
    }
  });
}
