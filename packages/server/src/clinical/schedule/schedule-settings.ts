/**
 * A clinician's schedule settings, kept on the FHIR Schedule itself as Chartroom
 * extensions: working hours (days of the week with a start and end time, like
 * PractitionerRole.availableTime) and the appointment types offered with their durations.
 * Blocked time is a Slot with status `busy-unavailable` on the Schedule. A Schedule without
 * settings uses the defaults below. See https://hl7.org/fhir/R4/schedule.html
 */
import type { Extension, Schedule } from '@medplum/fhirtypes';
import { badRequest } from '@chartroom/core';
import { formatClock, parseClock } from './local-time.js';

export const WORKING_HOURS_URL = 'https://chartroom.dev/fhir/StructureDefinition/working-hours';
export const APPOINTMENT_TYPE_URL = 'https://chartroom.dev/fhir/StructureDefinition/appointment-type';
/** Code system of the appointment types Chartroom offers by default. */
export const APPOINTMENT_TYPE_SYSTEM = 'https://chartroom.dev/fhir/CodeSystem/appointment-type';

export const DAYS_OF_WEEK = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type DayOfWeek = (typeof DAYS_OF_WEEK)[number];

/** One block of working time, e.g. Monday–Friday 09:00–12:00. */
export interface WorkingHours {
  days: DayOfWeek[];
  /** `hh:mm` local time. */
  start: string;
  end: string;
}

/** An appointment type a clinician offers. */
export interface AppointmentTypeDef {
  code: string;
  display: string;
  minutes: number;
  /** Booked for patients new to the practice (or to this clinician). */
  newPatient?: boolean;
}

export interface ScheduleSettings {
  workingHours: WorkingHours[];
  appointmentTypes: AppointmentTypeDef[];
}

const WEEKDAYS: DayOfWeek[] = ['mon', 'tue', 'wed', 'thu', 'fri'];

/** Settings of a Schedule that has none of its own: weekdays 9–12 and 13–17. */
export const DEFAULT_WORKING_HOURS: readonly WorkingHours[] = [
  { days: WEEKDAYS, start: '09:00', end: '12:00' },
  { days: WEEKDAYS, start: '13:00', end: '17:00' },
];

export const DEFAULT_APPOINTMENT_TYPES: readonly AppointmentTypeDef[] = [
  { code: 'new-patient', display: 'New patient visit', minutes: 40, newPatient: true },
  { code: 'follow-up', display: 'Follow-up visit', minutes: 20 },
  { code: 'annual-physical', display: 'Annual physical', minutes: 40 },
  { code: 'psychiatric-evaluation', display: 'Psychiatric evaluation', minutes: 60, newPatient: true },
  { code: 'medication-management', display: 'Medication management', minutes: 30 },
  { code: 'psychotherapy', display: 'Psychotherapy session', minutes: 60 },
  { code: 'telephone', display: 'Telephone visit', minutes: 15 },
];

function sub(ext: Extension, url: string): Extension[] {
  return (ext.extension ?? []).filter((e) => e.url === url);
}

/** The settings of a Schedule (its own, else the defaults). */
export function scheduleSettings(schedule: Schedule): ScheduleSettings {
  const hours: WorkingHours[] = [];
  const types: AppointmentTypeDef[] = [];
  for (const ext of schedule.extension ?? []) {
    if (ext.url === WORKING_HOURS_URL) {
      const start = sub(ext, 'start')[0]?.valueTime?.slice(0, 5);
      const end = sub(ext, 'end')[0]?.valueTime?.slice(0, 5);
      const days = sub(ext, 'day').map((e) => e.valueCode as DayOfWeek);
      if (start && end && days.length) hours.push({ days, start, end });
    } else if (ext.url === APPOINTMENT_TYPE_URL) {
      const code = sub(ext, 'code')[0]?.valueCode;
      const minutes = sub(ext, 'minutes')[0]?.valuePositiveInt;
      if (!code || !minutes) continue;
      types.push({ code, display: sub(ext, 'display')[0]?.valueString ?? code, minutes, ...(sub(ext, 'newPatient')[0]?.valueBoolean ? { newPatient: true } : {}) });
    }
  }
  return {
    workingHours: hours.length ? hours : DEFAULT_WORKING_HOURS.map((h) => ({ ...h, days: [...h.days] })),
    appointmentTypes: types.length ? types : [...DEFAULT_APPOINTMENT_TYPES],
  };
}

