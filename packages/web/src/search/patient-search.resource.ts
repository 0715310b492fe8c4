/** Patient type-ahead: GET /api/patients?q=, or a FHIR Patient search where the API is not there yet. */
import { apiRequest, withFallback } from '../api/api-client';
import { nameOf, patientLine } from '../api/fhir-format';
import type { Bundle, Patient } from '../api/fhir-types';

export interface PatientHit {
  id: string;
  name: string;
  line: string;
}

function hitOf(p: Patient): PatientHit | undefined {
  return p.id ? { id: p.id, name: nameOf(p.name), line: patientLine(p) } : undefined;
}

/** Reads the answer of /api/patients (a Bundle, a list of Patients, or {patients|results|items: […]}). */
export function readPatientHits(body: unknown): PatientHit[] {
  let list: unknown[] = [];
  if (Array.isArray(body)) list = body;
  else if (body && typeof body === 'object') {
    const o = body as Record<string, unknown>;
    if (o.resourceType === 'Bundle') list = ((o as unknown as Bundle<Patient>).entry ?? []).map((e) => e.resource);
    else list = (o.patients ?? o.results ?? o.items ?? o.data ?? []) as unknown[];
  }
  const out: PatientHit[] = [];
  for (const item of list) {
    if (!item || typeof item !== 'object') continue;
    const o = item as Record<string, unknown>;
    const p = (o.resourceType === 'Patient' ? o : o.patient ?? o.resource) as Patient | undefined;
    if (p && typeof p === 'object' && (p as { resourceType?: string }).resourceType === 'Patient') {
      const h = hitOf(p);
      if (h) out.push(h);
    } else if (typeof o.id === 'string') {
      out.push({ id: o.id, name: String(o.name ?? o.displayName ?? 'Unnamed'), line: [o.birthDate, o.mrn ? `MRN ${String(o.mrn)}` : undefined].filter(Boolean).join(' · ') });
    }
  }
  return out;
}

/** FHIR search for a query: an MRN-like term by identifier, a date by birth date, words by name. */
async function fhirSearch(q: string, signal: AbortSignal): Promise<PatientHit[]> {
  const params = new URLSearchParams({ _count: '12' });
  const t = q.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(t)) params.set('birthdate', t);
  else if (/\d/.test(t) && !/\s/.test(t)) params.set('identifier', t);
  else for (const w of t.split(/[\s,]+/).filter(Boolean)) params.append('name', w);
  const b = await apiRequest<Bundle<Patient>>(`/fhir/R4/Patient?${params}`, { signal, what: 'Searching patients' });
  return (b.entry ?? []).map((e) => (e.resource ? hitOf(e.resource) : undefined)).filter((h): h is PatientHit => !!h);
}

/** Searches patients as the user types. */
export function searchPatients(q: string, signal: AbortSignal): Promise<PatientHit[]> {
  return withFallback(
    async () => readPatientHits(await apiRequest<unknown>(`/api/patients?q=${encodeURIComponent(q)}`, { signal, what: 'Searching patients' })),
    () => fhirSearch(q, signal),
  );
}
