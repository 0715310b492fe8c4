/**
 * Allergies and intolerances in the demo: drugs coded by RxNorm ingredient (from
 * medication-catalog.ts), foods and environmental allergens by the SNOMED CT codes the
 * Synthea sample data uses (../shared/data/synthea-r4). Reactions are given as text.
 */
import { DRUGS, RXNORM } from './medication-catalog.js';

export const SNOMED = 'http://snomed.info/sct';

export interface AllergyKind {
  system: string;
  code: string;
  display: string;
  category: 'medication' | 'food' | 'environment';
  type: 'allergy' | 'intolerance';
  /** Reactions that may be recorded, with their severity. */
  reactions: readonly { text: string; severity: 'mild' | 'moderate' | 'severe' }[];
  criticality: 'low' | 'high';
}

const drug = (key: keyof typeof DRUGS, type: AllergyKind['type'], criticality: AllergyKind['criticality'], reactions: AllergyKind['reactions']): AllergyKind => ({
  system: RXNORM,
  code: DRUGS[key].rxcui,
  display: DRUGS[key].name,
  category: 'medication',
  type,
  reactions,
  criticality,
});
const snomed = (code: string, display: string, category: AllergyKind['category'], criticality: AllergyKind['criticality'], reactions: AllergyKind['reactions']): AllergyKind => ({
  system: SNOMED,
  code,
  display,
  category,
  type: 'allergy',
  reactions,
  criticality,
});

const HIVES = { text: 'Hives', severity: 'moderate' } as const;
const RASH = { text: 'Skin rash', severity: 'mild' } as const;
const ANAPHYLAXIS = { text: 'Anaphylaxis', severity: 'severe' } as const;
const NAUSEA = { text: 'Nausea and vomiting', severity: 'mild' } as const;
const SNEEZING = { text: 'Sneezing and itchy eyes', severity: 'mild' } as const;

export const ALLERGIES = {
  penicillin: drug('penicillin', 'allergy', 'high', [HIVES, ANAPHYLAXIS, RASH]),
  amoxicillin: drug('amoxicillin', 'allergy', 'low', [RASH, HIVES]),
  cephalexin: drug('cephalexin', 'allergy', 'low', [RASH]),
  sulfamethoxazole: drug('sulfamethoxazole', 'allergy', 'high', [RASH, HIVES]),
  codeine: drug('codeine', 'intolerance', 'low', [NAUSEA]),
  ibuprofen: drug('ibuprofen', 'intolerance', 'low', [{ text: 'Wheezing (NSAID-exacerbated)', severity: 'moderate' }]),
  aspirin: drug('aspirin', 'allergy', 'high', [{ text: 'Bronchospasm', severity: 'severe' }, HIVES]),
  lamotrigine: drug('lamotrigine', 'allergy', 'high', [{ text: 'Widespread rash (stopped at once)', severity: 'severe' }]),
  peanut: snomed('91935009', 'Allergy to peanuts', 'food', 'high', [ANAPHYLAXIS, HIVES]),
  shellfish: snomed('300913006', 'Shellfish allergy', 'food', 'high', [HIVES, ANAPHYLAXIS]),
  latex: snomed('300916003', 'Latex allergy', 'environment', 'low', [RASH, HIVES]),
  beeVenom: snomed('424213003', 'Allergy to bee venom', 'environment', 'high', [ANAPHYLAXIS, HIVES]),
  dustMite: snomed('232350006', 'House dust mite allergy', 'environment', 'low', [SNEEZING]),
  treePollen: snomed('419263009', 'Allergy to tree pollen', 'environment', 'low', [SNEEZING]),
  grassPollen: snomed('418689008', 'Allergy to grass pollen', 'environment', 'low', [SNEEZING]),
  dander: snomed('232347008', 'Dander (animal) allergy', 'environment', 'low', [SNEEZING]),
} as const satisfies Record<string, AllergyKind>;

export type AllergyKey = keyof typeof ALLERGIES;

/** How often each allergy is recorded in a random patient. */
export const ALLERGY_PREVALENCE: readonly (readonly [AllergyKey, number])[] = [
  ['penicillin', 0.08],
  ['sulfamethoxazole', 0.03],
  ['codeine', 0.02],
  ['amoxicillin', 0.01],
  ['cephalexin', 0.008],
  ['ibuprofen', 0.01],
  ['aspirin', 0.005],
  ['lamotrigine', 0.004],
  ['peanut', 0.02],
  ['shellfish', 0.02],
  ['latex', 0.01],
  ['beeVenom', 0.008],
  ['dustMite', 0.04],
  ['treePollen', 0.04],
  ['grassPollen', 0.03],
  ['dander', 0.03],
];
