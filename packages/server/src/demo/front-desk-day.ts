/**
 * Today at the front desk, on top of the generated week (schedule.ts): schedule settings on
 * each clinician's Schedule (working hours, appointment types), and a realistic mix of
 * today's states — the visit in progress in the room, the next patients checked in or
 * arrived, a cancellation, a new-patient visit — plus today's notes (signed, or drafts
 * still to finish; the psychotherapist's labelled PSYTHPN) and balances owed on some
 * accounts. Deterministic from the seed and `now`, like the rest of the demo.
 */
import type { Account, Appointment, Resource, Slot } from '@medplum/fhirtypes';
import { buildNoteDocument } from '../clinical/notes/note-document.js';
import { BUILT_IN_TEMPLATES } from '../clinical/notes/note-templates.js';
import type { NoteTemplate } from '../clinical/notes/note-templates.js';
import { ACCOUNT_BALANCE_URL } from '../clinical/patients/patient-facts.js';
import { BOOKING_OVERRIDE_URL, withFrontDeskStatus } from '../clinical/schedule/appointment-rules.js';
import { APPOINTMENT_TYPE_SYSTEM, DEFAULT_WORKING_HOURS, withSettings } from '../clinical/schedule/schedule-settings.js';
import type { AppointmentTypeDef, ScheduleSettings } from '../clinical/schedule/schedule-settings.js';
import type { Schedule } from '@medplum/fhirtypes';
import { localDate, localDateTime } from './demo-time.js';
import type { Clinician, ClinicianKey, Practice } from './practice.js';
import { Prng } from './prng.js';

const PRIMARY: AppointmentTypeDef[] = [
  { code: 'follow-up', display: 'Follow-up visit', minutes: 20 },
  { code: 'new-patient', display: 'New patient visit', minutes: 40, newPatient: true },
  { code: 'annual-physical', display: 'Annual physical', minutes: 40 },
  { code: 'telephone', display: 'Telephone visit', minutes: 10 },
];

/** Each clinician's appointment types (working hours: weekdays 9–12 and 13–17). */
const TYPES: Record<ClinicianKey, AppointmentTypeDef[]> = {
  psychiatrist: [
    { code: 'medication-management', display: 'Medication management', minutes: 30 },
    { code: 'psychiatric-evaluation', display: 'Psychiatric evaluation', minutes: 60, newPatient: true },
    { code: 'telephone', display: 'Telephone visit', minutes: 15 },
  ],
  familyPhysician: PRIMARY,
  nursePractitioner: PRIMARY,
  psychotherapist: [
    { code: 'psychotherapy', display: 'Psychotherapy session', minutes: 60 },
    { code: 'psychotherapy-intake', display: 'Psychotherapy intake', minutes: 60, newPatient: true },
  ],
};

/** Writes the schedule settings onto the practice's Schedules (in place). */
export function configureDemoSchedules(practice: Practice): void {
  for (const c of Object.values(practice.clinicians)) {
    const i = practice.resources.findIndex((r) => r.resourceType === 'Schedule' && `Schedule/${r.id ?? ''}` === c.scheduleRef);
    if (i < 0) continue;
    const settings: ScheduleSettings = { workingHours: DEFAULT_WORKING_HOURS.map((h) => ({ ...h, days: [...h.days] })), appointmentTypes: TYPES[c.key] };
    practice.resources[i] = withSettings(practice.resources[i] as Schedule, settings);
  }
}

export interface FrontDeskInput {
  seed: string;
  id: (key: string) => string;
  now: Date;
  practice: Practice;
}

const template = (id: string): NoteTemplate => BUILT_IN_TEMPLATES.find((t) => t.id === id) as NoteTemplate;

