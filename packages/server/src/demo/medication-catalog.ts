/**
 * The drugs the demo prescribes or records allergies to: RxNorm ingredient codes (RXCUI)
 * taken from ../shared/data/knowledge/ndfrt-rxnorm-ingredients.csv (checked by
 * demo-catalogs.test.ts when that folder exists), with the doses a clinician would write.
 * The demo runs without ../shared: this list is its own copy.
 */

export const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

export interface Drug {
  /** RxNorm ingredient concept. */
  rxcui: string;
  /** Ingredient name as in RxNorm (lower case). */
  name: string;
  /** Usual orders: strength and the instruction text, with doses per day (0 = as needed). */
  doses: readonly { strength: string; text: string; perDay: number }[];
}

const drug = (rxcui: string, name: string, doses: Drug['doses']): Drug => ({ rxcui, name, doses });

/** Drugs by a short key used in the generator. */
export const DRUGS = {
  lithium: drug('42351', 'lithium carbonate', [
    { strength: '300 mg capsule', text: '300 mg by mouth twice daily', perDay: 2 },
    { strength: '300 mg capsule', text: '600 mg by mouth at bedtime', perDay: 1 },
    { strength: '450 mg extended-release tablet', text: '450 mg by mouth twice daily', perDay: 2 },
  ]),
  ibuprofen: drug('5640', 'ibuprofen', [
    { strength: '400 mg tablet', text: '400 mg by mouth every 8 hours as needed for pain, with food', perDay: 0 },
    { strength: '600 mg tablet', text: '600 mg by mouth three times daily with food', perDay: 3 },
  ]),
  naproxen: drug('7258', 'naproxen', [{ strength: '500 mg tablet', text: '500 mg by mouth twice daily with food', perDay: 2 }]),
  meloxicam: drug('41493', 'meloxicam', [{ strength: '15 mg tablet', text: '15 mg by mouth once daily', perDay: 1 }]),
  acetaminophen: drug('161', 'acetaminophen', [{ strength: '500 mg tablet', text: '1000 mg by mouth every 8 hours as needed for pain', perDay: 0 }]),
  sertraline: drug('36437', 'sertraline', [
    { strength: '50 mg tablet', text: '50 mg by mouth once daily', perDay: 1 },
    { strength: '100 mg tablet', text: '100 mg by mouth once daily', perDay: 1 },
  ]),
  escitalopram: drug('321988', 'escitalopram', [
    { strength: '10 mg tablet', text: '10 mg by mouth once daily', perDay: 1 },
    { strength: '20 mg tablet', text: '20 mg by mouth once daily', perDay: 1 },
  ]),
  fluoxetine: drug('4493', 'fluoxetine', [
    { strength: '20 mg capsule', text: '20 mg by mouth every morning', perDay: 1 },
    { strength: '40 mg capsule', text: '40 mg by mouth every morning', perDay: 1 },
  ]),
  bupropion: drug('42347', 'bupropion', [{ strength: '150 mg extended-release tablet', text: '150 mg by mouth every morning', perDay: 1 }]),
  mirtazapine: drug('15996', 'mirtazapine', [{ strength: '15 mg tablet', text: '15 mg by mouth at bedtime', perDay: 1 }]),
  venlafaxine: drug('39786', 'venlafaxine', [{ strength: '75 mg extended-release capsule', text: '75 mg by mouth once daily with food', perDay: 1 }]),
  duloxetine: drug('72625', 'duloxetine', [{ strength: '60 mg capsule', text: '60 mg by mouth once daily', perDay: 1 }]),
  buspirone: drug('1827', 'buspirone', [{ strength: '10 mg tablet', text: '10 mg by mouth twice daily', perDay: 2 }]),
  hydroxyzine: drug('5553', 'hydroxyzine', [{ strength: '25 mg tablet', text: '25 mg by mouth every 6 hours as needed for anxiety', perDay: 0 }]),
  clonazepam: drug('2598', 'clonazepam', [{ strength: '0.5 mg tablet', text: '0.5 mg by mouth twice daily as needed for panic', perDay: 0 }]),
  lamotrigine: drug('28439', 'lamotrigine', [{ strength: '100 mg tablet', text: '100 mg by mouth twice daily', perDay: 2 }]),
  valproate: drug('11118', 'valproic acid', [{ strength: '500 mg delayed-release tablet (divalproex)', text: '500 mg by mouth twice daily', perDay: 2 }]),
  quetiapine: drug('51272', 'quetiapine', [{ strength: '100 mg tablet', text: '100 mg by mouth at bedtime', perDay: 1 }]),
  aripiprazole: drug('89013', 'aripiprazole', [{ strength: '10 mg tablet', text: '10 mg by mouth once daily', perDay: 1 }]),
  risperidone: drug('35636', 'risperidone', [{ strength: '2 mg tablet', text: '2 mg by mouth at bedtime', perDay: 1 }]),
  olanzapine: drug('61381', 'olanzapine', [{ strength: '10 mg tablet', text: '10 mg by mouth at bedtime', perDay: 1 }]),
  clozapine: drug('2626', 'clozapine', [{ strength: '100 mg tablet', text: '200 mg by mouth at bedtime', perDay: 1 }]),
  prazosin: drug('8629', 'prazosin', [{ strength: '1 mg capsule', text: '2 mg by mouth at bedtime for nightmares', perDay: 1 }]),
  methylphenidate: drug('6901', 'methylphenidate', [{ strength: '18 mg extended-release tablet', text: '18 mg by mouth every morning', perDay: 1 }]),
  lisdexamfetamine: drug('700810', 'lisdexamfetamine', [{ strength: '30 mg capsule', text: '30 mg by mouth every morning', perDay: 1 }]),
  atomoxetine: drug('38400', 'atomoxetine', [{ strength: '40 mg capsule', text: '40 mg by mouth once daily', perDay: 1 }]),
  naltrexone: drug('7243', 'naltrexone', [{ strength: '50 mg tablet', text: '50 mg by mouth once daily', perDay: 1 }]),
  trazodone: drug('10737', 'trazodone', [{ strength: '50 mg tablet', text: '50 mg by mouth at bedtime as needed for sleep', perDay: 0 }]),
  zolpidem: drug('39993', 'zolpidem', [{ strength: '5 mg tablet', text: '5 mg by mouth at bedtime as needed for sleep', perDay: 0 }]),
  tramadol: drug('10689', 'tramadol', [{ strength: '50 mg tablet', text: '50 mg by mouth every 6 hours as needed for pain', perDay: 0 }]),
  lisinopril: drug('29046', 'lisinopril', [
    { strength: '10 mg tablet', text: '10 mg by mouth once daily', perDay: 1 },
    { strength: '20 mg tablet', text: '20 mg by mouth once daily', perDay: 1 },
  ]),
  losartan: drug('52175', 'losartan', [{ strength: '50 mg tablet', text: '50 mg by mouth once daily', perDay: 1 }]),
  amlodipine: drug('17767', 'amlodipine', [{ strength: '5 mg tablet', text: '5 mg by mouth once daily', perDay: 1 }]),
  hydrochlorothiazide: drug('5487', 'hydrochlorothiazide', [{ strength: '25 mg tablet', text: '25 mg by mouth every morning', perDay: 1 }]),
  metformin: drug('6809', 'metformin', [
    { strength: '500 mg tablet', text: '500 mg by mouth twice daily with meals', perDay: 2 },
    { strength: '1000 mg tablet', text: '1000 mg by mouth twice daily with meals', perDay: 2 },
  ]),
  atorvastatin: drug('83367', 'atorvastatin', [
    { strength: '20 mg tablet', text: '20 mg by mouth at bedtime', perDay: 1 },
    { strength: '40 mg tablet', text: '40 mg by mouth at bedtime', perDay: 1 },
  ]),
  rosuvastatin: drug('301542', 'rosuvastatin', [{ strength: '10 mg tablet', text: '10 mg by mouth once daily', perDay: 1 }]),
  simvastatin: drug('36567', 'simvastatin', [{ strength: '20 mg tablet', text: '20 mg by mouth at bedtime', perDay: 1 }]),
  levothyroxine: drug('10582', 'levothyroxine', [
    { strength: '50 mcg tablet', text: '50 mcg by mouth every morning on an empty stomach', perDay: 1 },
    { strength: '100 mcg tablet', text: '100 mcg by mouth every morning on an empty stomach', perDay: 1 },
  ]),
  albuterol: drug('435', 'albuterol', [{ strength: '90 mcg/actuation inhaler', text: '2 puffs every 4 to 6 hours as needed for wheeze', perDay: 0 }]),
  fluticasone: drug('41126', 'fluticasone', [{ strength: '110 mcg/actuation inhaler', text: '2 puffs twice daily; rinse mouth after use', perDay: 2 }]),
  montelukast: drug('88249', 'montelukast', [{ strength: '10 mg tablet', text: '10 mg by mouth every evening', perDay: 1 }]),
  omeprazole: drug('7646', 'omeprazole', [{ strength: '20 mg capsule', text: '20 mg by mouth once daily before breakfast', perDay: 1 }]),
  sumatriptan: drug('37418', 'sumatriptan', [{ strength: '50 mg tablet', text: '50 mg by mouth at migraine onset; may repeat once after 2 hours', perDay: 0 }]),
  warfarin: drug('11289', 'warfarin', [{ strength: '5 mg tablet', text: '5 mg by mouth once daily in the evening, dose per INR', perDay: 1 }]),
  cetirizine: drug('20610', 'cetirizine', [{ strength: '10 mg tablet', text: '10 mg by mouth once daily', perDay: 1 }]),
  propranolol: drug('8787', 'propranolol', [{ strength: '10 mg tablet', text: '10 mg by mouth as needed before performances', perDay: 0 }]),
  // Allergens only (never prescribed by the generator).
  penicillin: drug('70618', 'penicillin', []),
  amoxicillin: drug('723', 'amoxicillin', []),
  cephalexin: drug('2231', 'cephalexin', []),
  sulfamethoxazole: drug('10180', 'sulfamethoxazole', []),
  codeine: drug('2670', 'codeine', []),
  aspirin: drug('1191', 'aspirin', []),
} as const satisfies Record<string, Drug>;

export type DrugKey = keyof typeof DRUGS;
