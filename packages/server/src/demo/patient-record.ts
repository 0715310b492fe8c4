/**
 * One demo patient's chart: Patient, Coverage, problems (ICD-10-CM), allergies, active
 * prescriptions (RxNorm), years of visits (Encounter) with vital signs, laboratory trends
 * and questionnaire scores (LOINC Observations), and now and then a signed note. Everything
 * comes from a generator seeded by the demo seed and the patient's number, so a patient is
 * the same whatever else is generated.
 */
import type {
  AllergyIntolerance,
  Condition,
  Coverage,
  DocumentReference,
  Encounter,
  MedicationRequest,
  Organization,
  Patient,
  Practitioner,
  Reference,
  Resource,
} from '@medplum/fhirtypes';
import { ALLERGIES, ALLERGY_PREVALENCE, SNOMED } from './allergy-catalog.js';
import type { AllergyKey } from './allergy-catalog.js';
import { CONDITIONS, ICD10CM } from './condition-catalog.js';
import type { ConditionKey } from './condition-catalog.js';
import { addDays, atMinutes, dayStart, localDate, localDateTime } from './demo-time.js';
import { FEATURED_PATIENTS } from './featured-patients.js';
import type { FeaturedPatient } from './featured-patients.js';
import { NAME_GROUPS, STREETS, TOWNS } from './name-catalog.js';
import type { NameGroup } from './name-catalog.js';
import { DRUGS, RXNORM } from './medication-catalog.js';
import type { DrugKey } from './medication-catalog.js';
import { bloodPressure, quantityObservation, scoreObservation } from './observation-builder.js';
import type { ObservationContext, RangeOverride } from './observation-builder.js';
import type { ObservationKey } from './observation-catalog.js';
import { LOINC } from './observation-catalog.js';
import type { ClinicianKey, Practice } from './practice.js';
import { Prng } from './prng.js';

export const MRN_SYSTEM = 'https://riverside-practice.example/fhir/mrn';
const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const CONFIDENTIALITY = 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality';

/** What a patient's chart is generated from. */
export interface DemoContext {
  seed: string;
  /** Deterministic id for a key. */
  id: (key: string) => string;
  /** The moment the demo is loaded: visits lie before it, appointments around it. */
  now: Date;
  practice: Practice;
}

/** What the scheduler needs to know about a patient. */
export interface PatientSummary {
  index: number;
  ref: string;
  display: string;
  pcp: ClinicianKey;
  psychiatry: boolean;
  therapy: boolean;
  /** A featured patient's appointment today. */
  today: ClinicianKey | undefined;
}

interface Prescription {
  drug: DrugKey;
  condition: ConditionKey;
  /** Days before now it was started. */
  startedDaysAgo: number;
  by: ClinicianKey;
}

interface Visit {
  daysAgo: number;
  by: ClinicianKey;
  kind: 'new' | 'annual' | 'followup' | 'acute' | 'inr' | 'psychiatry' | 'therapy';
  note?: string;
  acute?: ConditionKey;
}

const PSYCH_DRUGS = new Set<DrugKey>([
  'lithium', 'sertraline', 'escitalopram', 'fluoxetine', 'bupropion', 'mirtazapine', 'venlafaxine', 'duloxetine', 'buspirone', 'hydroxyzine',
  'clonazepam', 'lamotrigine', 'valproate', 'quetiapine', 'aripiprazole', 'risperidone', 'olanzapine', 'clozapine', 'prazosin', 'methylphenidate',
  'lisdexamfetamine', 'atomoxetine', 'naltrexone',
]);
const NSAIDS = new Set<DrugKey>(['ibuprofen', 'naproxen', 'meloxicam']);
const DEPRESSION = new Set<ConditionKey>(['mddSingle', 'mddRecurrent', 'bipolar2', 'bipolarRemission', 'ptsd']);
const ANXIETY = new Set<ConditionKey>(['gad', 'panic', 'ptsd', 'adjustment', 'ocd']);

function ascii(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z]/g, '');
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

/** Average height in cm of a child of `age` years (rough growth curve), adult height beyond 18. */
function heightAt(age: number, adult: number): number {
  if (age >= 18) return adult;
  const child = age < 2 ? 50 + age * 18 : 86 + (age - 2) * 6.2;
  return age < 12 ? child : child + ((adult - (86 + 10 * 6.2)) * (age - 12)) / 6;
}

function pickGroup(rng: Prng, featured: FeaturedPatient | undefined): NameGroup {
  if (featured?.language) return NAME_GROUPS.find((g) => g.language?.code === featured.language?.code) ?? (NAME_GROUPS[0] as NameGroup);
  return rng.weighted(NAME_GROUPS.map((g) => [g, g.weight] as const));
}

