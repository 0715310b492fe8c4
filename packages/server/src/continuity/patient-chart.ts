/**
 * A patient's chart read for summaries (the IPS, the printable summary, the downtime kit's
 * face sheet): everything in the patient's compartment, sorted into what a summary shows —
 * active problems, allergies, active medications, immunizations, latest results and vital
 * signs per code, the last signed note, coverage. Read straight from the store.
 */
import type {
  AllergyIntolerance,
  Condition,
  Consent,
  Coverage,
  DocumentReference,
  Immunization,
  MedicationRequest,
  MedicationStatement,
  Observation,
  Patient,
  Resource,
} from '@medplum/fhirtypes';
import type { FhirRepository } from '../store/fhir-repository.js';

/** The parts of a chart that summaries use. */
export interface PatientChart {
  patient: Patient;
  problems: Condition[];
  allergies: AllergyIntolerance[];
  medications: (MedicationRequest | MedicationStatement)[];
  immunizations: Immunization[];
  /** Latest laboratory result per code, newest first. */
  results: Observation[];
  /** Latest vital sign per code, newest first. */
  vitals: Observation[];
  /** Signed notes, newest first. */
  notes: DocumentReference[];
  coverage: Coverage[];
  consents: Consent[];
}

const INACTIVE_PROBLEM = new Set(['inactive', 'resolved', 'remission']);
const INACTIVE_ALLERGY = new Set(['inactive', 'resolved']);

function code(cc: { coding?: { code?: string }[] } | undefined): string | undefined {
  return cc?.coding?.[0]?.code;
}

function hasCategory(o: Observation, cat: string): boolean {
  return (o.category ?? []).some((c) => (c.coding ?? []).some((x) => x.code === cat));
}

function when(o: Observation): string {
  return o.effectiveDateTime ?? o.effectivePeriod?.start ?? o.issued ?? '';
}

/** The latest observation per code, newest first. */
function latestPerCode(obs: Observation[]): Observation[] {
  const by = new Map<string, Observation>();
  for (const o of obs) {
    const k = code(o.code) ?? o.code.text ?? o.id ?? '';
    const cur = by.get(k);
    if (!cur || when(o) > when(cur)) by.set(k, o);
  }
  return [...by.values()].sort((a, b) => when(b).localeCompare(when(a)));
}

/** Sorts resources (the patient's compartment) into a {@link PatientChart}. */
export function chartOf(patient: Patient, resources: readonly Resource[]): PatientChart {
  const of = <T extends Resource>(type: T['resourceType']): T[] => resources.filter((r) => r.resourceType === type) as T[];
  const observations = of<Observation>('Observation').filter((o) => o.status !== 'entered-in-error' && o.status !== 'cancelled');
  return {
    patient,
    problems: of<Condition>('Condition').filter(
      (c) => code(c.verificationStatus) !== 'entered-in-error' && code(c.verificationStatus) !== 'refuted' && !INACTIVE_PROBLEM.has(code(c.clinicalStatus) ?? ''),
    ),
    allergies: of<AllergyIntolerance>('AllergyIntolerance').filter(
      (a) => code(a.verificationStatus) !== 'entered-in-error' && code(a.verificationStatus) !== 'refuted' && !INACTIVE_ALLERGY.has(code(a.clinicalStatus) ?? ''),
    ),
    medications: [
      ...of<MedicationRequest>('MedicationRequest').filter((m) => (m.status === 'active' || m.status === 'on-hold') && m.intent !== 'proposal' && m.intent !== 'plan'),
      ...of<MedicationStatement>('MedicationStatement').filter((m) => m.status === 'active' || m.status === 'intended'),
    ],
    immunizations: of<Immunization>('Immunization')
      .filter((i) => i.status === 'completed')
      .sort((a, b) => (b.occurrenceDateTime ?? '').localeCompare(a.occurrenceDateTime ?? '')),
    results: latestPerCode(observations.filter((o) => hasCategory(o, 'laboratory'))),
    vitals: latestPerCode(observations.filter((o) => hasCategory(o, 'vital-signs'))),
    notes: of<DocumentReference>('DocumentReference')
      .filter((d) => d.status === 'current' && d.docStatus === 'final')
      .sort((a, b) => (b.date ?? '').localeCompare(a.date ?? '')),
    coverage: of<Coverage>('Coverage').filter((c) => c.status === 'active'),
    consents: of<Consent>('Consent'),
  };
}

/** Reads a patient's chart (404/410 for an unknown or deleted patient). */
export async function readPatientChart(repo: FhirRepository, patientId: string): Promise<PatientChart> {
  const versions = await repo.patientEverything(patientId);
  const [first, ...rest] = versions.map((v) => JSON.parse(v.json) as Resource);
  return chartOf(first as Patient, rest);
}
