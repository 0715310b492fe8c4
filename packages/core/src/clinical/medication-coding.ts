/**
 * Reading the drug out of FHIR medication resources: the RxNorm coding of a MedicationRequest or
 * MedicationStatement (https://hl7.org/fhir/R4/medicationrequest.html) and of an
 * AllergyIntolerance, and whether the resource is current.
 */
import type { AllergyIntolerance, CodeableConcept, Medication, MedicationRequest, MedicationStatement } from '@medplum/fhirtypes';

/** The RxNorm code system URI. */
export const RXNORM_SYSTEM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

/** A medication order or statement the checker reads. */
export type MedicationResource = MedicationRequest | MedicationStatement;

/** The concept naming the drug: `medicationCodeableConcept`, or a contained Medication's `code`. */
export function medicationConcept(r: MedicationResource): CodeableConcept | undefined {
  if (r.medicationCodeableConcept) return r.medicationCodeableConcept;
  const ref = r.medicationReference?.reference;
  if (ref?.startsWith('#')) {
    const med = (r.contained ?? []).find((c): c is Medication => c.resourceType === 'Medication' && c.id === ref.slice(1));
    return med?.code;
  }
  return undefined;
}

/** The RxNorm codes of a concept. */
export function rxnormCodes(cc: CodeableConcept | undefined): string[] {
  return (cc?.coding ?? []).filter((c) => c.system === RXNORM_SYSTEM && typeof c.code === 'string' && c.code !== '').map((c) => c.code as string);
}

/** A human label for a concept: its text, else the first display, else the first code. */
export function conceptLabel(cc: CodeableConcept | undefined, fallback = 'unnamed drug'): string {
  return cc?.text ?? cc?.coding?.find((c) => c.display)?.display ?? cc?.coding?.[0]?.code ?? fallback;
}

/** True when an order or statement describes a drug the patient is taking (or will take). */
export function isCurrentMedication(r: MedicationResource): boolean {
  if (r.resourceType === 'MedicationRequest') return r.status === 'active' || r.status === 'on-hold' || r.status === 'draft' || r.status === undefined;
  return r.status === 'active' || r.status === 'intended' || r.status === 'on-hold';
}

/** True when an allergy record is current: not inactive/resolved and not refuted or entered in error. */
export function isCurrentAllergy(a: AllergyIntolerance): boolean {
  const clinical = a.clinicalStatus?.coding?.[0]?.code;
  const verification = a.verificationStatus?.coding?.[0]?.code;
  if (clinical === 'inactive' || clinical === 'resolved') return false;
  return verification !== 'refuted' && verification !== 'entered-in-error';
}
