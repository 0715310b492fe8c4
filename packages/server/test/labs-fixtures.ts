/**
 * Fixtures for the labs, documents, letters and messages tests: a small practice (one
 * clinician, patients with MRNs) and HL7 v2 ORU^R01 messages.
 */
import type { Patient, Practitioner } from '@medplum/fhirtypes';
import type { FhirRepository } from '../src/store/fhir-repository.js';

export const MRN = 'https://riverside-practice.example/fhir/mrn';
export const NPI = 'http://hl7.org/fhir/sid/us-npi';

export interface SmallPractice {
  doctor: string;
  nurseDoctor: string;
  munoz: string;
  bronte: string;
}

/** Writes two clinicians and two patients (José Muñoz RFP-000001, Zoë Brontë RFP-000002). */
export async function smallPractice(repo: FhirRepository): Promise<SmallPractice> {
  const doctor: Practitioner = {
    resourceType: 'Practitioner',
    id: 'dr-okafor',
    name: [{ text: 'Dr. Amaka Okafor', family: 'Okafor', given: ['Amaka'], prefix: ['Dr.'] }],
    identifier: [{ system: NPI, value: '1467893206' }],
  };
  const np: Practitioner = { resourceType: 'Practitioner', id: 'np-lindqvist', name: [{ family: 'Lindqvist', given: ['Sara'] }], identifier: [{ system: NPI, value: '1598762346' }] };
  const munoz: Patient = {
    resourceType: 'Patient',
    id: 'pat-munoz',
    identifier: [{ system: MRN, value: 'RFP-000001' }],
    name: [{ family: 'Muñoz', given: ['José'] }],
    birthDate: '1968-03-14',
    gender: 'male',
    generalPractitioner: [{ reference: 'Practitioner/np-lindqvist', display: 'Sara Lindqvist' }],
  };
  const bronte: Patient = {
    resourceType: 'Patient',
    id: 'pat-bronte',
    identifier: [{ system: MRN, value: 'RFP-000002' }],
    name: [{ family: 'Brontë', given: ['Zoë'] }],
    birthDate: '1985-07-02',
    gender: 'female',
    generalPractitioner: [{ reference: 'Practitioner/dr-okafor' }],
  };
  await repo.importMany([doctor, np, munoz, bronte]);
  return { doctor: 'dr-okafor', nurseDoctor: 'np-lindqvist', munoz: 'pat-munoz', bronte: 'pat-bronte' };
}

export interface OruSpec {
  control?: string;
  mrn?: string;
  family?: string;
  filler?: string;
  orderedBy?: string;
  /** OBX lines after `OBX|n|` (value type onwards). */
  obx?: string[];
  extra?: string[];
}

/** An ORU^R01 message (segments joined by CR). */
export function oru(spec: OruSpec = {}): string {
  const obx = spec.obx ?? ['NM|14334-7^Lithium [Moles/volume] in Serum or Plasma^LN||1.4|mmol/L|0.6-1.2|H|||F|||20260110083000'];
  return [
    `MSH|^~\\&|LABSYS|RIVERSIDE LAB|CHARTROOM|RFP|20260110120000||ORU^R01|${spec.control ?? 'MSG0001'}|P|2.5.1`,
    `PID|1||${spec.mrn ?? 'RFP-000001'}^^^RFP^MR||${spec.family ?? 'Muñoz'}^José||19680314|M`,
    `ORC|RE|ORD1|${spec.filler ?? 'FIL1'}|||||||||${spec.orderedBy ?? ''}`,
    `OBR|1|ORD1|${spec.filler ?? 'FIL1'}|14334-7^Lithium level^LN|||20260110083000|||||||||||||||20260110110000|||F`,
    ...obx.map((o, i) => `OBX|${i + 1}|${o}`),
    ...(spec.extra ?? []),
  ].join('\r');
}