/** Generates patient number `index` (0-based); the first ones are the featured patients. */
export function generatePatient(ctx: DemoContext, index: number): { resources: Resource[]; summary: PatientSummary } {
  const rng = new Prng(`${ctx.seed}/patient/${index}`);
  const featured = FEATURED_PATIENTS[index];
  const now = ctx.now;
  const today = dayStart(now);
  const clinicians = ctx.practice.clinicians;
  const key = (k: string): string => ctx.id(`patient/${index}/${k}`);
  const resources: Resource[] = [];

  // Who they are.
  const group = pickGroup(rng, featured);
  const gender = featured?.gender ?? rng.weighted([['female', 50], ['male', 48], ['other', 1], ['unknown', 1]] as const);
  const age = featured?.age ?? rng.weighted([[rng.int(2, 17), 18], [rng.int(18, 39), 30], [rng.int(40, 64), 32], [rng.int(65, 95), 20]] as const);
  const birth = new Date(today.getFullYear() - age, today.getMonth(), today.getDate() - rng.int(1, 364));
  const firstNames = gender === 'female' ? group.female : gender === 'male' ? group.male : rng.chance(0.5) ? group.female : group.male;
  const given = featured?.given ?? rng.pick(firstNames).split(' ');
  if (!featured && !group.familyFirst && rng.chance(0.2)) given.push(rng.pick(firstNames).split(' ')[0] as string);
  const family = featured?.family ?? rng.pick(group.family);
  const familyFirst = featured?.familyFirst ?? group.familyFirst ?? false;
  const display = familyFirst ? `${family} ${given.join(' ')}` : `${given.join(' ')} ${family}`;
  const patientRef = `Patient/${ctx.id(`Patient/${index}`)}`;
  const subject: Reference<Patient> = { reference: patientRef, display };
  const pcp: ClinicianKey = featured?.pcp ?? (rng.chance(0.55) ? 'familyPhysician' : 'nursePractitioner');
  const ageDays = Math.floor((today.getTime() - birth.getTime()) / 86_400_000);
  const historyDays = clamp(Math.min(ageDays - 20, rng.int(365, 2190)), 150, 2190);
  const language = featured?.language ?? (group.language && rng.chance(group.languageShare) ? group.language : undefined);
  const town = rng.pick(TOWNS);
  const phone = `+1 413 555 01${String(rng.int(0, 99)).padStart(2, '0')}`;

  const patient: Patient = {
    resourceType: 'Patient',
    id: ctx.id(`Patient/${index}`),
    identifier: [
      {
        use: 'usual',
        type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR', display: 'Medical record number' }], text: 'MRN' },
        system: MRN_SYSTEM,
        value: `RFP-${String(index + 1).padStart(6, '0')}`,
      },
    ],
    active: true,
    name: [{ use: 'official', text: display, family, given }],
    telecom: [{ system: 'phone', value: phone, use: age < 18 ? 'home' : 'mobile' }],
    gender,
    birthDate: localDate(birth),
    address: [{ use: 'home', line: [`${rng.int(1, 480)} ${rng.pick(STREETS)}`], city: town.city, state: 'MA', postalCode: town.postalCode, country: 'US' }],
    generalPractitioner: [{ reference: clinicians[pcp].ref, display: clinicians[pcp].display }],
    managingOrganization: { reference: ctx.practice.organizationRef },
  };
  if (age >= 18 && rng.chance(0.6)) patient.telecom?.push({ system: 'email', value: `${ascii(given[0] ?? 'x')}.${ascii(family) || 'x'}${rng.int(1, 99)}@example.com`, use: 'home' });
  if (age >= 18) {
    const m = rng.weighted([['M', 45], ['S', 35], ['D', 12], ['W', age > 60 ? 15 : 1]] as const);
    const names = { M: 'Married', S: 'Never Married', D: 'Divorced', W: 'Widowed' } as const;
    patient.maritalStatus = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-MaritalStatus', code: m, display: names[m] }] };
  }
  if (language) {
    patient.communication = [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code: language.code, display: language.display }], text: language.display }, preferred: true }];
  }
  resources.push(patient);

  // Insurance.
  if (featured || rng.chance(0.95)) {
    const payors = ctx.practice.payors;
    const byKind = (k: string): typeof payors => payors.filter((p) => p.kind === k);
    const pool = age >= 65 && rng.chance(0.8) ? byKind('medicare') : rng.chance(age < 18 ? 0.35 : 0.15) ? byKind('medicaid') : byKind('commercial');
    const payor = rng.pick(pool);
    const member = `${payor.name.replace(/[^A-Z]/g, '')}${rng.int(100_000_000, 999_999_999)}`;
    const coverage: Coverage = {
      resourceType: 'Coverage',
      id: key('Coverage'),
      status: 'active',
      identifier: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MB', display: 'Member Number' }] }, value: member }],
      subscriberId: member,
      beneficiary: subject,
      relationship: {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/subscriber-relationship', code: age < 18 ? 'child' : 'self', display: age < 18 ? 'Child' : 'Self' }],
      },
      period: { start: localDate(addDays(today, -historyDays)) },
      payor: [{ reference: payor.ref, display: payor.name }],
      class: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/coverage-class', code: 'plan', display: 'Plan' }] }, value: payor.plan.replace(/\W+/g, '-').toUpperCase(), name: payor.plan }],
      costToBeneficiary: [
        {
          type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/coverage-copay-type', code: 'copay', display: 'Copay Amount' }] },
          valueMoney: { value: payor.copay, currency: 'USD' },
        },
      ],
    };
    resources.push(coverage);
  }

  // Problems and prescriptions.
  const conditions: ConditionKey[] = featured ? [...featured.conditions] : randomConditions(rng, age, gender);
  const prescriptions: Prescription[] = [];
  const prescribe = (drug: DrugKey, condition: ConditionKey, startedDaysAgo: number): void => {
    if (prescriptions.some((p) => p.drug === drug)) return;
    const by: ClinicianKey = PSYCH_DRUGS.has(drug) ? 'psychiatrist' : pcp;
    prescriptions.push({ drug, condition, startedDaysAgo, by });
  };
  if (featured) {
    for (const [drug, condition, days] of featured.drugs) prescribe(drug, condition, days);
  } else {
    for (const c of conditions) {
      const kind = CONDITIONS[c];
      if (!kind.treatments.length || !rng.chance(kind.area === 'psychiatry' ? 0.85 : 0.8)) continue;
      prescribe(rng.pick(kind.treatments), c, rng.int(20, historyDays));
      if (c === 'hypertension' && rng.chance(0.3)) prescribe(rng.pick(kind.treatments), c, rng.int(20, historyDays));
      if (c === 'asthma' && rng.chance(0.4)) prescribe('fluticasone', c, rng.int(20, historyDays));
      if (c === 'backPain' && conditions.some((x) => DEPRESSION.has(x)) && rng.chance(0.3)) prescribe('tramadol', c, rng.int(5, 120));
    }
    // Now and then an NSAID for aches in someone on lithium, as happens in real practices.
    if (prescriptions.some((p) => p.drug === 'lithium') && rng.chance(0.2)) {
      if (!conditions.includes('backPain')) conditions.push('backPain');
      prescribe('ibuprofen', 'backPain', rng.int(7, 60));
    }
  }
  const psychiatry = prescriptions.some((p) => p.by === 'psychiatrist') || conditions.some((c) => CONDITIONS[c].area === 'psychiatry' && rng.chance(0.3));
  const therapy = featured?.therapy ?? (conditions.some((c) => CONDITIONS[c].area === 'psychiatry') && age >= 12 && rng.chance(0.4));

  // Onsets: before the first prescription for the problem; acute problems somewhere in the history.
  const onsetDaysAgo = new Map<ConditionKey, number>();
  for (const c of conditions) {
    const started = Math.max(0, ...prescriptions.filter((p) => p.condition === c).map((p) => p.startedDaysAgo));
    const area = CONDITIONS[c].area;
    const latest = Math.max(started + 7, 30);
    const earliest = Math.max(latest + 1, Math.min(ageDays - 30, area === 'acute' ? historyDays : historyDays + 1500));
    onsetDaysAgo.set(c, area === 'acute' ? rng.int(15, Math.max(16, historyDays - 5)) : rng.int(latest, Math.max(latest, earliest)));
  }
  const conditionRef = new Map<ConditionKey, string>();
  for (const c of conditions) {
    const kind = CONDITIONS[c];
    const onset = addDays(today, -(onsetDaysAgo.get(c) ?? 30));
    const recorder = kind.area === 'psychiatry' ? clinicians.psychiatrist : clinicians[pcp];
    const condition: Condition = {
      resourceType: 'Condition',
      id: key(`Condition/${c}`),
      clinicalStatus: {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: kind.area === 'acute' ? 'resolved' : 'active' }],
      },
      verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
      category: [
        {
          coding: [
            kind.area === 'acute'
              ? { system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'encounter-diagnosis', display: 'Encounter Diagnosis' }
              : { system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'problem-list-item', display: 'Problem List Item' },
          ],
        },
      ],
      code: { coding: [{ system: ICD10CM, code: kind.code, display: kind.display }], text: kind.display },
      subject,
      onsetDateTime: localDate(onset),
      recordedDate: localDate(onset),
      recorder: { reference: recorder.ref, display: recorder.display },
    };
    if (kind.area === 'acute') condition.abatementDateTime = localDate(addDays(onset, rng.int(7, 21)));
    conditionRef.set(c, `Condition/${condition.id}`);
    resources.push(condition);
  }

  // Allergies.
  const allergies: AllergyKey[] = featured ? [...featured.allergies] : ALLERGY_PREVALENCE.filter(([, p]) => rng.chance(p)).map(([k]) => k);
  for (const a of allergies) {
    const kind = ALLERGIES[a];
    const reaction = rng.pick(kind.reactions);
    const allergy: AllergyIntolerance = {
      resourceType: 'AllergyIntolerance',
      id: key(`AllergyIntolerance/${a}`),
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active', display: 'Active' }] },
      verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification', code: 'confirmed', display: 'Confirmed' }] },
      type: kind.type,
      category: [kind.category],
      criticality: kind.criticality,
      code: { coding: [{ system: kind.system, code: kind.code, display: kind.display }], text: kind.display },
      patient: subject,
      recordedDate: localDate(addDays(today, -rng.int(30, historyDays))),
      recorder: { reference: clinicians[pcp].ref, display: clinicians[pcp].display },
      reaction: [{ manifestation: [{ text: reaction.text }], severity: reaction.severity }],
    };
    resources.push(allergy);
  }

  for (const p of prescriptions) {
    const drug = DRUGS[p.drug];
    const dose = rng.pick(drug.doses);
    const by = clinicians[p.by];
    const oral = !/inhaler/.test(dose.strength);
    const request: MedicationRequest = {
      resourceType: 'MedicationRequest',
      id: key(`MedicationRequest/${p.drug}`),
      status: 'active',
      intent: 'order',
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/medicationrequest-category', code: 'community', display: 'Community' }] }],
      medicationCodeableConcept: { coding: [{ system: RXNORM, code: drug.rxcui, display: drug.name }], text: `${drug.name} ${dose.strength}` },
      subject,
      authoredOn: localDate(addDays(today, -p.startedDaysAgo)),
      requester: { reference: by.ref, display: by.display },
      reasonReference: [{ reference: conditionRef.get(p.condition) ?? '', display: CONDITIONS[p.condition].display }],
      dosageInstruction: [
        {
          text: dose.text,
          ...(dose.perDay > 0 ? { timing: { repeat: { frequency: dose.perDay, period: 1, periodUnit: 'd' as const } } } : { asNeededBoolean: true }),
          ...(oral ? { route: { coding: [{ system: SNOMED, code: '26643006', display: 'Oral route' }] } } : {}),
        },
      ],
      dispenseRequest: { numberOfRepeatsAllowed: 3, expectedSupplyDuration: { value: 30, unit: 'days', system: 'http://unitsofmeasure.org', code: 'd' } },
    };
    resources.push(request);
  }

  // Visits over the years.
  const visits = planVisits(rng, { age, historyDays, pcp, conditions, onsetDaysAgo, prescriptions, psychiatry, therapy, featured });
  const chart = new ChartWriter(ctx, rng, { index, subject, key, age, gender, conditions, prescriptions, onsetDaysAgo, historyDays, featured, display });
  for (const v of visits) resources.push(...chart.visit(v));

  return {
    resources,
    summary: { index, ref: patientRef, display, pcp, psychiatry, therapy, today: featured?.today },
  };
}