const VISIT_TEXT: Record<ClinicianKey, Record<string, string[]>> = {
  psychiatrist: {
    'interval-history': ['Mood steadier since the last visit; sleeping 6–7 hours.', 'Some low days this month, no hopelessness.', 'Reports better concentration at work.'],
    'side-effects': ['Takes medicines daily; mild dry mouth.', 'No side effects reported.', 'Some morning sedation, improving.'],
    'mental-status': ['Calm, good eye contact, euthymic, linear thought, no SI/HI.', 'Mildly anxious, coherent, denies SI.'],
    plan: ['Continue current doses; follow up in 8 weeks.', 'Check levels before the next visit; continue current plan.'],
  },
  familyPhysician: {
    subjective: ['Here for follow-up of chronic conditions; feels well.', 'Cough for a week, no fever.', 'Back pain better with exercises.'],
    plan: ['Continue current treatment; routine labs as due.', 'Supportive care; return if not better in a week.'],
  },
  nursePractitioner: {
    subjective: ['Follow-up visit; no new complaints.', 'Asks about a medication refill.', 'Sore throat for three days.'],
    plan: ['Refill sent; recheck in 3 months.', 'Rapid strep negative; supportive care.'],
  },
  psychotherapist: {
    session: ['Worked on sleep routine and avoidance at work.', 'Explored conflict with family; practised assertive phrases.', 'Grief work; reviewed coping plan.'],
    interventions: ['CBT: thought records reviewed.', 'Behavioural activation planning.', 'Mindfulness exercise in session.'],
    response: ['Engaged; identified two helpful thoughts.', 'Tearful at times, settled by the end.'],
    plan: ['Homework agreed; next session in two weeks.', 'Continue weekly sessions.'],
  },
};

function noteFor(c: Clinician, a: Appointment, rng: Prng, input: FrontDeskInput, signed: boolean, at: Date, inProgress: boolean): Resource {
  const t = template(c.key === 'psychotherapist' ? 'psychotherapy' : c.key === 'psychiatrist' ? 'medication-management' : 'soap');
  const texts = VISIT_TEXT[c.key];
  const sections = t.sections.map((s) => {
    const options = texts[s.key];
    const text = inProgress && s.key !== (c.key === 'psychotherapist' ? 'session' : c.key === 'psychiatrist' ? 'interval-history' : 'subjective') ? '' : options ? rng.pick(options) : (s.text ?? '').replace(/\{\{[^}]*\}\}/g, 'reviewed');
    return { key: s.key, title: s.title, text };
  });
  const patient = a.participant?.find((p) => p.actor?.reference?.startsWith('Patient/'))?.actor;
  const doc = buildNoteDocument({
    id: input.id(`DocumentReference/front-desk/${a.id ?? ''}`),
    patient: { reference: patient?.reference ?? '', display: patient?.display ?? '' },
    author: { reference: c.ref, display: c.display },
    title: t.title,
    template: t,
    kind: 'note',
    sections,
    psychotherapy: t.psychotherapy,
    psychiatry: c.key === 'psychiatrist',
    signed,
    at: localDateTime(at),
  });
  doc.context = { ...doc.context, related: [{ reference: `Appointment/${a.id ?? ''}` }], period: { start: a.start, end: a.end } };
  return doc;
}

/**
 * Adjusts today's appointments and Slots in `schedule` (in place) and returns the extra
 * resources: today's notes and the accounts with a balance.
 */
