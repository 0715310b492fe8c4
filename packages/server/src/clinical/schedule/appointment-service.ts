/**
 * Booking, rescheduling and the front-desk status of appointments, transport-free. A booking
 * that overlaps another appointment of the clinician or the patient, blocked time, or falls
 * outside working hours is refused with a 409 naming what it collides with, unless the
 * caller overrides with a reason (recorded on the Appointment). Booking in the past is a
 * 400. A refused request stores nothing. See https://hl7.org/fhir/R4/appointment.html
 */
import type { Appointment, Extension, Patient, Practitioner, Schedule, Slot } from '@medplum/fhirtypes';
import { OutcomeError, badRequest, notFound, outcomeError, parseSearchRequest } from '@chartroom/core';
import type { Principal } from '@chartroom/core';
import type { FhirRepository } from '../../store/fhir-repository.js';
import type { Clock } from '../../store/clock.js';
import { systemClock } from '../../store/clock.js';
import { bookingKeys, withBookingLock } from './booking-lock.js';
import { referencing } from '../patients/chart-queries.js';
import { localDateTime, minutesOfDay, parseInstant, startOfLocalDay } from './local-time.js';
import { APPOINTMENT_TYPE_SYSTEM, scheduleSettings, workingIntervals } from './schedule-settings.js';
import type { AppointmentTypeDef } from './schedule-settings.js';
import { BOOKING_OVERRIDE_URL, FRONT_DESK_STATUSES, OCCUPYING, allowedNext, frontDeskStatus, withFrontDeskStatus } from './appointment-rules.js';
import type { FrontDeskStatus } from './appointment-rules.js';

/** What a client sends to book. */
export interface BookingInput {
  patient: string;
  practitioner: string;
  /** Start, with a time zone or as clinic-local `YYYY-MM-DDThh:mm`. */
  start: string;
  /** Appointment type code of the clinician's schedule (default: its first type). */
  appointmentType?: string;
  /** Length; default the type's duration. */
  minutes?: number;
  reason?: string;
  comment?: string;
  /** Book despite conflicts (double booking, blocked time, outside hours), with the reason. */
  override?: { reason: string };
}

export interface RescheduleInput {
  start: string;
  minutes?: number;
  practitioner?: string;
  override?: { reason: string };
}

export interface StatusInput {
  status: string;
  reason?: string;
}

/** Something a booking collides with. */
export interface BookingConflict {
  kind: 'clinician-busy' | 'patient-busy' | 'blocked' | 'outside-hours';
  reference?: string;
  message: string;
}

const MAX_LOOKBACK_MS = 12 * 3600_000;

/** Reads `Type/id` or a bare id, with a 400 naming the field when malformed. */
export function referenceId(value: unknown, type: string, field: string): string {
  if (typeof value !== 'string' || !value) throw badRequest(`${field} must be a ${type} id`, field);
  const id = value.startsWith(`${type}/`) ? value.slice(type.length + 1) : value;
  if (!/^[A-Za-z0-9\-.]{1,64}$/.test(id)) throw badRequest(`${field} must be a ${type} id; got ${JSON.stringify(value)}`, field);
  return id;
}

function overrideOf(value: unknown): { reason: string } | undefined {
  if (value === undefined || value === null) return undefined;
  const reason = (value as { reason?: unknown }).reason;
  if (typeof reason !== 'string' || !reason.trim()) throw badRequest('override needs a reason (why the conflict is accepted)', 'override.reason');
  return { reason: reason.trim() };
}

function minutesOf(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || (value as number) < 5 || (value as number) > 480) throw badRequest(`${field} must be a whole number of minutes from 5 to 480`, field);
  return value as number;
}

function endOf(a: Appointment): number {
  if (a.end) return Date.parse(a.end);
  return Date.parse(a.start ?? '') + (a.minutesDuration ?? 0) * 60_000;
}

/** The patient and practitioner ids an appointment involves. */
export function appointmentActors(a: Appointment): { patientId?: string; practitionerId?: string } {
  const out: { patientId?: string; practitionerId?: string } = {};
  for (const p of a.participant ?? []) {
    const ref = p.actor?.reference ?? '';
    if (ref.startsWith('Patient/')) out.patientId ??= ref.slice(8);
    else if (ref.startsWith('Practitioner/')) out.practitionerId ??= ref.slice(13);
  }
  return out;
}

/** Appointments, booking rules and front-desk states over one repository. */
export class AppointmentService {
  constructor(
    private readonly repo: FhirRepository,
    private readonly clock: Clock = systemClock,
  ) {}