function randomConditions(rng: Prng, age: number, gender: string): ConditionKey[] {
  const out: ConditionKey[] = [];
  const add = (k: ConditionKey, p: number): void => {
    if (p > 0 && rng.chance(p) && !out.includes(k)) out.push(k);
  };
  const female = gender === 'female';
  if (age < 18) {
    add('asthma', 0.1);
    add('atopicDermatitis', 0.1);
    add('rhinitis', 0.08);
    add('adhd', age >= 6 ? 0.1 : 0);
    add('gad', age >= 12 ? 0.06 : 0);
    add('mddSingle', age >= 13 ? 0.05 : 0);
    add('otitis', age < 8 ? 0.35 : 0.05);
    add('uri', 0.4);
    return out;
  }
  const older = age >= 40;
  const senior = age >= 65;
  add('hypertension', senior ? 0.55 : older ? 0.3 : 0.06);
  if (rng.chance(senior ? 0.2 : older ? 0.12 : 0.03)) out.push(rng.chance(0.5) ? 'diabetes' : 'diabetesHyper');
  else add('prediabetes', older ? 0.12 : 0.03);
  add('hyperlipidemia', senior ? 0.45 : older ? 0.3 : 0.05);
  add('hypothyroidism', female ? 0.09 : 0.03);
  add('asthma', 0.07);
  add('gerd', 0.1);
  add('kneeOa', age >= 55 ? 0.2 : 0.02);
  add('backPain', 0.1);
  add('obesity', 0.25);
  add('migraine', female && age < 55 ? 0.12 : 0.03);
  add('afib', senior ? 0.08 : older ? 0.01 : 0);
  add('ckd3', age >= 70 ? 0.1 : 0);
  add('rhinitis', 0.12);
  add('insomnia', 0.08);
  add('vitaminD', 0.06);
  add('dementia', age >= 80 ? 0.12 : 0);
  if (rng.chance(0.16)) out.push(rng.chance(0.5) ? 'mddSingle' : 'mddRecurrent');
  add('gad', 0.12);
  add('panic', 0.03);
  if (rng.chance(0.035)) out.push(rng.chance(0.5) ? 'bipolar2' : 'bipolarRemission');
  add('ptsd', 0.04);
  add('adhd', age < 45 ? 0.05 : 0);
  add('schizophrenia', 0.01);
  add('alcohol', 0.03);
  add('ocd', 0.015);
  add('adjustment', 0.03);
  add('uri', 0.3);
  add('uti', female ? 0.15 : 0.03);
  return out;
}

