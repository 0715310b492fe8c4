/**
 * A patient's medication context for checking: the current medication orders and statements
 * and the allergy list, read from the store.
 */
import type { AllergyIntolerance, MedicationRequest, MedicationStatement, Patient } from '@medplum/fhirtypes';
import { isCurrentMedication, notFound, parseSearchRequest } from '@chartroom/core';
import type { MedicationResource } from '@chartroom/core';
import type { FhirRepository } from '../../store/fhir-repository.js';

export interface MedicationContext {
  patient: Patient;
  /** Current orders and statements (active, on hold, intended). */
  medications: MedicationResource[];
  allergies: AllergyIntolerance[];
}

async function all<T>(repo: FhirRepository, type: string, query: Record<string, string>): Promise<T[]> {
  const res = await repo.search(parseSearchRequest(type, { ...query, _count: '1000' }));
  return res.matches.map((m) => JSON.parse(m.json) as T);
}

/** Reads the patient (404 when unknown) with their current medications and allergies. */
export async function loadMedicationContext(repo: FhirRepository, patientId: string): Promise<MedicationContext> {
  const found = await repo.readCurrent('Patient', patientId);
  if (!found || found.deleted) throw notFound(`Patient/${patientId} not found`);
  const subject = `Patient/${patientId}`;
  const [requests, statements, allergies] = await Promise.all([
    all<MedicationRequest>(repo, 'MedicationRequest', { subject }),
    all<MedicationStatement>(repo, 'MedicationStatement', { subject }),
    all<AllergyIntolerance>(repo, 'AllergyIntolerance', { patient: subject }),
  ]);
  return {
    patient: JSON.parse(found.json) as Patient,
    medications: [...requests, ...statements].filter((m) => m.status !== 'draft' && isCurrentMedication(m)),
    allergies,
  };
}
