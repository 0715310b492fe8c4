/**
 * What goes into the downtime kit, read from the store: today's and the next working day's
 * appointments for every clinician, and a face sheet for each scheduled patient
 * (demographics, coverage and copay, allergies, active medications with sigs, problems, last
 * vital signs, recent labs with flags, last signed note, emergency contact); optionally the
 * medication and allergy lists of every patient. Plain data: the page renders it.
 *
 * Psychotherapy notes (PSYTHPN, readable by their author only) are never the "last note".
 */
import { isPsychotherapyNote, parseSearchRequest } from '@chartroom/core';
import type { Appointment, DocumentReference, Patient, Practitioner, Resource } from '@medplum/fhirtypes';
import type { FhirRepository } from '../store/fhir-repository.js';
import { chartOf, readPatientChart } from '../continuity/patient-chart.js';
import type { PatientChart } from '../continuity/patient-chart.js';
import { scanResources } from '../continuity/resource-scan.js';
import { isNoteDocument } from '../clinical/notes/note-model.js';
import { conceptText, day, describe, medicationText, observationFlag, observationValueText, personName, sigText } from '../continuity/describe.js';

export interface KitAppointment {
  start: string;
  end: string;
  status: string;
  type: string;
  clinician: string;
  patientId: string;
  patient: string;
}

export interface KitFaceSheet {
  id: string;
  name: string;
  birthDate: string;
  gender: string;
  mrn: string;
  phone: string;
  address: string;
  language: string;
  emergencyContact: string;
  coverage: string[];
  allergies: string[];
  medications: { name: string; sig: string }[];
  problems: string[];
  vitals: { name: string; value: string; flag: string; date: string }[];
  labs: { name: string; value: string; flag: string; range: string; date: string }[];
  lastNote: { title: string; date: string; author: string; text: string } | undefined;
}

export interface KitData {
  practiceName: string;
  /** When the data was read (ISO 8601). */
  dataAsOf: string;
  days: { date: string; label: string; appointments: KitAppointment[] }[];
  faceSheets: KitFaceSheet[];
  /** Every patient's medications and allergies, when asked for. */
  allPatients?: { id: string; name: string; birthDate: string; mrn: string; allergies: string[]; medications: string[] }[];
}

const pad = (n: number): string => String(n).padStart(2, '0');
/** `YYYY-MM-DD` of a local date. */
export function localDay(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The next Monday–Friday after `d`. */
export function nextWorkingDay(d: Date): Date {
  const n = new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1);
  while (n.getDay() === 0 || n.getDay() === 6) n.setDate(n.getDate() + 1);
  return n;
}

function ref(a: Appointment, type: string): { reference: string; display: string } | undefined {
  const p = a.participant.find((x) => x.actor?.reference?.startsWith(`${type}/`));
  return p?.actor?.reference ? { reference: p.actor.reference, display: p.actor.display ?? '' } : undefined;
}

function mrnOf(p: Patient): string {
  return p.identifier?.find((i) => (i.type?.coding ?? []).some((c) => c.code === 'MR'))?.value ?? p.identifier?.[0]?.value ?? '';
}

function noteText(d: DocumentReference): string {
  const a = d.content.find((c) => c.attachment.data && (c.attachment.contentType ?? '').startsWith('text/'))?.attachment;
  const text = a?.data ? Buffer.from(a.data, 'base64').toString('utf8') : (d.description ?? '');
  return text.length > 3000 ? `${text.slice(0, 3000)}…` : text;
}

/** A face sheet from a chart. */
export function faceSheet(chart: PatientChart): KitFaceSheet {
  const p = chart.patient;
  const contact = p.contact?.[0];
  const addr = p.address?.[0];
  // The last clinical note: never a letter or an uploaded document, never a psychotherapy note.
  const note = chart.notes.find((n) => isNoteDocument(n) && !isPsychotherapyNote(n));
  return {
    id: p.id ?? '',
    name: personName(p.name),
    birthDate: p.birthDate ?? '',
    gender: p.gender ?? '',
    mrn: mrnOf(p),
    phone: (p.telecom ?? []).filter((t) => t.system === 'phone').map((t) => t.value ?? '').join(', '),
    address: addr ? (addr.text ?? [...(addr.line ?? []), addr.city, addr.state, addr.postalCode].filter(Boolean).join(', ')) : '',
    language: conceptText(p.communication?.[0]?.language),
    emergencyContact: contact
      ? [personName(contact.name ? [contact.name] : undefined), contact.relationship?.[0] ? `(${conceptText(contact.relationship[0])})` : '', contact.telecom?.map((t) => t.value).join(', ') ?? ''].filter(Boolean).join(' ')
      : '',
    coverage: chart.coverage.map((c) => {
      const copay = c.costToBeneficiary?.find((x) => x.valueMoney)?.valueMoney;
      const plan = c.class?.find((x) => x.name)?.name;
      return [c.payor[0]?.display ?? '', plan ?? '', c.subscriberId ? `member ${c.subscriberId}` : '', copay?.value !== undefined ? `copay $${copay.value}` : ''].filter(Boolean).join(' · ');
    }),
    allergies: chart.allergies.map(describe),
    medications: chart.medications.map((m) => ({ name: medicationText(m), sig: sigText(m) })),
    problems: chart.problems.map(describe),
    vitals: chart.vitals.map((o) => ({ name: conceptText(o.code), value: observationValueText(o), flag: observationFlag(o), date: day(o.effectiveDateTime ?? o.issued) })),
    labs: chart.results.slice(0, 25).map((o) => {
      const rr = o.referenceRange?.[0];
      const range = rr ? (rr.text ?? [rr.low?.value, rr.high?.value].map((v) => (v === undefined ? '' : String(v))).join('–')) : '';
      return { name: conceptText(o.code), value: observationValueText(o), flag: observationFlag(o), range, date: day(o.effectiveDateTime ?? o.issued) };
    }),
    lastNote: note
      ? { title: conceptText(note.type) || 'Note', date: day(note.date), author: note.author?.[0]?.display ?? '', text: noteText(note) }
      : undefined,
  };
}

