/**
 * The first patients of every demo practice: people whose charts show what Chartroom is
 * for — names with accents and other scripts' letters, the youngest and oldest ages, and
 * drug combinations an interaction check must catch (lithium + NSAID, SSRI + tramadol,
 * warfarin + NSAID, lithium + ACE inhibitor + thiazide). Everything else about them
 * (addresses, visit dates, values) still comes from the seed.
 */
import type { ConditionKey } from './condition-catalog.js';
import type { DrugKey } from './medication-catalog.js';
import type { ClinicianKey } from './practice.js';
import type { AllergyKey } from './allergy-catalog.js';

export interface FeaturedPatient {
  given: string[];
  family: string;
  /** Written family name first (Vietnamese). */
  familyFirst?: boolean;
  gender: 'female' | 'male' | 'other';
  age: number;
  language?: { code: string; display: string };
  pcp: ClinicianKey;
  conditions: ConditionKey[];
  /** Active prescriptions: drug, the condition it treats, and days since it was started. */
  drugs: [DrugKey, ConditionKey, number][];
  allergies: AllergyKey[];
  /** Sees the psychotherapist too. */
  therapy?: boolean;
  /** A signed note at the last visit, in the clinician's words. */
  note?: { by: ClinicianKey; text: string };
  /** Has an appointment today with this clinician. */
  today?: ClinicianKey;
}

