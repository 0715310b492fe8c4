/**
 * The problems the demo practice treats, coded in ICD-10-CM (FY2026 billable codes; display
 * is the long description of ../shared/data/terminology/icd10cm-2026-billable.tsv, checked by
 * demo-catalogs.test.ts when that file exists), with how each is usually treated.
 */
import type { DrugKey } from './medication-catalog.js';

export const ICD10CM = 'http://hl7.org/fhir/sid/icd-10-cm';

export interface ConditionKind {
  code: string;
  display: string;
  /** Who manages it: primary care or psychiatry; acute problems resolve. */
  area: 'primary' | 'psychiatry' | 'acute';
  /** First-line choices: the generator picks one (or the featured patient names one). */
  treatments: readonly DrugKey[];
}

const c = (code: string, display: string, area: ConditionKind['area'], treatments: readonly DrugKey[] = []): ConditionKind => ({ code, display, area, treatments });

export const CONDITIONS = {
  hypertension: c('I10', 'Essential (primary) hypertension', 'primary', ['lisinopril', 'amlodipine', 'losartan', 'hydrochlorothiazide']),
  diabetes: c('E11.9', 'Type 2 diabetes mellitus without complications', 'primary', ['metformin']),
  diabetesHyper: c('E11.65', 'Type 2 diabetes mellitus with hyperglycemia', 'primary', ['metformin']),
  prediabetes: c('R73.03', 'Prediabetes', 'primary'),
  hyperlipidemia: c('E78.5', 'Hyperlipidemia, unspecified', 'primary', ['atorvastatin', 'rosuvastatin', 'simvastatin']),
  hypothyroidism: c('E03.9', 'Hypothyroidism, unspecified', 'primary', ['levothyroxine']),
  asthma: c('J45.909', 'Unspecified asthma, uncomplicated', 'primary', ['albuterol']),
  gerd: c('K21.9', 'Gastro-esophageal reflux disease without esophagitis', 'primary', ['omeprazole']),
  kneeOa: c('M17.9', 'Osteoarthritis of knee, unspecified', 'primary', ['ibuprofen', 'naproxen', 'meloxicam', 'acetaminophen']),
  backPain: c('M54.50', 'Low back pain, unspecified', 'primary', ['naproxen', 'ibuprofen', 'acetaminophen']),
  obesity: c('E66.9', 'Obesity, unspecified', 'primary'),
  migraine: c('G43.909', 'Migraine, unspecified, not intractable, without status migrainosus', 'primary', ['sumatriptan']),
  afib: c('I48.91', 'Unspecified atrial fibrillation', 'primary', ['warfarin']),
  ckd3: c('N18.30', 'Chronic kidney disease, stage 3 unspecified', 'primary'),
  rhinitis: c('J30.9', 'Allergic rhinitis, unspecified', 'primary', ['cetirizine']),
  insomnia: c('G47.00', 'Insomnia, unspecified', 'primary', ['trazodone', 'zolpidem']),
  vitaminD: c('E55.9', 'Vitamin D deficiency, unspecified', 'primary'),
  atopicDermatitis: c('L20.9', 'Atopic dermatitis, unspecified', 'primary'),
  dementia: c('F03.90', 'Unspecified dementia, unspecified severity, without behavioral disturbance, psychotic disturbance, mood disturbance, and anxiety', 'primary'),
  mddSingle: c('F32.1', 'Major depressive disorder, single episode, moderate', 'psychiatry', ['sertraline', 'escitalopram', 'fluoxetine', 'bupropion']),
  mddRecurrent: c('F33.1', 'Major depressive disorder, recurrent, moderate', 'psychiatry', ['sertraline', 'escitalopram', 'venlafaxine', 'duloxetine', 'mirtazapine']),
  gad: c('F41.1', 'Generalized anxiety disorder', 'psychiatry', ['escitalopram', 'sertraline', 'buspirone']),
  panic: c('F41.0', 'Panic disorder [episodic paroxysmal anxiety]', 'psychiatry', ['sertraline']),
  bipolar2: c('F31.81', 'Bipolar II disorder', 'psychiatry', ['lamotrigine', 'lithium', 'quetiapine']),
  bipolarRemission: c('F31.70', 'Bipolar disorder, currently in remission, most recent episode unspecified', 'psychiatry', ['lithium', 'valproate']),
  ptsd: c('F43.10', 'Post-traumatic stress disorder, unspecified', 'psychiatry', ['sertraline']),
  adhd: c('F90.2', 'Attention-deficit hyperactivity disorder, combined type', 'psychiatry', ['methylphenidate', 'lisdexamfetamine', 'atomoxetine']),
  schizophrenia: c('F20.9', 'Schizophrenia, unspecified', 'psychiatry', ['aripiprazole', 'risperidone', 'olanzapine', 'clozapine']),
  alcohol: c('F10.20', 'Alcohol dependence, uncomplicated', 'psychiatry', ['naltrexone']),
  ocd: c('F42.2', 'Mixed obsessional thoughts and acts', 'psychiatry', ['fluoxetine']),
  adjustment: c('F43.22', 'Adjustment disorder with anxiety', 'psychiatry'),
  uri: c('J06.9', 'Acute upper respiratory infection, unspecified', 'acute'),
  uti: c('N39.0', 'Urinary tract infection, site not specified', 'acute'),
  otitis: c('H66.90', 'Otitis media, unspecified, unspecified ear', 'acute'),
} as const satisfies Record<string, ConditionKind>;

export type ConditionKey = keyof typeof CONDITIONS;
