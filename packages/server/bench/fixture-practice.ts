/**
 * A small deterministic practice for the benchmark, used until the demo generator
 * (`src/demo/load-demo.ts`) is available: Patients with names, birth dates and identifiers,
 * and their Observations (LOINC, valueQuantity), Conditions and MedicationRequests.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { FhirRepository } from '../src/store/fhir-repository.js';

/** Options shared with the demo generator's `loadDemo(repo, options)`. */
export interface PopulateOptions {
  patients: number;
  seed: number;
}

/** Resources written by type. */
export type PopulateCounts = Record<string, number>;

const FAMILY = [
  'Garcia', 'Gardner', 'Garrett', 'Garza', 'Martinez', 'Martin', 'Nguyen', 'Smith', 'Smithson', 'Johnson', 'Jones', 'Brown',
  'Núñez', 'Nunez', "O'Brien", 'Okafor', 'Patel', 'Petrov', 'Rossi', 'Russo', 'Schmidt', 'Schneider', 'Tanaka', 'Takahashi',
  'Kowalski', 'Kovacs', 'Lefebvre', 'Lopez', 'Lee', 'Li', 'Wang', 'Williams', 'Wilson', 'Davis', 'Miller', 'Moore',
  'Anderson', 'Andersen', 'Thomas', 'Taylor', 'Hernandez', 'Herrera', 'Clark', 'Clarke', 'Lewis', 'Walker', 'Hall', 'Young',
  'Allen', 'King', 'Wright', 'Scott', 'Green', 'Baker', 'Adams', 'Nelson', 'Hill', 'Campbell', 'Mitchell', 'Roberts',
];
const GIVEN = [
  'Ana', 'Maria', 'José', 'James', 'John', 'Robert', 'Michael', 'William', 'David', 'Mary', 'Patricia', 'Jennifer', 'Linda',
  'Elizabeth', 'Susan', 'Chidi', 'Amara', 'Priya', 'Arjun', 'Yuki', 'Hiro', 'Olga', 'Ivan', 'Sofia', 'Lucas', 'Emma',
  'Noah', 'Olivia', 'Liam', 'Ava', 'Mateo', 'Chloé', 'Zoë', 'Aidan', 'Fatima', 'Omar', 'Leila', 'Sean', 'Niamh', 'Wei',
];
/** LOINC codes with a plausible unit and range; 2339-0 (glucose) is the benchmark's search target. */
const LABS: { code: string; display: string; unit: string; ucum: string; low: number; high: number; category: 'laboratory' | 'vital-signs' }[] = [
  { code: '2339-0', display: 'Glucose [Mass/volume] in Blood', unit: 'mg/dL', ucum: 'mg/dL', low: 65, high: 220, category: 'laboratory' },
  { code: '4548-4', display: 'Hemoglobin A1c/Hemoglobin.total in Blood', unit: '%', ucum: '%', low: 4.5, high: 11, category: 'laboratory' },
  { code: '2160-0', display: 'Creatinine [Mass/volume] in Serum or Plasma', unit: 'mg/dL', ucum: 'mg/dL', low: 0.5, high: 2.2, category: 'laboratory' },
  { code: '2951-2', display: 'Sodium [Moles/volume] in Serum or Plasma', unit: 'mmol/L', ucum: 'mmol/L', low: 130, high: 148, category: 'laboratory' },
  { code: '2823-3', display: 'Potassium [Moles/volume] in Serum or Plasma', unit: 'mmol/L', ucum: 'mmol/L', low: 3.2, high: 5.4, category: 'laboratory' },
  { code: '2093-3', display: 'Cholesterol [Mass/volume] in Serum or Plasma', unit: 'mg/dL', ucum: 'mg/dL', low: 120, high: 290, category: 'laboratory' },
  { code: '8867-4', display: 'Heart rate', unit: '/min', ucum: '/min', low: 50, high: 110, category: 'vital-signs' },
  { code: '29463-7', display: 'Body weight', unit: 'kg', ucum: 'kg', low: 45, high: 130, category: 'vital-signs' },
  { code: '8302-2', display: 'Body height', unit: 'cm', ucum: 'cm', low: 150, high: 195, category: 'vital-signs' },
  { code: '39156-5', display: 'Body mass index (BMI) [Ratio]', unit: 'kg/m2', ucum: 'kg/m2', low: 18, high: 40, category: 'vital-signs' },
  { code: '8310-5', display: 'Body temperature', unit: 'Cel', ucum: 'Cel', low: 36, high: 38.5, category: 'vital-signs' },
];
const CONDITIONS = [
  { code: '44054006', display: 'Diabetes mellitus type 2' },
  { code: '38341003', display: 'Hypertensive disorder' },
  { code: '195967001', display: 'Asthma' },
  { code: '35489007', display: 'Depressive disorder' },
  { code: '197480006', display: 'Anxiety disorder' },
  { code: '55822004', display: 'Hyperlipidemia' },
  { code: '40055000', display: 'Chronic sinusitis' },
];
const MEDICATIONS = [
  { code: '860975', display: 'metformin hydrochloride 500 MG Oral Tablet' },
  { code: '314076', display: 'lisinopril 10 MG Oral Tablet' },
  { code: '617314', display: 'atorvastatin 10 MG Oral Tablet' },
  { code: '312938', display: 'sertraline 50 MG Oral Tablet' },
  { code: '895994', display: 'fluticasone propionate 0.044 MG/ACTUAT Metered Dose Inhaler' },
];