export const FEATURED_PATIENTS: readonly FeaturedPatient[] = [
  {
    given: ['José'],
    family: 'Muñoz',
    gender: 'male',
    age: 58,
    language: { code: 'es', display: 'Spanish' },
    pcp: 'familyPhysician',
    conditions: ['bipolarRemission', 'kneeOa', 'hypertension'],
    drugs: [
      ['lithium', 'bipolarRemission', 2900],
      ['ibuprofen', 'kneeOa', 21],
      ['amlodipine', 'hypertension', 800],
    ],
    allergies: ['penicillin'],
    today: 'psychiatrist',
    note: {
      by: 'psychiatrist',
      text:
        'Bipolar disorder, in remission on lithium carbonate for eight years. Mood stable, sleeping well, no manic or depressive symptoms. ' +
        'Started ibuprofen three weeks ago for right knee pain (prescribed at primary care). Mild tremor since. Lithium level today 1.4 mmol/L (was 0.9). ' +
        'Plan: stop ibuprofen, acetaminophen for knee pain instead; recheck lithium level and creatinine in 5 days; discussed signs of toxicity.',
    },
  },
  {
    given: ['Zoë'],
    family: 'Brontë',
    gender: 'female',
    age: 41,
    language: { code: 'fr', display: 'French' },
    pcp: 'nursePractitioner',
    conditions: ['mddRecurrent', 'backPain'],
    drugs: [
      ['sertraline', 'mddRecurrent', 600],
      ['tramadol', 'backPain', 10],
    ],
    allergies: ['sulfamethoxazole'],
    therapy: true,
    today: 'psychotherapist',
    note: {
      by: 'psychotherapist',
      text:
        'Session 14 (CBT). Reviewed thought records about work. Reports low mood improving, PHQ-9 down to 9. Describes a new prescription for back pain and some restlessness ' +
        'and sweating this week; advised to call her prescriber today. Homework: behavioural activation plan, two walks per week.',
    },
  },
  {
    given: ['Thị', 'Lan'],
    family: 'Nguyễn',
    familyFirst: true,
    gender: 'female',
    age: 74,
    language: { code: 'vi', display: 'Vietnamese' },
    pcp: 'familyPhysician',
    conditions: ['afib', 'hypertension', 'kneeOa'],
    drugs: [
      ['warfarin', 'afib', 1500],
      ['lisinopril', 'hypertension', 2200],
      ['naproxen', 'kneeOa', 30],
    ],
    allergies: [],
    today: 'familyPhysician',
  },
  {
    given: ['Siobhán'],
    family: "O'Connor",
    gender: 'female',
    age: 29,
    pcp: 'nursePractitioner',
    conditions: ['gad', 'panic', 'migraine'],
    drugs: [
      ['escitalopram', 'gad', 400],
      ['clonazepam', 'panic', 120],
      ['sumatriptan', 'migraine', 700],
    ],
    allergies: ['penicillin', 'latex'],
    therapy: true,
    note: {
      by: 'psychotherapist',
      text:
        'Session 6. Panic attacks down from daily to twice a week. Practised interoceptive exposure (spinning, breath holding) with anxiety peaking at 60/100 and settling within 8 minutes. ' +
        'Explored her fear of fainting at work. Homework: daily exposure practice, panic diary.',
    },
  },
  {
    given: ['Björn'],
    family: 'Åberg',
    gender: 'male',
    age: 66,
    language: { code: 'sv', display: 'Swedish' },
    pcp: 'familyPhysician',
    conditions: ['diabetesHyper', 'hypertension', 'hyperlipidemia', 'ckd3'],
    drugs: [
      ['metformin', 'diabetesHyper', 1800],
      ['lisinopril', 'hypertension', 1900],
      ['atorvastatin', 'hyperlipidemia', 1700],
    ],
    allergies: ['sulfamethoxazole'],
    today: 'nursePractitioner',
    note: {
      by: 'familyPhysician',
      text:
        'Type 2 diabetes follow-up. HbA1c 7.1% (from 9.4% at diagnosis). eGFR stable in CKD stage 3; metformin dose kept at 1000 mg twice daily. BP 132/80 on lisinopril. ' +
        'Foot exam normal. Plan: continue current medicines, retinal screening referral, labs in 3 months.',
    },
  },
  {
    given: ['Mateo'],
    family: 'García',
    gender: 'male',
    age: 8,
    language: { code: 'es', display: 'Spanish' },
    pcp: 'nursePractitioner',
    conditions: ['adhd', 'asthma'],
    drugs: [
      ['methylphenidate', 'adhd', 300],
      ['albuterol', 'asthma', 900],
    ],
    allergies: ['peanut'],
  },
  {
    given: ['Dolores'],
    family: 'Castañeda',
    gender: 'female',
    age: 93,
    language: { code: 'es', display: 'Spanish' },
    pcp: 'familyPhysician',
    conditions: ['dementia', 'hypertension', 'hypothyroidism'],
    drugs: [
      ['amlodipine', 'hypertension', 2500],
      ['levothyroxine', 'hypothyroidism', 3000],
    ],
    allergies: ['codeine'],
  },
  {
    given: ['Jürgen'],
    family: 'Müller',
    gender: 'male',
    age: 47,
    pcp: 'familyPhysician',
    conditions: ['schizophrenia', 'hyperlipidemia'],
    drugs: [
      ['clozapine', 'schizophrenia', 2000],
      ['atorvastatin', 'hyperlipidemia', 600],
    ],
    allergies: [],
    today: 'psychiatrist',
  },
  {
    given: ['Łukasz'],
    family: 'Wójcik',
    gender: 'male',
    age: 36,
    language: { code: 'pl', display: 'Polish' },
    pcp: 'nursePractitioner',
    conditions: ['alcohol', 'mddSingle', 'gerd'],
    drugs: [
      ['naltrexone', 'alcohol', 200],
      ['bupropion', 'mddSingle', 200],
      ['omeprazole', 'gerd', 500],
    ],
    allergies: [],
    therapy: true,
  },
  {
    given: ['Chiamaka'],
    family: 'Okonkwo',
    gender: 'female',
    age: 33,
    pcp: 'nursePractitioner',
    conditions: ['ptsd', 'insomnia'],
    drugs: [
      ['sertraline', 'ptsd', 500],
      ['prazosin', 'ptsd', 300],
      ['trazodone', 'insomnia', 150],
    ],
    allergies: ['amoxicillin'],
    therapy: true,
  },
  {
    given: ['Mei-Ling'],
    family: 'Chen',
    gender: 'female',
    age: 52,
    pcp: 'familyPhysician',
    conditions: ['bipolar2', 'hypertension'],
    drugs: [
      ['lithium', 'bipolar2', 1200],
      ['lisinopril', 'hypertension', 90],
      ['hydrochlorothiazide', 'hypertension', 90],
    ],
    allergies: [],
  },
  {
    given: ['Hannah'],
    family: 'Walker',
    gender: 'female',
    age: 2,
    pcp: 'nursePractitioner',
    conditions: ['atopicDermatitis', 'otitis'],
    drugs: [],
    allergies: [],
  },
  {
    given: ['Omar'],
    family: 'Haddad',
    gender: 'male',
    age: 95,
    language: { code: 'ar', display: 'Arabic' },
    pcp: 'familyPhysician',
    conditions: ['afib', 'ckd3', 'hypertension'],
    drugs: [
      ['warfarin', 'afib', 3500],
      ['amlodipine', 'hypertension', 3000],
    ],
    allergies: ['aspirin'],
  },
  {
    given: ['Alex'],
    family: 'Kowalczyk',
    gender: 'other',
    age: 24,
    pcp: 'nursePractitioner',
    conditions: ['gad', 'adhd'],
    drugs: [
      ['sertraline', 'gad', 250],
      ['lisdexamfetamine', 'adhd', 700],
    ],
    allergies: [],
    therapy: true,
  },
];
