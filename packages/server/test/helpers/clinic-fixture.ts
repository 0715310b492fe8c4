/**
 * A tiny practice for the schedule, patient, chart summary and note tests: two clinicians
 * with Schedules, patients with coverage, and a fixed clinic clock (local time).
 */
import type { Patient, Resource } from '@medplum/fhirtypes';
import type { FhirRepository } from '../../src/store/fhir-repository.js';
import type { Clock } from '../../src/store/clock.js';

/** A movable clock for tests. */
export class TestClock implements Clock {
  constructor(public ms: number) {}
  now(): number {
    return this.ms;
  }
}

/** Monday 4 March 2030, 08:00 clinic-local time. */
export const MONDAY_8AM = new Date(2030, 2, 4, 8, 0).getTime();

/** Local `YYYY-MM-DDThh:mm` on the fixture's Monday, plus `days`. */
export function at(hhmm: string, days = 0): string {
  const d = new Date(2030, 2, 4 + days);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${hhmm}`;
}

export interface Clinic {
  drA: string;
  drB: string;
  scheduleA: string;
  scheduleB: string;
  alice: string;
  bob: string;
  carmen: string;
}

function patient(id: string, family: string, given: string, birthDate: string, phone: string, mrn: string): Patient {
  return {
    resourceType: 'Patient',
    id,
    identifier: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] }, system: 'urn:test:mrn', value: mrn }],
    name: [{ use: 'official', family, given: [given] }],
    birthDate,
    telecom: [{ system: 'phone', value: phone }],
  };
}

/** Writes the fixture practice. */
export async function seedClinic(repo: FhirRepository): Promise<Clinic> {
  const resources: Resource[] = [
    { resourceType: 'Practitioner', id: 'dr-a', name: [{ family: 'Okafor', given: ['Amara'], prefix: ['Dr.'] }] },
    { resourceType: 'Practitioner', id: 'dr-b', name: [{ family: 'Herrera', given: ['Tomás'], prefix: ['Dr.'] }] },
    { resourceType: 'Schedule', id: 'sched-a', active: true, actor: [{ reference: 'Practitioner/dr-a', display: 'Dr. Amara Okafor' }] },
    { resourceType: 'Schedule', id: 'sched-b', active: true, actor: [{ reference: 'Practitioner/dr-b', display: 'Dr. Tomás Herrera' }] },
    { resourceType: 'Organization', id: 'payor-1', name: 'Harbor Mutual Insurance' },
    patient('alice', 'Muñoz', 'Alicia', '1980-05-17', '+1 413 555 0142', 'MRN-0001'),
    patient('bob', "O'Connor", 'Robert', '1955-11-02', '+1 413 555 0199', 'MRN-0002'),
    patient('carmen', 'Muñoz', 'Carmen', '1992-01-30', '(413) 555-0177', 'MRN-0003'),
    {
      resourceType: 'Coverage',
      id: 'cov-alice',
      status: 'active',
      beneficiary: { reference: 'Patient/alice' },
      payor: [{ reference: 'Organization/payor-1', display: 'Harbor Mutual Insurance' }],
      subscriberId: 'HMI123456',
      class: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/coverage-class', code: 'plan' }] }, value: 'SILVER', name: 'Harbor Silver HMO' }],
      costToBeneficiary: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/coverage-copay-type', code: 'copay' }] }, valueMoney: { value: 35, currency: 'USD' } }],
    },
    {
      resourceType: 'AllergyIntolerance',
      id: 'allergy-bob',
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' }] },
      code: { text: 'Penicillin' },
      patient: { reference: 'Patient/bob' },
    },
    {
      resourceType: 'Encounter',
      id: 'enc-bob',
      status: 'finished',
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
      subject: { reference: 'Patient/bob' },
      period: { start: '2029-06-01T10:00:00Z', end: '2029-06-01T10:20:00Z' },
    },
    {
      resourceType: 'Account',
      id: 'acct-bob',
      status: 'active',
      subject: [{ reference: 'Patient/bob' }],
      extension: [{ url: 'https://chartroom.dev/fhir/StructureDefinition/account-balance', valueMoney: { value: 80, currency: 'USD' } }],
    },
  ];
  await repo.importMany(resources);
  return { drA: 'dr-a', drB: 'dr-b', scheduleA: 'sched-a', scheduleB: 'sched-b', alice: 'alice', bob: 'bob', carmen: 'carmen' };
}