const DAY = 86_400_000;
const START_2015 = Date.UTC(2015, 0, 1);
const END_2025 = Date.UTC(2025, 11, 31);

/** Mulberry32: a small seeded PRNG, so the same seed gives the same practice. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(rnd: () => number, list: readonly T[]): T {
  return list[Math.floor(rnd() * list.length)] as T;
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/**
 * One patient and their record, deterministic for (`seed`, `n`). `tag` keeps ids of
 * different batches apart.
 */
export function fixturePatient(seed: number, n: number, tag = 'b'): Resource[] {
  const rnd = seededRandom(seed * 1_000_003 + n);
  const pid = `${tag}p-${seed}-${n}`;
  const subject = { reference: `Patient/${pid}` };
  const birth = new Date(Date.UTC(1930, 0, 1) + Math.floor(rnd() * 90 * 365) * DAY).toISOString().slice(0, 10);
  const family = pick(rnd, FAMILY);
  const out: Resource[] = [
    {
      resourceType: 'Patient',
      id: pid,
      identifier: [{ system: 'urn:chartroom:bench:mrn', value: `MRN-${seed}-${String(n).padStart(7, '0')}` }],
      name: [{ use: 'official', family, given: [pick(rnd, GIVEN), ...(rnd() < 0.3 ? [pick(rnd, GIVEN)] : [])] }],
      gender: rnd() < 0.5 ? 'female' : 'male',
      birthDate: birth,
      telecom: [{ system: 'phone', value: `555-${String(Math.floor(rnd() * 10_000_000)).padStart(7, '0')}`, use: 'home' }],
      address: [{ line: [`${1 + Math.floor(rnd() * 999)} Main St`], city: 'Riverside', state: 'CA', postalCode: '92501' }],
    },
  ];
  const obsCount = 8 + Math.floor(rnd() * 25);
  for (let k = 0; k < obsCount; k++) {
    const lab = k < 3 ? (LABS[0] as (typeof LABS)[number]) : pick(rnd, LABS);
    const when = new Date(START_2015 + Math.floor(rnd() * (END_2025 - START_2015))).toISOString().replace(/\.\d{3}Z$/, 'Z');
    out.push({
      resourceType: 'Observation',
      id: `${tag}o-${seed}-${n}-${k}`,
      status: 'final',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: lab.category }] }],
      code: { coding: [{ system: 'http://loinc.org', code: lab.code, display: lab.display }], text: lab.display },
      subject,
      effectiveDateTime: when,
      valueQuantity: { value: round(lab.low + rnd() * (lab.high - lab.low), 1), unit: lab.unit, system: 'http://unitsofmeasure.org', code: lab.ucum },
    });
  }
  const conditions = Math.floor(rnd() * 4);
  for (let k = 0; k < conditions; k++) {
    const c = pick(rnd, CONDITIONS);
    out.push({
      resourceType: 'Condition',
      id: `${tag}c-${seed}-${n}-${k}`,
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
      verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
      code: { coding: [{ system: 'http://snomed.info/sct', code: c.code, display: c.display }], text: c.display },
      subject,
      onsetDateTime: new Date(START_2015 + Math.floor(rnd() * (END_2025 - START_2015))).toISOString().slice(0, 10),
    });
  }
  const meds = Math.floor(rnd() * 3);
  for (let k = 0; k < meds; k++) {
    const m = pick(rnd, MEDICATIONS);
    out.push({
      resourceType: 'MedicationRequest',
      id: `${tag}m-${seed}-${n}-${k}`,
      status: 'active',
      intent: 'order',
      medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: m.code, display: m.display }], text: m.display },
      subject,
      authoredOn: new Date(START_2015 + Math.floor(rnd() * (END_2025 - START_2015))).toISOString().slice(0, 10),
      dosageInstruction: [{ text: 'Take one tablet by mouth daily' }],
    });
  }
  return out;
}

/** The resources of patients `from` .. `from + count - 1`. */
export function fixtureBatch(seed: number, from: number, count: number, tag = 'b'): Resource[] {
  const out: Resource[] = [];
  for (let n = from; n < from + count; n++) out.push(...fixturePatient(seed, n, tag));
  return out;
}

/** Writes `resources` with `repo.importMany` (validated, one transaction per batch of `batchSize`). */
export async function writeResources(repo: FhirRepository, resources: Resource[], batchSize = 500): Promise<void> {
  for (let i = 0; i < resources.length; i += batchSize) await repo.importMany(resources.slice(i, i + batchSize));
}

/** Loads a fixture practice of `patients` patients; same shape as the demo generator's `loadDemo`. */
export async function loadFixturePractice(repo: FhirRepository, opts: PopulateOptions): Promise<PopulateCounts> {
  const counts: PopulateCounts = {};
  const chunk = 100;
  for (let from = 0; from < opts.patients; from += chunk) {
    const resources = fixtureBatch(opts.seed, from, Math.min(chunk, opts.patients - from));
    await writeResources(repo, resources);
    for (const r of resources) counts[r.resourceType] = (counts[r.resourceType] ?? 0) + 1;
  }
  return counts;
}