/** Names in the order people expect (one collator: `localeCompare` builds one per call, seconds for 50,000 names). */
const byName = new Intl.Collator(undefined, { sensitivity: 'base' });

/** Reads everything the kit shows, for the day of `now` and the next working day. */
export async function readKitData(repo: FhirRepository, opts: { now: number; practiceName: string; allPatients?: boolean }): Promise<KitData> {
  const today = new Date(opts.now);
  const next = nextWorkingDay(today);
  const dates = [localDay(today), localDay(next)];
  const after = localDay(new Date(next.getFullYear(), next.getMonth(), next.getDate() + 1));
  const found: Appointment[] = [];
  for (let offset = 0; ; offset += 1000) {
    const page = await repo.search(parseSearchRequest('Appointment', { date: [`ge${dates[0]}`, `lt${after}`], _count: '1000', _offset: String(offset), _total: 'none' }));
    for (const m of page.matches) found.push(JSON.parse(m.json) as Appointment);
    if (!page.hasMore) break;
  }
  const practitioners = new Map<string, string>();
  const clinicianName = async (r: { reference: string; display: string } | undefined): Promise<string> => {
    if (!r) return '(no clinician)';
    if (!practitioners.has(r.reference)) {
      const [, id] = r.reference.split('/');
      const pr = await repo.readCurrent('Practitioner', id ?? '');
      practitioners.set(r.reference, pr && !pr.deleted ? personName((JSON.parse(pr.json) as Practitioner).name) : r.display || r.reference);
    }
    return practitioners.get(r.reference) ?? r.reference;
  };
  const days: KitData['days'] = dates.map((date, i) => ({
    date,
    label: `${i === 0 ? 'Today' : 'Next working day'}, ${new Date(`${date}T12:00:00`).toLocaleDateString('en-US', { weekday: 'long', month: 'long', day: 'numeric', year: 'numeric' })}`,
    appointments: [],
  }));
  const patientIds = new Set<string>();
  for (const a of found.filter((x) => x.status !== 'entered-in-error').sort((x, y) => (x.start ?? '').localeCompare(y.start ?? ''))) {
    const d = days.find((x) => (a.start ?? '').startsWith(x.date));
    const patient = ref(a, 'Patient');
    if (!d || !patient) continue;
    const patientId = patient.reference.slice('Patient/'.length);
    patientIds.add(patientId);
    d.appointments.push({
      start: a.start ?? '',
      end: a.end ?? '',
      status: a.status,
      type: a.serviceType?.[0]?.text ?? conceptText(a.appointmentType),
      clinician: await clinicianName(ref(a, 'Practitioner')),
      patientId,
      patient: patient.display,
    });
  }
  const faceSheets: KitFaceSheet[] = [];
  for (const id of patientIds) {
    try {
      const sheet = faceSheet(await readPatientChart(repo, id));
      faceSheets.push(sheet);
      for (const d of days) for (const a of d.appointments) if (a.patientId === id) a.patient = sheet.name;
    } catch {
      // A deleted or missing patient still shows in the schedule, without a face sheet.
    }
  }
  faceSheets.sort((a, b) => byName.compare(a.name, b.name));
  const data: KitData = { practiceName: opts.practiceName, dataAsOf: new Date(opts.now).toISOString(), days, faceSheets };
  if (opts.allPatients) data.allPatients = await allPatientLists(repo);
  return data;
}

/** Every patient's allergies and active medications (one pass over the store per type). */
async function allPatientLists(repo: FhirRepository): Promise<NonNullable<KitData['allPatients']>> {
  const byPatient = new Map<string, Resource[]>();
  const patients: Patient[] = [];
  for await (const r of scanResources(repo.dialect, { types: ['Patient', 'AllergyIntolerance', 'MedicationRequest', 'MedicationStatement'] })) {
    const res = JSON.parse(r.json) as Resource;
    if (res.resourceType === 'Patient') {
      patients.push(res);
      continue;
    }
    const subject = (res as { patient?: { reference?: string }; subject?: { reference?: string } }).patient ?? (res as { subject?: { reference?: string } }).subject;
    const id = subject?.reference?.startsWith('Patient/') ? subject.reference.slice(8) : undefined;
    if (!id) continue;
    const list = byPatient.get(id) ?? [];
    list.push(res);
    byPatient.set(id, list);
  }
  return patients
    .map((p) => {
      const chart = chartOf(p, byPatient.get(p.id ?? '') ?? []);
      return { id: p.id ?? '', name: personName(p.name), birthDate: p.birthDate ?? '', mrn: mrnOf(p), allergies: chart.allergies.map(describe), medications: chart.medications.map(describe) };
    })
    .sort((a, b) => byName.compare(a.name, b.name));
}
