/**
 * The practice the sync benchmark clones (and PouchDB replicates as its peer): the bench
 * fixture's mixed records (Patients, Observations, Conditions, MedicationRequests) with the
 * human-readable narrative (`text.div`) a FHIR server generates, so a resource averages
 * about 1.2 KB as JSON. Produced in chunks, so a practice of a million resources never sits
 * in memory at once.
 */
import type { Resource } from '@medplum/fhirtypes';
import { fixturePatient } from './fixture-practice.js';

const SEED = 7;

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function row(label: string, value: string | undefined): string {
  return value === undefined ? '' : `<tr><th>${label}</th><td>${esc(value)}</td></tr>`;
}

interface Coded {
  coding?: { system?: string; code?: string; display?: string }[];
  text?: string;
}

function coded(c: Coded | undefined): string | undefined {
  const k = c?.coding?.[0];
  return k ? `${k.display ?? c?.text ?? ''} (${k.system?.replace(/^https?:\/\//, '') ?? ''} ${k.code ?? ''})` : c?.text;
}

/** The generated narrative of one fixture resource: a table of its main elements. */
function narrative(r: Resource): string {
  const x = r as unknown as Record<string, unknown>;
  const rows: string[] = [row('Resource', `${r.resourceType} ${r.id ?? ''}`)];
  const subject = (x.subject as { reference?: string } | undefined)?.reference;
  switch (r.resourceType) {
    case 'Patient': {
      const name = r.name?.[0];
      rows.push(
        row('Name', `${(name?.given ?? []).join(' ')} ${name?.family ?? ''} (official)`),
        row('Gender', r.gender),
        row('Birth date', r.birthDate),
        row('Identifier', `${r.identifier?.[0]?.value ?? ''} (medical record number, ${r.identifier?.[0]?.system ?? ''})`),
        row('Telecom', `${r.telecom?.[0]?.value ?? ''} (${r.telecom?.[0]?.system ?? ''}, ${r.telecom?.[0]?.use ?? ''})`),
        row('Address', `${r.address?.[0]?.line?.join(', ') ?? ''}, ${r.address?.[0]?.city ?? ''}, ${r.address?.[0]?.state ?? ''} ${r.address?.[0]?.postalCode ?? ''}`),
        row('Contact', 'No emergency contact recorded; ask at the next visit'),
      );
      break;
    }
    case 'Observation': {
      const q = r.valueQuantity;
      rows.push(
        row('Status', r.status),
        row('Category', coded(r.category?.[0])),
        row('Code', coded(r.code)),
        row('Subject', subject),
        row('Effective', r.effectiveDateTime),
        row('Value', q ? `${q.value ?? ''} ${q.unit ?? ''} (UCUM ${q.code ?? ''})` : undefined),
        row('Reference range', 'See the laboratory report for the range that applies to this patient'),
      );
      break;
    }
    case 'Condition':
      rows.push(
        row('Clinical status', coded(r.clinicalStatus)),
        row('Verification', coded(r.verificationStatus)),
        row('Code', coded(r.code)),
        row('Subject', subject),
        row('Onset', r.onsetDateTime),
      );
      break;
    case 'MedicationRequest':
      rows.push(
        row('Status', r.status),
        row('Intent', r.intent),
        row('Medication', coded(r.medicationCodeableConcept)),
        row('Subject', subject),
        row('Authored on', r.authoredOn),
        row('Dosage', r.dosageInstruction?.[0]?.text),
      );
      break;
    default:
      break;
  }
  return `<div xmlns="http://www.w3.org/1999/xhtml"><table class="chartroom-narrative"><tbody>${rows.join('')}</tbody></table></div>`;
}

/** The fixture records with their narratives, `count` resources in chunks of about `chunk`. */
export function* syncPracticeChunks(count: number, chunk = 1000): Generator<Resource[]> {
  let made = 0;
  let patient = 0;
  let buf: Resource[] = [];
  while (made < count) {
    for (const r of fixturePatient(SEED, patient, 's')) {
      if (made >= count) break;
      buf.push({ ...r, text: { status: 'generated', div: narrative(r) } } as Resource);
      made++;
    }
    patient++;
    if (buf.length >= chunk || made >= count) {
      yield buf;
      buf = [];
    }
  }
}
