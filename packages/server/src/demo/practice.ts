/**
 * The demo practice itself: the Organization, its office (Location), the insurers it bills,
 * its clinicians (Practitioner + PractitionerRole + Schedule each) and front-desk staff.
 * See https://hl7.org/fhir/R4/practitionerrole.html and https://hl7.org/fhir/R4/schedule.html
 */
import type { Location, Organization, Practitioner, PractitionerRole, Resource, Schedule } from '@medplum/fhirtypes';
import { localDateTime, dayStart } from './demo-time.js';

/** Chartroom's own codes for the jobs in a practice, beside the standard role and specialty codes. */
export const STAFF_ROLE_SYSTEM = 'https://chartroom.dev/fhir/CodeSystem/staff-role';
const PRACTITIONER_ROLE = 'http://terminology.hl7.org/CodeSystem/practitioner-role';
const NUCC = 'http://nucc.org/provider-taxonomy';
/** NPIs below are made up but carry a valid check digit (Luhn over the 80840 prefix). */
const NPI = 'http://hl7.org/fhir/sid/us-npi';

export type ClinicianKey = 'psychiatrist' | 'familyPhysician' | 'nursePractitioner' | 'psychotherapist';

export interface Clinician {
  key: ClinicianKey;
  ref: string;
  roleRef: string;
  scheduleRef: string;
  display: string;
  area: 'primary' | 'psychiatry';
  /** Length of one appointment slot. */
  slotMinutes: number;
}

export interface Payor {
  ref: string;
  name: string;
  plan: string;
  /** Copay per office visit, USD. */
  copay: number;
  kind: 'commercial' | 'medicare' | 'medicaid';
}

export interface Practice {
  organizationRef: string;
  locationRef: string;
  clinicians: Record<ClinicianKey, Clinician>;
  payors: readonly Payor[];
  resources: Resource[];
}

interface StaffSpec {
  key: string;
  given: string[];
  family: string;
  prefix?: string;
  suffix?: string;
  gender: 'female' | 'male';
  npi?: string;
  /** Standard role (practitioner-role has doctor and nurse; other jobs carry only the Chartroom code). */
  role?: { code: string; display: string };
  staffRole: { code: string; display: string };
  specialty?: { code: string; display: string };
  qualification?: string;
}

const CLINICIANS: (StaffSpec & { key: ClinicianKey; slotMinutes: number; area: Clinician['area'] })[] = [
  {
    key: 'psychiatrist',
    given: ['Amara'],
    family: 'Okafor',
    prefix: 'Dr.',
    suffix: 'MD',
    gender: 'female',
    npi: '1467893206',
    role: { code: 'doctor', display: 'Doctor' },
    staffRole: { code: 'psychiatrist', display: 'Psychiatrist' },
    specialty: { code: '2084P0800X', display: 'Psychiatry & Neurology, Psychiatry' },
    qualification: 'MD',
    slotMinutes: 30,
    area: 'psychiatry',
  },
  {
    key: 'familyPhysician',
    given: ['Tomás'],
    family: 'Herrera',
    prefix: 'Dr.',
    suffix: 'MD',
    gender: 'male',
    npi: '1598762346',
    role: { code: 'doctor', display: 'Doctor' },
    staffRole: { code: 'family-physician', display: 'Family physician' },
    specialty: { code: '207Q00000X', display: 'Family Medicine' },
    qualification: 'MD',
    slotMinutes: 20,
    area: 'primary',
  },
  {
    key: 'nursePractitioner',
    given: ['Priya'],
    family: 'Natarajan',
    suffix: 'FNP-C',
    gender: 'female',
    npi: '1730495862',
    role: { code: 'nurse', display: 'Nurse' },
    staffRole: { code: 'nurse-practitioner', display: 'Nurse practitioner' },
    specialty: { code: '363LF0000X', display: 'Nurse Practitioner, Family' },
    qualification: 'FNP-C',
    slotMinutes: 20,
    area: 'primary',
  },
  {
    key: 'psychotherapist',
    given: ['Jonas'],
    family: 'Lindqvist',
    suffix: 'LICSW',
    gender: 'male',
    npi: '1881624070',
    staffRole: { code: 'psychotherapist', display: 'Psychotherapist' },
    specialty: { code: '1041C0700X', display: 'Social Worker, Clinical' },
    qualification: 'LICSW',
    slotMinutes: 60,
    area: 'psychiatry',
  },
];

const FRONT_DESK: StaffSpec[] = [
  { key: 'frontDesk1', given: ['Marisol'], family: 'Peña', gender: 'female', staffRole: { code: 'front-desk', display: 'Front desk' } },
  { key: 'frontDesk2', given: ['Kevin'], family: "O'Brien", gender: 'male', staffRole: { code: 'front-desk', display: 'Front desk' } },
];

const PAYORS: readonly Omit<Payor, 'ref'>[] = [
  { name: 'Commonwealth Health Plan', plan: 'CHP Choice PPO', copay: 25, kind: 'commercial' },
  { name: 'Harbor Mutual Insurance', plan: 'Harbor Silver HMO', copay: 35, kind: 'commercial' },
  { name: 'Northstar Health Alliance', plan: 'Northstar Basic EPO', copay: 40, kind: 'commercial' },
  { name: 'Medicare Part B', plan: 'Original Medicare', copay: 0, kind: 'medicare' },
  { name: 'State Medicaid Program', plan: 'Medicaid Standard', copay: 0, kind: 'medicaid' },
];

