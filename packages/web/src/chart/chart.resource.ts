/**
 * A patient's chart from `Patient/:id/$everything` (one request), sorted into what the chart
 * screens show. Alerts come from GET /api/patients/:id/summary when the server has it.
 */
import { apiRequest } from '../api/api-client';
import { codeIn } from '../api/fhir-format';
import type {
  AllergyIntolerance,
  AnyResource,
  Appointment,
  Bundle,
  Communication,
  Condition,
  DocumentReference,
  Encounter,
  Flag,
  MedicationRequest,
  Observation,
  Patient,
} from '../api/fhir-types';

export interface ChartData {
  patient: Patient;
  allergies: AllergyIntolerance[];
  problems: Condition[];
  medications: MedicationRequest[];
  observations: Observation[];
  encounters: Encounter[];
  notes: DocumentReference[];
  documents: DocumentReference[];
  letters: DocumentReference[];
  appointments: Appointment[];
  messages: Communication[];
  flags: Flag[];
}

const byDateDesc = <T>(date: (r: T) => string | undefined) => (a: T, b: T) => (date(b) ?? '').localeCompare(date(a) ?? '');

/** The date an observation was taken. */
export const obsDate = (o: Observation): string | undefined => o.effectiveDateTime ?? o.issued;

function isActive(c: { clinicalStatus?: { coding?: { code?: string }[] } }): boolean {
  const s = codeIn(c.clinicalStatus);
  return s === undefined || s === 'active' || s === 'recurrence' || s === 'relapse';
}

function docKind(d: DocumentReference): 'note' | 'letter' | 'document' {
  const cat = d.category?.flatMap((c) => c.coding ?? []).map((c) => c.code) ?? [];
  if (cat.includes('clinical-note') || codeIn(d.type) === '11506-3' || codeIn(d.type) === '34109-9') return 'note';
  if (cat.includes('letter') || /letter/i.test(d.type?.text ?? '') || codeIn(d.type) === '51852-2') return 'letter';
  return 'document';
}

/** Sorts an $everything Bundle into chart sections. */
export function sortChart(patientId: string, bundle: Bundle<AnyResource>): ChartData {
  const out: ChartData = { patient: { resourceType: 'Patient', id: patientId }, allergies: [], problems: [], medications: [], observations: [], encounters: [], notes: [], documents: [], letters: [], appointments: [], messages: [], flags: [] };
  let found = false;
  for (const e of bundle.entry ?? []) {
    const r = e.resource;
    if (!r) continue;
    switch (r.resourceType) {
      case 'Patient':
        if (r.id === patientId) {
          out.patient = r;
          found = true;
        }
        break;
      case 'AllergyIntolerance':
        if (isActive(r) && codeIn(r.verificationStatus) !== 'entered-in-error' && codeIn(r.verificationStatus) !== 'refuted') out.allergies.push(r);
        break;
      case 'Condition':
        out.problems.push(r);
        break;
      case 'MedicationRequest':
        out.medications.push(r);
        break;
      case 'Observation':
        out.observations.push(r);
        break;
      case 'Encounter':
        out.encounters.push(r);
        break;
      case 'DocumentReference':
        if (r.status !== 'entered-in-error') out[`${docKind(r)}s` as 'notes' | 'letters' | 'documents'].push(r);
        break;
      case 'Appointment':
        out.appointments.push(r);
        break;
      case 'Communication':
        out.messages.push(r);
        break;
      case 'Flag':
        if (r.status !== 'inactive') out.flags.push(r);
        break;
      default:
        break;
    }
  }
  if (!found) throw new Error(`Patient ${patientId} was not in the chart answer`);
  const critical = (a: AllergyIntolerance) => (a.criticality === 'high' ? 0 : 1);
  out.allergies.sort((a, b) => critical(a) - critical(b));
  out.problems.sort(byDateDesc((c) => c.onsetDateTime ?? c.recordedDate));
  out.medications.sort(byDateDesc((m) => m.authoredOn));
  out.observations.sort(byDateDesc(obsDate));
  out.encounters.sort(byDateDesc((x) => x.period?.start));
  for (const list of [out.notes, out.documents, out.letters]) list.sort(byDateDesc((d) => d.date));
  out.appointments.sort(byDateDesc((a) => a.start));
  out.messages.sort(byDateDesc((m) => m.sent));
  return out;
}