interface VisitPlanInput {
  age: number;
  historyDays: number;
  pcp: ClinicianKey;
  conditions: ConditionKey[];
  onsetDaysAgo: Map<ConditionKey, number>;
  prescriptions: Prescription[];
  psychiatry: boolean;
  therapy: boolean;
  featured: FeaturedPatient | undefined;
}

/** The visits of a patient's history, oldest first, all before today. */
function planVisits(rng: Prng, p: VisitPlanInput): Visit[] {
  const visits: Visit[] = [];
  const h = p.historyDays;
  visits.push({ daysAgo: h, by: p.pcp, kind: 'new' });
  // Check-ups: every few months for toddlers, yearly for children and the chronically ill, every year or two otherwise.
  const chronic = p.conditions.filter((c) => CONDITIONS[c].area === 'primary' && CONDITIONS[c].treatments.length);
  const wellEvery = (): number => (p.age < 3 ? 180 : p.age < 18 || chronic.length ? 365 : rng.int(365, 1000));
  for (let d = h - wellEvery() + rng.int(-20, 20); d > 7; d -= wellEvery() + rng.int(-25, 25)) visits.push({ daysAgo: d, by: p.pcp, kind: 'annual' });
  // Chronic follow-up every 6–10 months (the last two years).
  if (chronic.length) {
    const start = Math.min(h, 730, Math.max(...chronic.map((c) => p.onsetDaysAgo.get(c) ?? 0)));
    for (let d = start - rng.int(90, 180); d > 3; d -= rng.int(180, 300)) visits.push({ daysAgo: d, by: p.pcp, kind: 'followup' });
  }
  // Anticoagulation: INR checks monthly in the last half year.
  const warfarin = p.prescriptions.find((x) => x.drug === 'warfarin');
  if (warfarin) for (let d = Math.min(180, warfarin.startedDaysAgo) - 10; d > 3; d -= rng.int(25, 40)) visits.push({ daysAgo: d, by: 'nursePractitioner', kind: 'inr' });
  // Psychiatry: medication management every 2½–5 months since treatment began (up to two years back).
  if (p.psychiatry) {
    const psychDrugs = p.prescriptions.filter((x) => x.by === 'psychiatrist');
    const start = Math.min(h, 730, psychDrugs.length ? Math.max(...psychDrugs.map((x) => x.startedDaysAgo)) + 14 : rng.int(60, 720));
    for (let d = start; d > 3; d -= rng.int(75, 150)) visits.push({ daysAgo: d, by: 'psychiatrist', kind: 'psychiatry' });
  }
  // Psychotherapy: every two to four weeks for the last few months.
  if (p.therapy) for (let d = rng.int(60, 120); d > 2; d -= rng.int(14, 28)) visits.push({ daysAgo: d, by: 'psychotherapist', kind: 'therapy' });
  // Acute problems: a visit on the day they began.
  for (const c of p.conditions) if (CONDITIONS[c].area === 'acute') visits.push({ daysAgo: p.onsetDaysAgo.get(c) ?? 30, by: p.pcp, kind: 'acute', acute: c });
  // A featured patient's note: a visit a few days ago with that clinician.
  if (p.featured?.note) visits.push({ daysAgo: rng.int(2, 6), by: p.featured.note.by, kind: p.featured.note.by === 'psychotherapist' ? 'therapy' : p.featured.note.by === 'psychiatrist' ? 'psychiatry' : 'followup', note: p.featured.note.text });
  visits.sort((a, b) => b.daysAgo - a.daysAgo);
  return visits.filter((v) => v.daysAgo >= 1);
}