/** Checks settings sent by a client; a 400 naming the bad field. */
export function validateSettings(input: unknown): ScheduleSettings {
  if (typeof input !== 'object' || input === null) throw badRequest('The body must be an object with workingHours and appointmentTypes');
  const body = input as { workingHours?: unknown; appointmentTypes?: unknown };
  if (!Array.isArray(body.workingHours) || !body.workingHours.length) throw badRequest('workingHours must be a non-empty list', 'workingHours');
  if (!Array.isArray(body.appointmentTypes) || !body.appointmentTypes.length) throw badRequest('appointmentTypes must be a non-empty list', 'appointmentTypes');
  const workingHours = body.workingHours.map((h: unknown, i): WorkingHours => {
    const w = (h ?? {}) as Partial<WorkingHours>;
    const at = `workingHours[${i}]`;
    if (!Array.isArray(w.days) || !w.days.length || w.days.some((d) => !DAYS_OF_WEEK.includes(d))) {
      throw badRequest(`${at}.days must list days among ${DAYS_OF_WEEK.join(', ')}`, `${at}.days`);
    }
    const start = typeof w.start === 'string' ? parseClock(w.start) : undefined;
    const end = typeof w.end === 'string' ? parseClock(w.end) : undefined;
    if (start === undefined) throw badRequest(`${at}.start must be a time hh:mm`, `${at}.start`);
    if (end === undefined || end <= start) throw badRequest(`${at}.end must be a time hh:mm after start`, `${at}.end`);
    return { days: [...new Set(w.days)], start: formatClock(start).slice(0, 5), end: formatClock(end).slice(0, 5) };
  });
  const codes = new Set<string>();
  const appointmentTypes = body.appointmentTypes.map((t: unknown, i): AppointmentTypeDef => {
    const a = (t ?? {}) as Partial<AppointmentTypeDef>;
    const at = `appointmentTypes[${i}]`;
    if (typeof a.code !== 'string' || !/^[a-z0-9][a-z0-9-]{0,63}$/.test(a.code)) throw badRequest(`${at}.code must be lower-case letters, digits and dashes`, `${at}.code`);
    if (codes.has(a.code)) throw badRequest(`${at}.code "${a.code}" is listed twice`, `${at}.code`);
    codes.add(a.code);
    if (!Number.isInteger(a.minutes) || (a.minutes ?? 0) < 5 || (a.minutes ?? 0) > 480) throw badRequest(`${at}.minutes must be a whole number from 5 to 480`, `${at}.minutes`);
    const display = typeof a.display === 'string' && a.display.trim() ? a.display.trim() : a.code;
    return { code: a.code, display, minutes: a.minutes as number, ...(a.newPatient === true ? { newPatient: true } : {}) };
  });
  return { workingHours, appointmentTypes };
}

/** The Schedule with its settings extensions replaced by `settings`. */
export function withSettings(schedule: Schedule, settings: ScheduleSettings): Schedule {
  const others = (schedule.extension ?? []).filter((e) => e.url !== WORKING_HOURS_URL && e.url !== APPOINTMENT_TYPE_URL);
  const extension: Extension[] = [
    ...others,
    ...settings.workingHours.map((h) => ({
      url: WORKING_HOURS_URL,
      extension: [...h.days.map((d) => ({ url: 'day', valueCode: d })), { url: 'start', valueTime: `${h.start}:00` }, { url: 'end', valueTime: `${h.end}:00` }],
    })),
    ...settings.appointmentTypes.map((t) => ({
      url: APPOINTMENT_TYPE_URL,
      extension: [
        { url: 'code', valueCode: t.code },
        { url: 'display', valueString: t.display },
        { url: 'minutes', valuePositiveInt: t.minutes },
        ...(t.newPatient ? [{ url: 'newPatient', valueBoolean: true }] : []),
      ],
    })),
  ];
  return { ...schedule, extension };
}

/** Working intervals (minutes after midnight) of a given weekday. */
export function workingIntervals(settings: ScheduleSettings, day: Date): [number, number][] {
  const dow = DAYS_OF_WEEK[day.getDay()] as DayOfWeek;
  return settings.workingHours
    .filter((h) => h.days.includes(dow))
    .map((h) => [parseClock(h.start) ?? 0, parseClock(h.end) ?? 0] as [number, number])
    .sort((a, b) => a[0] - b[0]);
}