  /** The Schedule of a practitioner (its first active one); 400 when there is none. */
  async scheduleOf(practitionerId: string, field = 'practitioner'): Promise<Schedule> {
    const schedules = await referencing<Schedule>(this.repo, 'Schedule', ['actor'], [practitionerId], 'Practitioner');
    const schedule = schedules.map((s) => s.resource).find((s) => s.active !== false);
    if (!schedule) throw badRequest(`Practitioner/${practitionerId} has no schedule`, field);
    return schedule;
  }

  private async mustExist(type: 'Patient' | 'Practitioner', id: string, field: string): Promise<Patient | Practitioner> {
    const v = await this.repo.readCurrent(type, id);
    if (!v || v.deleted) throw badRequest(`${type}/${id} does not exist`, field);
    return JSON.parse(v.json) as Patient | Practitioner;
  }

  /** Everything the slot [start, end) collides with for this clinician and patient. */
  async conflicts(opts: { practitionerId: string; patientId: string; schedule: Schedule; start: Date; end: Date; ignore?: string }): Promise<BookingConflict[]> {
    const { start, end } = opts;
    const out: BookingConflict[] = [];
    const appts = await this.repo.search(
      parseSearchRequest('Appointment', {
        actor: `Practitioner/${opts.practitionerId},Patient/${opts.patientId}`,
        date: [`gt${new Date(start.getTime() - MAX_LOOKBACK_MS).toISOString()}`, `lt${end.toISOString()}`],
        _count: '1000',
      }),
    );
    for (const v of appts.matches) {
      const a = JSON.parse(v.json) as Appointment;
      if (a.id === opts.ignore || !OCCUPYING.has(a.status)) continue;
      if (!(Date.parse(a.start ?? '') < end.getTime() && endOf(a) > start.getTime())) continue;
      const who = appointmentActors(a);
      if (who.practitionerId === opts.practitionerId) {
        out.push({ kind: 'clinician-busy', reference: `Appointment/${a.id}`, message: `the clinician has Appointment/${a.id} at ${a.start}` });
      } else if (who.patientId === opts.patientId) {
        out.push({ kind: 'patient-busy', reference: `Appointment/${a.id}`, message: `the patient has Appointment/${a.id} at ${a.start} with another clinician` });
      }
    }
    const slots = await this.repo.search(
      parseSearchRequest('Slot', {
        schedule: `Schedule/${opts.schedule.id ?? ''}`,
        status: 'busy-unavailable',
        start: [`gt${new Date(start.getTime() - 24 * 3600_000).toISOString()}`, `lt${end.toISOString()}`],
        _count: '1000',
      }),
    );
    for (const v of slots.matches) {
      const s = JSON.parse(v.json) as Slot;
      if (Date.parse(s.start) < end.getTime() && Date.parse(s.end) > start.getTime()) {
        out.push({ kind: 'blocked', reference: `Slot/${s.id}`, message: `the time is blocked (${s.comment ?? 'unavailable'}) from ${s.start} to ${s.end}` });
      }
    }
    const day = startOfLocalDay(start);
    const sameDay = startOfLocalDay(new Date(end.getTime() - 1)).getTime() === day.getTime();
    const from = minutesOfDay(start);
    const to = from + Math.round((end.getTime() - start.getTime()) / 60_000);
    const inside = sameDay && workingIntervals(scheduleSettings(opts.schedule), day).some(([a, b]) => a <= from && to <= b);
    if (!inside) out.push({ kind: 'outside-hours', message: `${localDateTime(start)} is outside the clinician's working hours` });
    return out;
  }

  private refuse(conflicts: BookingConflict[]): OutcomeError {
    return new OutcomeError('conflict', {
      resourceType: 'OperationOutcome',
      issue: conflicts.map((c) => ({
        severity: 'error',
        code: 'conflict',
        details: { coding: [{ system: 'https://chartroom.dev/fhir/CodeSystem/booking-conflict', code: c.kind }], text: c.message },
        diagnostics: `Not booked: ${c.message}. Send override.reason to book anyway.`,
        ...(c.reference ? { expression: [c.reference] } : {}),
      })),
    });
  }

