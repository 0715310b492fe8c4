/**
 * One demo patient's chart: Patient, Coverage, problems (ICD-10-CM), allergies, active
 * prescriptions (RxNorm), years of visits (Encounter) with vital signs, laboratory trends
 * and questionnaire scores (LOINC Observations), and now and then a signed note. Everything
 * comes from a generator seeded by the demo seed and the patient's number, so a patient is
 * the same whatever else is generated.
 */
import type { AllergyIntolerance, Condition, Coverage, MedicationRequest, Patient, Reference, Resource } from '@medplum/fhirtypes';
import { ALLERGIES, ALLERGY_PREVALENCE, SNOMED } from './allergy-catalog.js';
import type { AllergyKey } from './allergy-catalog.js';
import { CONDITIONS, ICD10CM } from './condition-catalog.js';
import type { ConditionKey } from './condition-catalog.js';
import { addDays, dayStart, localDate } from './demo-time.js';
import { FEATURED_PATIENTS } from './featured-patients.js';
import type { FeaturedPatient } from './featured-patients.js';
import { NAME_GROUPS, STREETS, TOWNS } from './name-catalog.js';
import type { NameGroup } from './name-catalog.js';
import { DRUGS, RXNORM } from './medication-catalog.js';
import type { DrugKey } from './medication-catalog.js';
import { ChartWriter } from './chart-writer.js';
import { DEPRESSION, PSYCH_DRUGS, randomConditions } from './clinical-profile.js';
import type { Prescription } from './clinical-profile.js';
import { planVisits } from './visit-plan.js';
import { externalMedications } from './external-medications.js';
import type { ClinicianKey } from './practice.js';
import type { DemoContext } from './demo-context.js';
import { Prng } from './prng.js';

export const MRN_SYSTEM = 'https://riverside-practice.example/fhir/mrn';

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
  resources.push(...externalMedications(featured, subject, key, today));

  // Visits over the years.
  const visits = planVisits(rng, { age, historyDays, pcp, conditions, onsetDaysAgo, prescriptions, psychiatry, therapy, featured });
  const chart = new ChartWriter(ctx, rng, { index, subject, key, age, gender, conditions, prescriptions, onsetDaysAgo, historyDays, featured, display });
  for (const v of visits) resources.push(...chart.visit(v));

  return {
    resources,
    summary: { index, ref: patientRef, display, pcp, psychiatry, therapy, today: featured?.today },
  };
}