/** Per-patient state while writing the visits: baselines, last lab dates, counters. */
interface ChartInput {
  index: number;
  subject: Reference<Patient>;
  key: (k: string) => string;
  age: number;
  gender: string;
  conditions: ConditionKey[];
  prescriptions: Prescription[];
  onsetDaysAgo: Map<ConditionKey, number>;
  historyDays: number;
  featured: FeaturedPatient | undefined;
  display: string;
}

const ENCOUNTER_TYPES = {
  new: { code: '185349003', display: 'Encounter for check up (procedure)', text: 'New patient visit' },
  annual: { code: '185349003', display: 'Encounter for check up (procedure)', text: 'Annual physical' },
  followup: { code: '390906007', display: 'Follow-up encounter', text: 'Follow-up visit' },
  acute: { code: '185345009', display: 'Encounter for symptom', text: 'Sick visit' },
  inr: { code: '390906007', display: 'Follow-up encounter', text: 'Anticoagulation check' },
  psychiatry: { code: '390906007', display: 'Follow-up encounter', text: 'Psychiatric medication management' },
  therapy: { code: '390906007', display: 'Follow-up encounter', text: 'Psychotherapy session' },
} as const;

class ChartWriter {
  private visitNo = 0;
  private readonly lastLab = new Map<string, number>();
  private readonly adultHeight: number;
  private readonly baseWeight: number;
  private readonly baseSystolic: number;
  private readonly heartRate: number;
  private readonly lipids: { total: number; hdl: number; tg: number };
  private readonly creatinine: number;
  private readonly a1cStart: number;
  private readonly a1cTarget: number;
  private readonly phqStart: number;
  private readonly gadStart: number;
  private notes = 0;