  private overrideExtension(override: { reason: string }, conflicts: BookingConflict[], principal: Principal | undefined): Extension {
    const by = principal?.practitionerId ? `Practitioner/${principal.practitionerId}` : undefined;
    return {
      url: BOOKING_OVERRIDE_URL,
      extension: [
        { url: 'reason', valueString: override.reason },
        { url: 'at', valueDateTime: new Date(this.clock.now()).toISOString() },
        ...(by ? [{ url: 'by', valueReference: { reference: by } }] : principal?.username ? [{ url: 'by', valueReference: { display: principal.username } }] : []),
        ...conflicts.map((c) => ({ url: 'conflict', valueString: c.message })),
      ],
    };
  }

  private appointmentType(schedule: Schedule, code: unknown): AppointmentTypeDef {
    const types = scheduleSettings(schedule).appointmentTypes;
    if (code === undefined) return types[0] as AppointmentTypeDef;
    const t = types.find((x) => x.code === code);
    if (!t) throw badRequest(`appointmentType must be one of ${types.map((x) => x.code).join(', ')}; got ${JSON.stringify(code)}`, 'appointmentType');
    return t;
  }

  private notInPast(start: Date): void {
    if (start.getTime() < this.clock.now()) throw badRequest(`start ${localDateTime(start)} is in the past; appointments are booked from now on`, 'start');
  }

  /** Books an appointment (https://hl7.org/fhir/R4/appointment.html). */
  async book(input: BookingInput, principal?: Principal): Promise<Appointment> {
    if (typeof input !== 'object' || input === null) throw badRequest('The body must be an object');
    const patientId = referenceId(input.patient, 'Patient', 'patient');
    const practitionerId = referenceId(input.practitioner, 'Practitioner', 'practitioner');
    const start = parseInstant(input.start, 'start');
    const override = overrideOf(input.override);
    const minutesIn = minutesOf(input.minutes, 'minutes');
    if (input.reason !== undefined && typeof input.reason !== 'string') throw badRequest('reason must be text', 'reason');
    if (input.comment !== undefined && typeof input.comment !== 'string') throw badRequest('comment must be text', 'comment');
    this.notInPast(start);
    const patient = (await this.mustExist('Patient', patientId, 'patient')) as Patient;
    const practitioner = (await this.mustExist('Practitioner', practitionerId, 'practitioner')) as Practitioner;
    const schedule = await this.scheduleOf(practitionerId);
    const type = this.appointmentType(schedule, input.appointmentType);
    const minutes = minutesIn ?? type.minutes;
    const end = new Date(start.getTime() + minutes * 60_000);
    return withBookingLock(this.repo, bookingKeys(practitionerId, patientId), async (tx) => {
      const conflicts = await new AppointmentService(tx, this.clock).conflicts({ practitionerId, patientId, schedule, start, end });
      if (conflicts.length && !override) throw this.refuse(conflicts);
      const appointment: Appointment = {
        resourceType: 'Appointment',
        status: 'booked',
        appointmentType: { coding: [{ system: APPOINTMENT_TYPE_SYSTEM, code: type.code, display: type.display }], text: type.display },
        ...(input.reason?.trim() ? { reasonCode: [{ text: input.reason.trim() }], description: input.reason.trim() } : {}),
        start: localDateTime(start),
        end: localDateTime(end),
        minutesDuration: minutes,
        created: localDateTime(new Date(this.clock.now())),
        ...(input.comment?.trim() ? { comment: input.comment.trim() } : {}),
        participant: [
          { actor: { reference: `Patient/${patientId}`, display: displayName(patient) }, required: 'required', status: 'accepted' },
          { actor: { reference: `Practitioner/${practitionerId}`, display: displayName(practitioner) }, required: 'required', status: 'accepted' },
        ],
        ...(conflicts.length && override ? { extension: [this.overrideExtension(override, conflicts, principal)] } : {}),
      };
      const v = await tx.create(appointment);
      return JSON.parse(v.json) as Appointment;
    });
  }

  private async load(id: string): Promise<Appointment> {
    const v = await this.repo.readCurrent('Appointment', id);
    if (!v || v.deleted) throw notFound(`Appointment/${id} not found`);
    return JSON.parse(v.json) as Appointment;
  }