const PHONE = '+1 413 555 0100';
const ADDRESS = { use: 'work' as const, line: ['200 River Street', 'Suite 3'], city: 'Riverside', state: 'MA', postalCode: '01901', country: 'US' };

/** Builds the practice's resources; `id(key)` gives each its deterministic id. */
export function buildPractice(id: (key: string) => string, today: Date, practiceName: string): Practice {
  const resources: Resource[] = [];
  const organizationRef = `Organization/${id('Organization/practice')}`;
  const locationRef = `Location/${id('Location/main')}`;
  const organization: Organization = {
    resourceType: 'Organization',
    id: id('Organization/practice'),
    identifier: [{ system: NPI, value: '1234567893' }],
    active: true,
    type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/organization-type', code: 'prov', display: 'Healthcare Provider' }] }],
    name: practiceName,
    telecom: [
      { system: 'phone', value: PHONE, use: 'work' },
      { system: 'email', value: 'frontdesk@riverside-practice.example', use: 'work' },
    ],
    address: [ADDRESS],
  };
  const location: Location = {
    resourceType: 'Location',
    id: id('Location/main'),
    status: 'active',
    name: `${practiceName} — main office`,
    mode: 'instance',
    telecom: [{ system: 'phone', value: PHONE, use: 'work' }],
    address: ADDRESS,
    managingOrganization: { reference: organizationRef, display: practiceName },
  };
  resources.push(organization, location);

  const payors: Payor[] = PAYORS.map((p, i) => {
    const pid = id(`Organization/payor/${i}`);
    const org: Organization = {
      resourceType: 'Organization',
      id: pid,
      active: true,
      type: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/organization-type', code: 'pay', display: 'Payer' }] }],
      name: p.name,
      telecom: [{ system: 'phone', value: `+1 800 555 01${String(10 + i)}`, use: 'work' }],
    };
    resources.push(org);
    return { ...p, ref: `Organization/${pid}` };
  });

  const horizon = { start: localDateTime(dayStart(today)), end: localDateTime(dayStart(today, 8)) };
  const staff = (s: StaffSpec): { ref: string; roleRef: string; display: string } => {
    const pid = id(`Practitioner/${s.key}`);
    const roleId = id(`PractitionerRole/${s.key}`);
    const display = [s.prefix, ...s.given, s.family].filter(Boolean).join(' ') + (s.suffix ? `, ${s.suffix}` : '');
    const practitioner: Practitioner = {
      resourceType: 'Practitioner',
      id: pid,
      active: true,
      name: [{ use: 'official', text: display, family: s.family, given: s.given, ...(s.prefix ? { prefix: [s.prefix] } : {}), ...(s.suffix ? { suffix: [s.suffix] } : {}) }],
      telecom: [{ system: 'phone', value: PHONE, use: 'work' }],
      gender: s.gender,
      ...(s.npi ? { identifier: [{ system: NPI, value: s.npi }] } : {}),
      ...(s.qualification ? { qualification: [{ code: { text: s.qualification } }] } : {}),
    };
    const role: PractitionerRole = {
      resourceType: 'PractitionerRole',
      id: roleId,
      active: true,
      practitioner: { reference: `Practitioner/${pid}`, display },
      organization: { reference: organizationRef, display: practiceName },
      location: [{ reference: locationRef }],
      code: [
        {
          coding: [
            ...(s.role ? [{ system: PRACTITIONER_ROLE, code: s.role.code, display: s.role.display }] : []),
            { system: STAFF_ROLE_SYSTEM, code: s.staffRole.code, display: s.staffRole.display },
          ],
          text: s.staffRole.display,
        },
      ],
      ...(s.specialty ? { specialty: [{ coding: [{ system: NUCC, code: s.specialty.code, display: s.specialty.display }], text: s.specialty.display }] } : {}),
      telecom: [{ system: 'phone', value: PHONE, use: 'work' }],
    };
    resources.push(practitioner, role);
    return { ref: `Practitioner/${pid}`, roleRef: `PractitionerRole/${roleId}`, display };
  };

  const clinicians = {} as Record<ClinicianKey, Clinician>;
  for (const spec of CLINICIANS) {
    const s = staff(spec);
    const scheduleId = id(`Schedule/${spec.key}`);
    const schedule: Schedule = {
      resourceType: 'Schedule',
      id: scheduleId,
      active: true,
      serviceType: [{ text: spec.area === 'psychiatry' ? (spec.key === 'psychotherapist' ? 'Psychotherapy' : 'Psychiatric care') : 'Primary care' }],
      specialty: spec.specialty ? [{ coding: [{ system: NUCC, code: spec.specialty.code, display: spec.specialty.display }] }] : undefined,
      actor: [
        { reference: s.ref, display: s.display },
        { reference: locationRef },
      ],
      planningHorizon: horizon,
      comment: `${spec.slotMinutes}-minute appointments`,
    };
    resources.push(schedule);
    clinicians[spec.key] = { key: spec.key, ref: s.ref, roleRef: s.roleRef, scheduleRef: `Schedule/${scheduleId}`, display: s.display, area: spec.area, slotMinutes: spec.slotMinutes };
  }
  for (const spec of FRONT_DESK) staff(spec);
  return { organizationRef, locationRef, clinicians, payors, resources };
}