  constructor(
    private readonly ctx: DemoContext,
    private readonly rng: Prng,
    private readonly p: ChartInput,
  ) {
    const male = p.gender === 'male';
    this.adultHeight = male ? rng.normal(176, 7) : rng.normal(163, 6.5);
    const bmi = p.conditions.includes('obesity') ? rng.normal(34, 3) : rng.normal(p.age < 18 ? 17.5 : 25.5, 3);
    this.baseWeight = bmi * (this.adultHeight / 100) ** 2;
    this.baseSystolic = p.conditions.includes('hypertension') ? rng.normal(152, 8) : rng.normal(112 + Math.max(0, p.age - 30) * 0.3, 8);
    this.heartRate = rng.normal(74, 7) + (this.has('clozapine') ? 14 : 0);
    this.lipids = { total: rng.normal(p.conditions.includes('hyperlipidemia') ? 245 : 195, 25), hdl: rng.normal(male ? 47 : 57, 10), tg: rng.normal(140, 40) };
    this.creatinine = (male ? rng.normal(1.0, 0.12) : rng.normal(0.8, 0.1)) + (p.conditions.includes('ckd3') ? 0.8 : 0);
    this.a1cStart = p.featured?.conditions.includes('diabetesHyper') ? 9.4 : rng.normal(9, 0.6);
    this.a1cTarget = p.featured?.conditions.includes('diabetesHyper') ? 7.1 : rng.normal(7.2, 0.35);
    this.phqStart = rng.normal(17, 2.5);
    this.gadStart = rng.normal(15, 2);
  }

  private has(drug: DrugKey): Prescription | undefined {
    return this.p.prescriptions.find((x) => x.drug === drug);
  }

  private hasCondition(...keys: ConditionKey[]): boolean {
    return keys.some((k) => this.p.conditions.includes(k));
  }

  /** Days since a drug was started at the time of a visit (negative: not yet). */
  private onDrugFor(drug: DrugKey, daysAgo: number): number {
    const rx = this.has(drug);
    return rx ? rx.startedDaysAgo - daysAgo : -1;
  }

  private due(name: string, daysAgo: number, every: number): boolean {
    const last = this.lastLab.get(name);
    if (last !== undefined && last - daysAgo < every) return false;
    this.lastLab.set(name, daysAgo);
    return true;
  }

