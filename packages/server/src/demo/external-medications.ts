/**
 * Medications a featured demo patient takes that the practice did not prescribe (an urgent-care
 * antibiotic, an over-the-counter remedy), as MedicationStatements waiting for reconciliation.
 * Each interacts with the patient's own prescriptions, so medication reconciliation and the
 * whole-list check have something to find. RxNorm ingredient codes from
 * ../shared/data/knowledge (ndfrt-rxnorm-ingredients.csv; St John's wort also in
 * onc_high_priority_ddi_expanded.csv), checked by medication-demo.test.ts.
 */
import type { MedicationStatement, Patient, Reference } from '@medplum/fhirtypes';
import { addDays, localDate } from './demo-time.js';
import type { FeaturedPatient } from './featured-patients.js';
import { RXNORM } from './medication-catalog.js';

interface ExternalMedication {
  key: string;
  rxcui: string;
  name: string;
  text: string;
  dosage: string;
  startedDaysAgo: number;
  source: string;
}

/** By the featured patient's family name. */
const EXTERNAL: Readonly<Record<string, readonly ExternalMedication[]>> = {
  // Clozapine + ciprofloxacin (strong CYP1A2 inhibitor): clozapine levels rise.
  Müller: [{ key: 'ciprofloxacin', rxcui: '2551', name: 'ciprofloxacin', text: 'ciprofloxacin 500 mg tablet', dosage: '500 mg by mouth twice daily for 7 days', startedDaysAgo: 2, source: 'Urgent care discharge summary' }],
  // Escitalopram + St John's wort (serotonergic, self-medicated).
  "O'Connor": [{ key: 'st-johns-wort', rxcui: '258326', name: "st. john's wort", text: "St John's wort 300 mg capsule (over the counter)", dosage: '300 mg by mouth three times daily', startedDaysAgo: 40, source: 'Patient report' }],
};

/** The external MedicationStatements of a featured patient (none for others). */
export function externalMedications(featured: FeaturedPatient | undefined, subject: Reference<Patient>, key: (k: string) => string, today: Date): MedicationStatement[] {
  return (featured ? (EXTERNAL[featured.family] ?? []) : []).map((m) => ({
    resourceType: 'MedicationStatement',
    id: key(`MedicationStatement/${m.key}`),
    status: 'active',
    medicationCodeableConcept: { coding: [{ system: RXNORM, code: m.rxcui, display: m.name }], text: m.text },
    subject,
    effectivePeriod: { start: localDate(addDays(today, -m.startedDaysAgo)) },
    dateAsserted: localDate(addDays(today, -1)),
    informationSource: { display: m.source },
    dosage: [{ text: m.dosage }],
  }));
}