/** Loads a patient's chart. */
export async function loadChart(patientId: string, signal: AbortSignal): Promise<ChartData> {
  const first = await apiRequest<Bundle<AnyResource>>(`/fhir/R4/Patient/${encodeURIComponent(patientId)}/$everything?_count=1000`, { signal, what: 'Opening the chart' });
  const entry = [...(first.entry ?? [])];
  // A long chart comes in pages: follow the next links (same origin only).
  let next = first.link?.find((l) => l.relation === 'next')?.url;
  for (let pages = 0; next && pages < 50; pages++) {
    const u = new URL(next, window.location.origin);
    if (u.origin !== window.location.origin) break;
    const page = await apiRequest<Bundle<AnyResource>>(u.pathname + u.search, { signal, what: 'Opening the chart' });
    entry.push(...(page.entry ?? []));
    next = page.link?.find((l) => l.relation === 'next')?.url;
  }
  return sortChart(patientId, { ...first, entry });
}

/** Latest vital per code (the observations are newest first). */
export function latestVitals(chart: ChartData): Observation[] {
  const seen = new Map<string, Observation>();
  for (const o of chart.observations) {
    if (!o.category?.some((c) => codeIn(c) === 'vital-signs')) continue;
    const code = codeIn(o.code) ?? '';
    if (!seen.has(code)) seen.set(code, o);
  }
  return [...seen.values()];
}

/** One observation as the chart summary API gives it. */
export interface SummaryObservation {
  id: string;
  code?: string;
  display?: string;
  value?: number | string;
  unit?: string;
  effective?: string;
  interpretation?: string;
  referenceRange?: string;
  components?: { code?: string; display?: string; value?: number; unit?: string }[];
}

/** The answer of GET /api/patients/:id/summary (the fields the chart shows). */
export interface ChartSummary {
  patient: { id: string; name: string; birthDate?: string; age?: number; gender?: string; mrn?: string; phone?: string; language?: string; preferredPharmacy?: string; versionId?: string };
  coverage: { payor?: string; plan?: string; memberId?: string; copay: number | null } | null;
  balance: number;
  problems: { id: string; code?: string; system?: string; display?: string; onset?: string; status?: string }[];
  allergies: { id: string; substance?: string; code?: string; criticality?: string; reactions: string[] }[];
  medications: { id: string; resourceType: string; name?: string; rxnorm?: string; dosage?: string; since?: string; prescriber?: string }[];
  vitals: SummaryObservation[];
  abnormalLabs: SummaryObservation[];
  upcomingAppointments: { id: string; start?: string; status: string; type?: string; practitioner?: string }[];
  conflicts: { resourceType: string; id: string; leaves: number }[];
}

/** What the summary column shows: the summary API's answer and the chart's active flags. */
export interface SummaryView {
  summary: ChartSummary;
  flags: Flag[];
  /** Set when the flags could not be read (the column says so rather than showing none). */
  flagsError?: string;
}

/**
 * The chart summary in one small request (plus the patient's active flags beside it): what the
 * chart shows first, before the whole chart ({@link loadChart}) arrives for the timeline and tabs.
 */
export async function loadSummary(patientId: string, signal: AbortSignal): Promise<SummaryView> {
  const id = encodeURIComponent(patientId);
  const flagsP = apiRequest<Bundle<Flag>>(`/fhir/R4/Flag?patient=${id}&_count=50`, { signal, what: 'Reading flags' }).then(
    (b) => ({ flags: (b.entry ?? []).flatMap((e) => (e.resource && e.resource.status !== 'inactive' && e.resource.status !== 'entered-in-error' ? [e.resource] : [])) }),
    (err: Error) => {
      if (err.name === 'AbortError') throw err;
      return { flags: [] as Flag[], flagsError: err.message };
    },
  );
  const [summary, flags] = await Promise.all([apiRequest<ChartSummary>(`/api/patients/${id}/summary`, { signal, what: 'Opening the chart' }), flagsP]);
  return { summary, ...flags };
}
