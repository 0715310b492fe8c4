/**
 * What a letter is filled from: the patient's name and birth date, active problems, active
 * medications and allergies, read from the chart.
 */
import type { AllergyIntolerance, Condition, HumanName, MedicationRequest, Patient, Practitioner } from '@medplum/fhirtypes';
import type { FhirRepository } from '../../store/fhir-repository.js';
import { searchResources } from '../labs/search-resources.js';

/** A person's name for print: prefix, given, family, suffix. */
export function printName(names: HumanName[] | undefined): string {
  const n = names?.find((x) => x.use === 'official') ?? names?.[0];
  if (!n) return '(no name)';
  return n.text ?? [...(n.prefix ?? []), ...(n.given ?? []), n.family ?? '', ...(n.suffix ?? [])].filter(Boolean).join(' ');
}

function concept(c: { text?: string; coding?: { display?: string; code?: string }[] } | undefined): string {
  return c?.text ?? c?.coding?.[0]?.display ?? c?.coding?.[0]?.code ?? '(unnamed)';
}

const bullets = (items: string[], none: string): string => (items.length ? items.map((i) => `- ${i}`).join('\n') : none);

/** The placeholder values for a patient (and the writing clinician). */
export async function letterValues(repo: FhirRepository, patient: Patient, today: string, clinician?: Practitioner): Promise<Record<string, string>> {
  const ref = `Patient/${patient.id}`;
  const [conditions, meds, allergies] = await Promise.all([
    searchResources<Condition>(repo, 'Condition', { patient: ref, 'clinical-status': 'active' }, 200),
    searchResources<MedicationRequest>(repo, 'MedicationRequest', { patient: ref, status: 'active' }, 200),
    searchResources<AllergyIntolerance>(repo, 'AllergyIntolerance', { patient: ref }, 200),
  ]);
  const problems = conditions.matches.map((c) => {
    const code = c.code?.coding?.find((x) => /icd-10/i.test(x.system ?? ''))?.code;
    return `${concept(c.code)}${code ? ` (${code})` : ''}`;
  });
  const medications = meds.matches.map((m) => {
    const name = concept(m.medicationCodeableConcept);
    const sig = m.dosageInstruction?.[0]?.text;
    return sig ? `${name}: ${sig}` : name;
  });
  const allergyList = allergies.matches
    .filter((a) => a.clinicalStatus?.coding?.[0]?.code !== 'inactive' && a.clinicalStatus?.coding?.[0]?.code !== 'resolved')
    .map((a) => {
      const reaction = a.reaction?.[0]?.manifestation?.[0];
      return `${concept(a.code)}${reaction ? ` (${concept(reaction)})` : ''}`;
    });
  return {
    'patient.name': printName(patient.name),
    'patient.birthDate': patient.birthDate ?? '(unknown)',
    'patient.mrn': patient.identifier?.[0]?.value ?? '',
    today,
    problems: bullets(problems.sort(), '- none recorded'),
    medications: bullets(medications.sort(), '- none recorded'),
    allergies: bullets(allergyList.sort(), '- no known allergies recorded'),
    'clinician.name': clinician ? printName(clinician.name) : '',
  };
}
