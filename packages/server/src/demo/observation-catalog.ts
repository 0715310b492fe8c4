/**
 * Vital signs, laboratory tests and scores the demo records, coded in LOINC. Names, UCUM
 * units and normal/critical limits are copied from ../shared/data/terminology/
 * loinc-lab-ranges.tsv (one institution's defaults, derived from the NLM flowsheet-lhc
 * project; LOINC codes and names © Regenstrief Institute, Inc., loinc.org/terms-of-use);
 * demo-catalogs.test.ts checks them against that file when it exists. Weight, height and
 * BMI are recorded in kg, cm and kg/m2 without a range; the panel code 85354-9 and BMI
 * 39156-5 are not in that file.
 */

export const LOINC = 'http://loinc.org';
export const UCUM = 'http://unitsofmeasure.org';

export interface ObservationKind {
  loinc: string;
  /** LOINC long common name. */
  name: string;
  category: 'vital-signs' | 'laboratory' | 'survey';
  /** UCUM code of the value. */
  ucum: string;
  /** Unit as shown to people. */
  unit: string;
  /** Normal range and critical limits from loinc-lab-ranges.tsv (absent where it has none). */
  low?: number;
  high?: number;
  criticalLow?: number;
  criticalHigh?: number;
  /** Decimals the value is reported with. */
  decimals: number;
  /** True for drug levels, whose range is a therapeutic one. */
  therapeutic?: boolean;
}

const kind = (k: ObservationKind): ObservationKind => k;

export const OBSERVATIONS = {
  bpPanel: kind({ loinc: '85354-9', name: 'Blood pressure panel with all children optional', category: 'vital-signs', ucum: 'mm[Hg]', unit: 'mmHg', decimals: 0 }),
  systolic: kind({ loinc: '8480-6', name: 'Systolic blood pressure', category: 'vital-signs', ucum: 'mm[Hg]', unit: 'mmHg', low: 90, high: 130, criticalLow: 90, criticalHigh: 200, decimals: 0 }),
  diastolic: kind({ loinc: '8462-4', name: 'Diastolic blood pressure', category: 'vital-signs', ucum: 'mm[Hg]', unit: 'mmHg', low: 60, high: 85, criticalLow: 40, criticalHigh: 130, decimals: 0 }),
  heartRate: kind({ loinc: '8867-4', name: 'Heart rate', category: 'vital-signs', ucum: '{beats}/min', unit: 'beats/min', low: 60, high: 100, criticalLow: 40, criticalHigh: 130, decimals: 0 }),
  weight: kind({ loinc: '29463-7', name: 'Body weight', category: 'vital-signs', ucum: 'kg', unit: 'kg', decimals: 1 }),
  height: kind({ loinc: '8302-2', name: 'Body height', category: 'vital-signs', ucum: 'cm', unit: 'cm', decimals: 1 }),
  bmi: kind({ loinc: '39156-5', name: 'Body mass index (BMI) [Ratio]', category: 'vital-signs', ucum: 'kg/m2', unit: 'kg/m2', decimals: 1 }),
  hba1c: kind({ loinc: '4548-4', name: 'Hemoglobin A1c/Hemoglobin.total in Blood', category: 'laboratory', ucum: '%', unit: '%', low: 3.8, high: 6.4, decimals: 1 }),
  cholesterol: kind({ loinc: '2093-3', name: 'Cholesterol [Mass/volume] in Serum or Plasma', category: 'laboratory', ucum: 'mg/dL', unit: 'mg/dL', low: 140, high: 200, decimals: 0 }),
  hdl: kind({ loinc: '2085-9', name: 'Cholesterol in HDL [Mass/volume] in Serum or Plasma', category: 'laboratory', ucum: 'mg/dL', unit: 'mg/dL', low: 35, high: 200, decimals: 0 }),
  ldl: kind({ loinc: '13457-7', name: 'Cholesterol in LDL [Mass/volume] in Serum or Plasma by calculation', category: 'laboratory', ucum: 'mg/dL', unit: 'mg/dL', low: 50, high: 130, decimals: 0 }),
  triglycerides: kind({ loinc: '2571-8', name: 'Triglyceride [Mass/volume] in Serum or Plasma', category: 'laboratory', ucum: 'mg/dL', unit: 'mg/dL', low: 0, high: 150, decimals: 0 }),
  tsh: kind({ loinc: '3016-3', name: 'Thyrotropin [Units/volume] in Serum or Plasma', category: 'laboratory', ucum: '{mcU}/ml', unit: 'µIU/mL', low: 0.4, high: 4.2, decimals: 2 }),
  lithium: kind({ loinc: '14334-7', name: 'Lithium [Moles/volume] in Serum or Plasma', category: 'laboratory', ucum: 'mmol/L', unit: 'mmol/L', low: 0.8, high: 1.2, decimals: 2, therapeutic: true }),
  valproate: kind({ loinc: '4086-5', name: 'Valproate [Mass/volume] in Serum or Plasma', category: 'laboratory', ucum: 'ug/mL', unit: 'µg/mL', low: 50, high: 100, decimals: 0, therapeutic: true }),
  creatinine: kind({ loinc: '2160-0', name: 'Creatinine [Mass/volume] in Serum or Plasma', category: 'laboratory', ucum: 'mg/dL', unit: 'mg/dL', low: 0.4, high: 1.5, decimals: 2 }),
  sodium: kind({ loinc: '2951-2', name: 'Sodium [Moles/volume] in Serum or Plasma', category: 'laboratory', ucum: 'mmol/L', unit: 'mmol/L', low: 136, high: 145, decimals: 0 }),
  potassium: kind({ loinc: '2823-3', name: 'Potassium [Moles/volume] in Serum or Plasma', category: 'laboratory', ucum: 'mmol/L', unit: 'mmol/L', low: 3.5, high: 5, decimals: 1 }),
  glucose: kind({ loinc: '2345-7', name: 'Glucose [Mass/volume] in Serum or Plasma', category: 'laboratory', ucum: 'mg/dL', unit: 'mg/dL', low: 70, high: 115, decimals: 0 }),
  alt: kind({ loinc: '1742-6', name: 'Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma', category: 'laboratory', ucum: 'U/L', unit: 'U/L', low: 7, high: 55, decimals: 0 }),
  // INR: the file's normal range is 0–2.5 (critical high 3.5); on warfarin the generator reports the therapeutic 2.0–3.0 instead.
  inr: kind({ loinc: '6301-6', name: 'INR in Platelet poor plasma by Coagulation assay', category: 'laboratory', ucum: '{INR}', unit: 'INR', low: 0, high: 2.5, criticalHigh: 3.5, decimals: 1 }),
  phq9: kind({ loinc: '44261-6', name: 'Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]', category: 'survey', ucum: '{score}', unit: 'score', decimals: 0 }),
  gad7: kind({ loinc: '70274-6', name: 'Generalized anxiety disorder 7 item (GAD-7) total score [Reported.PHQ]', category: 'survey', ucum: '{score}', unit: 'score', decimals: 0 }),
} as const satisfies Record<string, ObservationKind>;

export type ObservationKey = keyof typeof OBSERVATIONS;

/** LOINC codes of the panel and BMI, which loinc-lab-ranges.tsv does not list. */
export const NOT_IN_RANGE_FILE: readonly string[] = ['85354-9', '39156-5'];
