/**
 * The clinical make-up of a random demo patient: which problems they have at their age
 * (rough primary care and outpatient psychiatry prevalences) and the drug groups the
 * generator reasons about.
 */
import type { ConditionKey } from './condition-catalog.js';
import type { DrugKey } from './medication-catalog.js';
import type { ClinicianKey } from './practice.js';
import type { Prng } from './prng.js';

/** An active prescription in a patient's chart. */
export interface Prescription {
  drug: DrugKey;
  condition: ConditionKey;
  /** Days before now it was started. */
  startedDaysAgo: number;
  by: ClinicianKey;
}

/** Drugs a psychiatrist prescribes (the rest come from primary care). */
export const PSYCH_DRUGS = new Set<DrugKey>([
  'lithium', 'sertraline', 'escitalopram', 'fluoxetine', 'bupropion', 'mirtazapine', 'venlafaxine', 'duloxetine', 'buspirone', 'hydroxyzine',
  'clonazepam', 'lamotrigine', 'valproate', 'quetiapine', 'aripiprazole', 'risperidone', 'olanzapine', 'clozapine', 'prazosin', 'methylphenidate',
  'lisdexamfetamine', 'atomoxetine', 'naltrexone',
]);
export const NSAIDS = new Set<DrugKey>(['ibuprofen', 'naproxen', 'meloxicam']);
export const DEPRESSION = new Set<ConditionKey>(['mddSingle', 'mddRecurrent', 'bipolar2', 'bipolarRemission', 'ptsd']);
export const ANXIETY = new Set<ConditionKey>(['gad', 'panic', 'ptsd', 'adjustment', 'ocd']);

/** Problems of a random patient of `age` years. */
export function randomConditions(rng: Prng, age: number, gender: string): ConditionKey[] {
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