  visit(v: Visit): Resource[] {
    const { rng, ctx, p } = this;
    const n = this.visitNo++;
    const clinician = ctx.practice.clinicians[v.by];
    let day = dayStart(ctx.now, -Math.round(v.daysAgo));
    while (day.getDay() === 0 || day.getDay() === 6) day = addDays(day, -1);
    const start = atMinutes(day, 8 * 60 + 30 + rng.int(0, 15) * 30);
    const minutes = v.kind === 'therapy' ? 50 : v.kind === 'new' || v.kind === 'annual' ? 40 : 20;
    const end = new Date(start.getTime() + minutes * 60_000);
    const daysAgo = (ctx.now.getTime() - start.getTime()) / 86_400_000;
    const virtual = (v.kind === 'therapy' || v.kind === 'psychiatry') && rng.chance(0.15);
    const type = ENCOUNTER_TYPES[v.kind];
    const encounterId = p.key(`Encounter/${n}`);
    const reasons = v.acute ? [v.acute] : v.kind === 'psychiatry' || v.kind === 'therapy' ? p.conditions.filter((c) => CONDITIONS[c].area === 'psychiatry') : [];
    const encounter: Encounter = {
      resourceType: 'Encounter',
      id: encounterId,
      status: 'finished',
      class: virtual
        ? { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'VR', display: 'virtual' }
        : { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB', display: 'ambulatory' },
      type: [{ coding: [{ system: SNOMED, code: type.code, display: type.display }], text: type.text }],
      subject: p.subject,
      participant: [{ individual: { reference: clinician.ref, display: clinician.display } }],
      period: { start: localDateTime(start), end: localDateTime(end) },
      serviceProvider: { reference: ctx.practice.organizationRef },
      ...(virtual ? {} : { location: [{ location: { reference: ctx.practice.locationRef } }] }),
      ...(reasons.length
        ? { reasonCode: reasons.map((c) => ({ coding: [{ system: ICD10CM, code: CONDITIONS[c].code, display: CONDITIONS[c].display }] })) }
        : {}),
    };
    const out: Resource[] = [encounter];
    const effective = localDateTime(start);
    let obsNo = 0;
    const obsCtx = (performer: Reference<Practitioner | Organization>): ObservationContext => ({
      id: p.key(`Observation/${n}/${obsNo++}`),
      subject: p.subject,
      encounter: { reference: `Encounter/${encounterId}` },
      effective,
      performer,
    });
    const byClinician = { reference: clinician.ref, display: clinician.display };
    const lab = { reference: ctx.practice.organizationRef };
    const add = (key: ObservationKey, value: number, range?: RangeOverride): void => {
      out.push(quantityObservation(key, value, obsCtx(lab), range));
    };
    const ageThen = p.age - daysAgo / 365.25;
    const years = daysAgo / 365.25;

    // Vital signs at primary care visits (and weight for drugs that change it).
    const primary = v.kind === 'new' || v.kind === 'annual' || v.kind === 'followup' || v.kind === 'acute';
    const height = heightAt(Math.max(0, ageThen), this.adultHeight);
    const weight =
      ageThen < 18 ? (this.baseWeight / (this.adultHeight / 100) ** 2) * (height / 100) ** 2 + rng.normal(0, 0.5) : this.baseWeight - years * rng.normal(0.4, 0.2) + rng.normal(0, 1.2);
    if (primary || v.kind === 'inr') {
      const treated = this.p.prescriptions.some((x) => x.condition === 'hypertension' && x.startedDaysAgo > daysAgo);
      const systolic = (treated ? this.baseSystolic - 18 : this.baseSystolic) + rng.normal(0, 7);
      out.push(bloodPressure(systolic, systolic * 0.6 + rng.normal(8, 5), obsCtx(byClinician)));
      out.push(quantityObservation('heartRate', this.heartRate + rng.normal(0, 6), obsCtx(byClinician)));
    }
    if (primary) {
      out.push(quantityObservation('weight', Math.max(8, weight), obsCtx(byClinician)));
      if (ageThen < 18 || v.kind === 'new') out.push(quantityObservation('height', height, obsCtx(byClinician)));
      out.push(quantityObservation('bmi', Math.max(8, weight) / (height / 100) ** 2, obsCtx(byClinician)));
    } else if (v.kind === 'psychiatry' && ['lithium', 'clozapine', 'olanzapine', 'quetiapine', 'valproate', 'risperidone'].some((d) => this.has(d as DrugKey))) {
      out.push(quantityObservation('weight', Math.max(8, weight), obsCtx(byClinician)));
    }

    // Laboratory tests when they are due.
    const annual = v.kind === 'annual' || v.kind === 'new';
    const lipidEvery = this.hasCondition('hyperlipidemia', 'diabetes', 'diabetesHyper') ? 300 : 700;
    if (annual && ageThen >= 18 && (ageThen >= 40 || this.hasCondition('hyperlipidemia')) && this.due('lipids', daysAgo, lipidEvery)) {
      const statin = ['atorvastatin', 'rosuvastatin', 'simvastatin'].some((d) => this.onDrugFor(d as DrugKey, daysAgo) > 30);
      const total = (statin ? this.lipids.total * 0.74 : this.lipids.total) + rng.normal(0, 12);
      const hdl = this.lipids.hdl + rng.normal(0, 4);
      const tg = Math.max(45, this.lipids.tg + rng.normal(0, 25));
      add('cholesterol', total);
      add('hdl', hdl);
      add('triglycerides', tg);
      add('ldl', Math.max(30, total - hdl - tg / 5));
    }
    if (primary && this.hasCondition('hypertension', 'diabetes', 'diabetesHyper', 'ckd3') && this.due('bmp', daysAgo, 300)) {
      add('creatinine', this.creatinine + years * -0.01 + rng.normal(0, 0.07));
      add('sodium', rng.normal(140, 2));
      add('potassium', rng.normal(4.2, 0.3));
      add('glucose', this.hasCondition('diabetes', 'diabetesHyper') ? 28.7 * this.a1c(daysAgo) - 46.7 + rng.normal(0, 12) : rng.normal(92, 9));
    }
    if (primary && this.hasCondition('diabetes', 'diabetesHyper') && this.due('a1c', daysAgo, 80)) add('hba1c', this.a1c(daysAgo));
    if (primary && this.hasCondition('prediabetes') && this.due('a1c', daysAgo, 300)) add('hba1c', rng.normal(6.0, 0.15));
    if (primary && this.hasCondition('hypothyroidism') && this.due('tsh', daysAgo, 300)) {
      add('tsh', this.onDrugFor('levothyroxine', daysAgo) > 42 ? Math.max(0.2, rng.normal(2.2, 0.9)) : rng.normal(8.5, 2));
    }
    if (this.has('warfarin') && (v.kind === 'inr' || primary) && this.onDrugFor('warfarin', daysAgo) > 7) {
      const nsaid = [...NSAIDS].some((d) => this.onDrugFor(d, daysAgo) > 3);
      add('inr', Math.max(1.1, rng.normal(2.5, 0.35) + (nsaid ? 0.9 : 0)), { low: 2, high: 3, meaning: 'therapeutic' });
    }
    const lithiumDays = this.onDrugFor('lithium', daysAgo);
    if (lithiumDays > 7 && (v.kind === 'psychiatry' || v.kind === 'followup') && (v.note !== undefined || this.due('lithium', daysAgo, 80))) {
      // NSAIDs, ACE inhibitors and thiazides raise lithium levels.
      const nsaid = [...NSAIDS].some((d) => this.onDrugFor(d, daysAgo) > 3);
      const raise = (nsaid ? 0.5 : 0) + (['lisinopril', 'hydrochlorothiazide'].some((d) => this.onDrugFor(d as DrugKey, daysAgo) > 5) ? 0.25 : 0);
      add('lithium', Math.max(0.3, (p.featured ? 0.9 : rng.normal(0.85, 0.13)) + raise + rng.normal(0, 0.04)));
      add('creatinine', this.creatinine + Math.min(0.3, lithiumDays / 3650) * 0.5 + rng.normal(0, 0.06));
      if (this.due('tsh', daysAgo, 300)) add('tsh', Math.max(0.3, rng.normal(2.2 + Math.min(2.5, lithiumDays / 1000), 0.8)));
    }
    if (this.onDrugFor('valproate', daysAgo) > 7 && v.kind === 'psychiatry' && this.due('valproate', daysAgo, 150)) {
      add('valproate', rng.normal(76, 16));
      add('alt', rng.normal(28, 9));
    }

    // Questionnaires at psychiatry and (every other) therapy visits.
    if (v.kind === 'psychiatry' || (v.kind === 'therapy' && n % 2 === 0)) {
      if (this.hasCondition(...DEPRESSION)) out.push(scoreObservation('phq9', this.score('phq', daysAgo, 27), obsCtx(byClinician)));
      if (this.hasCondition(...ANXIETY)) out.push(scoreObservation('gad7', this.score('gad', daysAgo, 21), obsCtx(byClinician)));
    }

    // Notes: the featured patient's, and now and then one at a recent visit.
    const noteText = v.note ?? (daysAgo < 60 && this.notes === 0 && rng.chance(v.kind === 'therapy' ? 0.25 : 0.06) ? this.noteText(v.kind) : undefined);
    if (noteText) {
      this.notes++;
      out.push(this.note(v, noteText, encounterId, start, end, clinician.ref, clinician.display));
    }
    return out;
  }

  private a1c(daysAgo: number): number {
    const onset = Math.max(...(['diabetes', 'diabetesHyper'] as const).map((c) => this.p.onsetDaysAgo.get(c) ?? 0));
    const since = Math.max(0, onset - daysAgo);
    return this.a1cTarget + (this.a1cStart - this.a1cTarget) * Math.exp(-since / 200) + this.rng.normal(0, 0.2);
  }

  private score(which: 'phq' | 'gad', daysAgo: number, max: number): number {
    const treated = this.p.prescriptions.filter((x) => x.by === 'psychiatrist').reduce((m, x) => Math.max(m, x.startedDaysAgo - daysAgo), -1);
    const startScore = which === 'phq' ? this.phqStart : this.gadStart;
    const floor = which === 'phq' ? 6 : 5;
    const value = treated <= 0 ? startScore : floor + (startScore - floor) * Math.exp(-treated / 90);
    return clamp(Math.round(value + this.rng.normal(0, 1.8)), 0, max);
  }

  private noteText(kind: Visit['kind']): string {
    const drugs = this.p.prescriptions.map((x) => DRUGS[x.drug].name).join(', ') || 'no regular medicines';
    const problems = this.p.conditions.filter((c) => CONDITIONS[c].area !== 'acute').map((c) => CONDITIONS[c].display.toLowerCase());
    if (kind === 'therapy') {
      return `Psychotherapy session. Worked on ${this.rng.pick(['sleep routine', 'avoidance at work', 'conflict with family', 'grief', 'self-criticism', 'panic cues'])}. Mood and safety reviewed; no thoughts of self-harm. Homework agreed; next session in two weeks.`;
    }
    if (kind === 'psychiatry') {
      return `Medication management. Problems: ${problems.join('; ') || 'none recorded'}. Current medicines: ${drugs}. Tolerating treatment, no new side effects. Continue current doses; follow up in 8 weeks.`;
    }
    return `Office visit. Problems: ${problems.join('; ') || 'none'}. Medicines: ${drugs}. Vital signs reviewed. Plan: continue current treatment, routine labs as due.`;
  }

  private note(v: Visit, text: string, encounterId: string, start: Date, end: Date, authorRef: string, authorName: string): DocumentReference {
    const sensitive = v.kind === 'therapy' ? { code: 'PSYTHPN', display: 'psychotherapy note information sensitivity' } : v.kind === 'psychiatry' ? { code: 'PSY', display: 'psychiatry disorder information sensitivity' } : undefined;
    const title = v.kind === 'therapy' ? 'Psychotherapy note' : v.kind === 'psychiatry' ? 'Psychiatric progress note' : 'Progress note';
    const signed = localDateTime(new Date(end.getTime() + 15 * 60_000));
    const doc: DocumentReference = {
      resourceType: 'DocumentReference',
      id: this.p.key(`DocumentReference/${encounterId}`),
      status: 'current',
      docStatus: 'final',
      type: { coding: [{ system: LOINC, code: '11506-3', display: 'Progress note' }], text: title },
      category: [{ coding: [{ system: 'http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category', code: 'clinical-note', display: 'Clinical Note' }] }],
      subject: this.p.subject,
      date: signed,
      author: [{ reference: authorRef, display: authorName }],
      authenticator: { reference: authorRef, display: authorName },
      custodian: { reference: this.ctx.practice.organizationRef },
      description: `${title} for ${this.p.display}`,
      content: [
        {
          attachment: {
            contentType: 'text/plain; charset=utf-8',
            language: 'en',
            data: Buffer.from(`${title}\n${this.p.display}, ${localDate(start)}\n\n${text}\n\nElectronically signed by ${authorName} at ${signed}.\n`, 'utf8').toString('base64'),
            title,
            creation: signed,
          },
        },
      ],
      context: { encounter: [{ reference: `Encounter/${encounterId}` }], period: { start: localDateTime(start), end: localDateTime(end) } },
    };
    if (sensitive) {
      doc.meta = {
        security: [
          { system: ACT_CODE, code: sensitive.code, display: sensitive.display },
          { system: CONFIDENTIALITY, code: 'R', display: 'restricted' },
        ],
      };
      doc.securityLabel = [{ coding: [{ system: ACT_CODE, code: sensitive.code, display: sensitive.display }] }];
    }
    return doc;
  }
}