  /** Moves an appointment to another time (and optionally clinician); its history keeps the old time. */
  async reschedule(id: string, input: RescheduleInput, principal?: Principal): Promise<Appointment> {
    if (typeof input !== 'object' || input === null) throw badRequest('The body must be an object');
    const start = parseInstant(input.start, 'start');
    const override = overrideOf(input.override);
    const minutesIn = minutesOf(input.minutes, 'minutes');
    const current = await this.load(id);
    const status = frontDeskStatus(current);
    if (!['booked', 'pending', 'proposed', 'waitlist'].includes(status)) {
      throw outcomeError('conflict', `Appointment/${id} is ${status}; only a booked appointment can be rescheduled`);
    }
    this.notInPast(start);
    const who = appointmentActors(current);
    if (!who.patientId) throw outcomeError('conflict', `Appointment/${id} has no patient`);
    const practitionerId = input.practitioner !== undefined ? referenceId(input.practitioner, 'Practitioner', 'practitioner') : who.practitionerId;
    if (!practitionerId) throw badRequest('practitioner is required: the appointment has none', 'practitioner');
    const practitioner = (await this.mustExist('Practitioner', practitionerId, 'practitioner')) as Practitioner;
    const schedule = await this.scheduleOf(practitionerId);
    const minutes = minutesIn ?? current.minutesDuration ?? Math.round((endOf(current) - Date.parse(current.start ?? '')) / 60_000);
    const end = new Date(start.getTime() + minutes * 60_000);
    const patientId = who.patientId;
    return withBookingLock(this.repo, bookingKeys(practitionerId, patientId), async (tx) => {
      const conflicts = await new AppointmentService(tx, this.clock).conflicts({ practitionerId, patientId, schedule, start, end, ignore: id });
      if (conflicts.length && !override) throw this.refuse(conflicts);
      const participant = (current.participant ?? []).map((p) =>
        p.actor?.reference?.startsWith('Practitioner/') ? { ...p, actor: { reference: `Practitioner/${practitionerId}`, display: displayName(practitioner) } } : p,
      );
      const extension = (current.extension ?? []).filter((e) => e.url !== BOOKING_OVERRIDE_URL);
      if (conflicts.length && override) extension.push(this.overrideExtension(override, conflicts, principal));
      const next: Appointment = { ...current, start: localDateTime(start), end: localDateTime(end), minutesDuration: minutes, participant, status: 'booked' };
      if (extension.length) next.extension = extension;
      else delete next.extension;
      delete next.slot;
      delete next.meta;
      const { version } = await tx.update(next, { ifMatch: current.meta?.versionId });
      return JSON.parse(version.json) as Appointment;
    });
  }

  /** Moves an appointment to a front-desk state (arrived, checked-in, in-room, done, cancelled, no-show). */
  async setStatus(id: string, input: StatusInput): Promise<Appointment> {
    if (typeof input !== 'object' || input === null) throw badRequest('The body must be an object with a status');
    const asked = input.status === 'done' ? 'fulfilled' : input.status;
    if (!FRONT_DESK_STATUSES.includes(asked as (typeof FRONT_DESK_STATUSES)[number])) {
      throw badRequest(`status must be one of ${[...FRONT_DESK_STATUSES, 'done'].join(', ')}; got ${JSON.stringify(input.status ?? null)}`, 'status');
    }
    if (input.reason !== undefined && typeof input.reason !== 'string') throw badRequest('reason must be text', 'reason');
    const status = asked as FrontDeskStatus;
    const current = await this.load(id);
    const from = frontDeskStatus(current);
    if (from === status) return current;
    if (!allowedNext(from).includes(status)) {
      const next = allowedNext(from);
      throw outcomeError('conflict', `Appointment/${id} is ${from}; it can become ${next.length ? next.join(', ') : 'nothing else'}, not ${status}`, 'status');
    }
    const startMs = Date.parse(current.start ?? '');
    const now = this.clock.now();
    if (status === 'noshow' && startMs > now) throw outcomeError('conflict', `Appointment/${id} starts at ${current.start}; it cannot be a no-show before then`, 'status');
    if (['arrived', 'checked-in', 'in-room', 'fulfilled'].includes(status) && startMs >= startOfLocalDay(new Date(now), 1).getTime()) {
      throw outcomeError('conflict', `Appointment/${id} is on ${current.start?.slice(0, 10)}; a patient can only arrive on the day`, 'status');
    }
    const next = withFrontDeskStatus(current, status);
    if (status === 'cancelled' && input.reason?.trim()) next.cancelationReason = { text: input.reason.trim() };
    delete next.meta;
    const { version } = await this.repo.update(next, { ifMatch: current.meta?.versionId });
    return JSON.parse(version.json) as Appointment;
  }
}

/** A person's display name from their first HumanName. */
export function displayName(r: { name?: { text?: string; given?: string[]; family?: string; prefix?: string[] }[] }): string {
  const n = r.name?.[0];
  if (!n) return '';
  return n.text ?? [...(n.prefix ?? []), ...(n.given ?? []), n.family].filter(Boolean).join(' ');
}
