/**
 * The practice's week: for each clinician, Slots from today through the next seven days
 * (weekdays, and today whatever day it is) and Appointments in most of them. Appointments
 * already over today are fulfilled or no-shows, the one in progress has arrived, the rest are
 * booked (https://hl7.org/fhir/R4/appointment.html#statemachine).
 */
import type { Appointment, Resource, Slot } from '@medplum/fhirtypes';
import { atMinutes, dayStart, localDateTime } from './demo-time.js';
import type { ClinicianKey, Practice } from './practice.js';
import { Prng } from './prng.js';

/** A patient the scheduler may book. */
export interface Bookable {
  ref: string;
  display: string;
}

export interface ScheduleInput {
  seed: string;
  id: (key: string) => string;
  now: Date;
  practice: Practice;
  /** Who each clinician sees. */
  panels: Record<ClinicianKey, Bookable[]>;
  /** Patients who must have an appointment today, with whom. */
  todays: (Bookable & { with: ClinicianKey })[];
}

const APPOINTMENT_TYPE = 'http://terminology.hl7.org/CodeSystem/v2-0276';
const SESSIONS: readonly [number, number][] = [
  [9 * 60, 12 * 60],
  [13 * 60, 17 * 60],
];
const SERVICE: Record<ClinicianKey, string> = {
  psychiatrist: 'Psychiatric medication management',
  familyPhysician: 'Primary care visit',
  nursePractitioner: 'Primary care visit',
  psychotherapist: 'Psychotherapy session',
};

/** Slots and appointments for the coming week. */
export function generateSchedule(input: ScheduleInput): Resource[] {
  const out: Resource[] = [];
  const nowMs = input.now.getTime();
  for (const clinician of Object.values(input.practice.clinicians)) {
    const panel = input.panels[clinician.key];
    for (let d = 0; d <= 7; d++) {
      const day = dayStart(input.now, d);
      if (d > 0 && (day.getDay() === 0 || day.getDay() === 6)) continue;
      const rng = new Prng(`${input.seed}/schedule/${clinician.key}/${d}`);
      const starts: number[] = [];
      for (const [from, to] of SESSIONS) for (let m = from; m + clinician.slotMinutes <= to; m += clinician.slotMinutes) starts.push(m);
      // Today's featured patients first, in slots spread over the day.
      const reserved = new Map<number, Bookable>();
      if (d === 0) {
        const mine = input.todays.filter((t) => t.with === clinician.key);
        mine.forEach((t, i) => reserved.set(Math.floor(((i + 0.5) * starts.length) / mine.length), t));
      }
      const booked = new Set<string>([...reserved.values()].map((b) => b.ref));
      starts.forEach((minute, i) => {
        const start = atMinutes(day, minute);
        const end = new Date(start.getTime() + clinician.slotMinutes * 60_000);
        const slotId = input.id(`Slot/${clinician.key}/${d}/${minute}`);
        let patient = reserved.get(i);
        if (!patient && panel.length && rng.chance(Math.max(0.3, 0.85 - 0.08 * d))) {
          // A patient not yet booked that day (a few tries, then the slot stays free).
          for (let tries = 0; tries < 4 && !patient; tries++) {
            const pick = rng.pick(panel);
            if (!booked.has(pick.ref)) patient = pick;
          }
        }
        const slot: Slot = {
          resourceType: 'Slot',
          id: slotId,
          schedule: { reference: clinician.scheduleRef },
          serviceType: [{ text: SERVICE[clinician.key] }],
          status: patient ? 'busy' : 'free',
          start: localDateTime(start),
          end: localDateTime(end),
        };
        out.push(slot);
        if (!patient) return;
        booked.add(patient.ref);
        let status: Appointment['status'] = 'booked';
        if (end.getTime() <= nowMs) status = rng.chance(0.9) ? 'fulfilled' : 'noshow';
        else if (start.getTime() <= nowMs) status = 'arrived';
        const followUp = clinician.area === 'psychiatry' || rng.chance(0.6);
        const appointment: Appointment = {
          resourceType: 'Appointment',
          id: input.id(`Appointment/${clinician.key}/${d}/${minute}`),
          status,
          appointmentType: {
            coding: [followUp ? { system: APPOINTMENT_TYPE, code: 'FOLLOWUP', display: 'A follow up visit from a previous appointment' } : { system: APPOINTMENT_TYPE, code: 'ROUTINE', display: 'Routine appointment - default if not valued' }],
          },
          serviceType: [{ text: SERVICE[clinician.key] }],
          description: `${SERVICE[clinician.key]} with ${clinician.display}`,
          start: localDateTime(start),
          end: localDateTime(end),
          minutesDuration: clinician.slotMinutes,
          slot: [{ reference: `Slot/${slotId}` }],
          created: localDateTime(dayStart(input.now, d - rng.int(3, 40))),
          participant: [
            { actor: { reference: patient.ref, display: patient.display }, required: 'required', status: 'accepted' },
            { actor: { reference: clinician.ref, display: clinician.display }, required: 'required', status: 'accepted' },
            { actor: { reference: input.practice.locationRef }, required: 'information-only', status: 'accepted' },
          ],
        };
        out.push(appointment);
      });
    }
  }
  return out;
}