export function frontDeskDay(input: FrontDeskInput, schedule: Resource[]): Resource[] {
  const out: Resource[] = [];
  const day = localDate(input.now);
  const now = input.now.getTime();
  const slots = new Map(schedule.filter((r): r is Slot => r.resourceType === 'Slot').map((s) => [`Slot/${s.id ?? ''}`, s]));
  const todays = schedule.filter((r): r is Appointment => r.resourceType === 'Appointment' && (r.start ?? '').startsWith(day));
  const replace = (a: Appointment, next: Appointment): void => {
    const i = schedule.indexOf(a);
    if (i >= 0) schedule[i] = next;
  };
  const patientsToday = new Map<string, string>();
  for (const c of Object.values(input.practice.clinicians)) {
    const rng = new Prng(`${input.seed}/front-desk/${c.key}/${day}`);
    const mine = todays
      .filter((a) => a.participant?.some((p) => p.actor?.reference === c.ref))
      .sort((x, y) => Date.parse(x.start ?? '') - Date.parse(y.start ?? ''));
    const upcoming = mine.filter((a) => Date.parse(a.start ?? '') > now);
    for (const a of mine) {
      const p = a.participant?.find((x) => x.actor?.reference?.startsWith('Patient/'))?.actor;
      if (p?.reference) patientsToday.set(p.reference, p.display ?? '');
      const start = Date.parse(a.start ?? '');
      const end = Date.parse(a.end ?? '');
      if (end <= now && a.status === 'fulfilled') {
        const signed = rng.chance(0.6);
        out.push(noteFor(c, a, rng, input, signed, new Date(Math.min(now, end + (signed ? 10 : 2) * 60_000)), false));
      } else if (start <= now && now < end) {
        replace(a, withFrontDeskStatus(a, 'in-room'));
        out.push(noteFor(c, a, rng, input, false, new Date(Math.min(now, start + 5 * 60_000)), true));
      }
    }
    upcoming.forEach((a, i) => {
      const wait = Date.parse(a.start ?? '') - now;
      let next: Appointment = a;
      if (i === 0 && wait <= 30 * 60_000) next = withFrontDeskStatus(a, 'checked-in');
      else if (i === 1 && wait <= 60 * 60_000) next = withFrontDeskStatus(a, 'arrived');
      else if (upcoming.length >= 4 && i === upcoming.length - 2) {
        next = { ...withFrontDeskStatus(a, 'cancelled'), cancelationReason: { text: rng.pick(['Patient called to cancel: unwell', 'Patient called to cancel: work conflict', 'Transport fell through']) } };
        const slot = slots.get(a.slot?.[0]?.reference ?? '');
        if (slot) slot.status = 'free';
      } else if (i === 2) {
        const type = TYPES[c.key].find((t) => t.newPatient);
        if (type) next = { ...a, appointmentType: { coding: [{ system: APPOINTMENT_TYPE_SYSTEM, code: type.code, display: type.display }], text: type.display } };
      }
      if (next !== a) replace(a, next);
    });
  }
  // One overbooked visit: a same-day add-on with the family physician, recorded as an override.
  const fp = input.practice.clinicians.familyPhysician;
  const addOn = schedule.find((r): r is Appointment => r.resourceType === 'Appointment' && (r.start ?? '').startsWith(day) && Date.parse(r.start ?? '') > now + 90 * 60_000 && r.status === 'booked' && !!r.participant?.some((p) => p.actor?.reference === fp.ref));
  if (addOn) {
    const i = schedule.indexOf(addOn);
    schedule[i] = {
      ...addOn,
      extension: [...(addOn.extension ?? []), { url: BOOKING_OVERRIDE_URL, extension: [{ url: 'reason', valueString: 'Same-day add-on: urgent blood pressure recheck' }, { url: 'by', valueReference: { reference: fp.ref, display: fp.display } }] }],
    };
  }
  const rng = new Prng(`${input.seed}/front-desk/accounts/${day}`);
  for (const [ref, display] of [...patientsToday].sort((x, y) => (x[0] < y[0] ? -1 : 1))) {
    if (!rng.chance(0.25)) continue;
    const account: Account = {
      resourceType: 'Account',
      id: input.id(`Account/${ref}`),
      status: 'active',
      type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'PBILLACCT', display: 'patient billing account' }] },
      name: `Patient account — ${display}`,
      subject: [{ reference: ref, display }],
      owner: { reference: input.practice.organizationRef },
      extension: [{ url: ACCOUNT_BALANCE_URL, valueMoney: { value: rng.int(15, 240), currency: 'USD' } }],
    };
    out.push(account);
  }
  return out;
}
