/**
 * Clinicians' schedules, transport-free: settings (working hours, appointment types),
 * blocked time (Slots with status `busy-unavailable`) and the free-slot finder.
 * See https://hl7.org/fhir/R4/schedule.html and https://hl7.org/fhir/R4/slot.html
 */
import type { Appointment, Schedule, Slot } from '@medplum/fhirtypes';
import { badRequest, notFound, outcomeError, parseSearchRequest } from '@chartroom/core';
import type { FhirRepository } from '../../store/fhir-repository.js';
import type { Clock } from '../../store/clock.js';
import { systemClock } from '../../store/clock.js';
import { lockFor } from '../../fhir/keyed-lock.js';
import { readAllOfType } from '../patients/chart-queries.js';
import { localDateTime, parseInstant, parseLocalDay, startOfLocalDay } from './local-time.js';
import { scheduleSettings, validateSettings, withSettings, workingIntervals } from './schedule-settings.js';
import type { ScheduleSettings } from './schedule-settings.js';
import { OCCUPYING } from './appointment-rules.js';
import { AppointmentService, referenceId } from './appointment-service.js';

/** A free time a patient can be booked into. */
export interface FreeSlot {
  start: string;
  end: string;
  minutes: number;
}

/** A Schedule with its clinician and settings, as the app lists them. */
export interface ScheduleView {
  id: string;
  practitionerId: string | undefined;
  practitioner: string | undefined;
  serviceType: string | undefined;
  settings: ScheduleSettings;
}

/** The practitioner a Schedule belongs to. */
export function schedulePractitioner(s: Schedule): { id: string | undefined; display: string | undefined } {
  const actor = s.actor?.find((a) => a.reference?.startsWith('Practitioner/'));
  return { id: actor?.reference?.slice(13), display: actor?.display };
}

/** The settings, blocks and free slots of clinicians' schedules. */
export class ScheduleService {
  private readonly appointments: AppointmentService;

  constructor(
    private readonly repo: FhirRepository,
    private readonly clock: Clock = systemClock,
  ) {
    this.appointments = new AppointmentService(repo, clock);
  }

  /** Every active Schedule with its clinician and settings. */
  async list(): Promise<ScheduleView[]> {
    const all = await readAllOfType<Schedule>(this.repo, 'Schedule');
    return all.filter((s) => s.active !== false).map((s) => this.view(s));
  }

  private view(s: Schedule): ScheduleView {
    const p = schedulePractitioner(s);
    return { id: s.id ?? '', practitionerId: p.id, practitioner: p.display, serviceType: s.serviceType?.[0]?.text, settings: scheduleSettings(s) };
  }

  private async load(id: string): Promise<Schedule> {
    const v = await this.repo.readCurrent('Schedule', id);
    if (!v || v.deleted) throw notFound(`Schedule/${id} not found`);
    return JSON.parse(v.json) as Schedule;
  }

  /** Replaces a Schedule's working hours and appointment types. */
  async updateSettings(id: string, input: unknown): Promise<ScheduleView> {
    const settings = validateSettings(input);
    const current = await this.load(id);
    const next = withSettings(current, settings);
    delete next.meta;
    const { version } = await this.repo.update(next, { ifMatch: current.meta?.versionId });
    return this.view(JSON.parse(version.json) as Schedule);
  }

  /** Blocks time on a Schedule (a Slot with status busy-unavailable); refuses to block over booked appointments. */
  async block(id: string, input: { start?: unknown; end?: unknown; reason?: unknown }): Promise<Slot> {
    if (typeof input !== 'object' || input === null) throw badRequest('The body must be an object with start, end and reason');
    const start = parseInstant(input.start, 'start');
    const end = parseInstant(input.end, 'end');
    if (end.getTime() <= start.getTime()) throw badRequest('end must be after start', 'end');
    if (end.getTime() - start.getTime() > 31 * 86_400_000) throw badRequest('a block is at most 31 days long', 'end');
    if (input.reason !== undefined && typeof input.reason !== 'string') throw badRequest('reason must be text', 'reason');
    const schedule = await this.load(id);
    const practitionerId = schedulePractitioner(schedule).id;
    return lockFor(this.repo).run([`appointment:Practitioner/${practitionerId ?? id}`], async () => {
      if (practitionerId) {
        const booked = await this.appointmentsBetween(practitionerId, start, end);
        if (booked.length) {
          throw outcomeError('conflict', `Not blocked: ${booked.map((a) => `Appointment/${a.id} at ${a.start}`).join(', ')} would fall in the block; reschedule or cancel first`);
        }
      }
      const slot: Slot = {
        resourceType: 'Slot',
        schedule: { reference: `Schedule/${id}` },
        status: 'busy-unavailable',
        start: localDateTime(start),
        end: localDateTime(end),
        comment: typeof input.reason === 'string' && input.reason.trim() ? input.reason.trim() : 'Blocked',
      };
      return JSON.parse((await this.repo.create(slot)).json) as Slot;
    });
  }

  /** Occupying appointments of a clinician overlapping [start, end). */
  async appointmentsBetween(practitionerId: string, start: Date, end: Date): Promise<Appointment[]> {
    const res = await this.repo.search(
      parseSearchRequest('Appointment', {
        practitioner: `Practitioner/${practitionerId}`,
        date: [`gt${new Date(start.getTime() - 12 * 3600_000).toISOString()}`, `lt${end.toISOString()}`],
        _count: '1000',
      }),
    );
    return res.matches
      .map((v) => JSON.parse(v.json) as Appointment)
      .filter((a) => OCCUPYING.has(a.status) && Date.parse(a.start ?? '') < end.getTime() && Date.parse(a.end ?? a.start ?? '') > start.getTime());
  }

  /**
   * Free times of a clinician for an appointment type from `from` (a local day) for `days`
   * days: working hours minus appointments, blocked time and the past, cut into
   * back-to-back slots of the type's length.
   */
  async freeSlots(query: { practitioner?: unknown; from?: string; days?: string; appointmentType?: string; minutes?: string }): Promise<{ practitioner: string; appointmentType: string; minutes: number; slots: FreeSlot[] }> {
    const practitionerId = referenceId(query.practitioner, 'Practitioner', 'practitioner');
    const from = query.from === undefined ? startOfLocalDay(new Date(this.clock.now())) : parseLocalDay(query.from, 'from');
    const days = query.days === undefined ? 7 : Number(query.days);
    if (!Number.isInteger(days) || days < 1 || days > 31) throw badRequest('days must be a whole number from 1 to 31', 'days');
    const schedule = await this.appointments.scheduleOf(practitionerId);
    const settings = scheduleSettings(schedule);
    const type = query.appointmentType === undefined ? settings.appointmentTypes[0] : settings.appointmentTypes.find((t) => t.code === query.appointmentType);
    if (!type) throw badRequest(`appointmentType must be one of ${settings.appointmentTypes.map((t) => t.code).join(', ')}`, 'appointmentType');
    let minutes = type.minutes;
    if (query.minutes !== undefined) {
      minutes = Number(query.minutes);
      if (!Number.isInteger(minutes) || minutes < 5 || minutes > 480) throw badRequest('minutes must be a whole number from 5 to 480', 'minutes');
    }
    const until = startOfLocalDay(from, days);
    const busy: [number, number][] = (await this.appointmentsBetween(practitionerId, from, until)).map((a) => [Date.parse(a.start ?? ''), Date.parse(a.end ?? a.start ?? '')]);
    const blocks = await this.repo.search(
      parseSearchRequest('Slot', {
        schedule: `Schedule/${schedule.id ?? ''}`,
        status: 'busy-unavailable',
        start: [`gt${new Date(from.getTime() - 31 * 86_400_000).toISOString()}`, `lt${until.toISOString()}`],
        _count: '1000',
      }),
    );
    for (const v of blocks.matches) {
      const s = JSON.parse(v.json) as Slot;
      busy.push([Date.parse(s.start), Date.parse(s.end)]);
    }
    busy.sort((a, b) => a[0] - b[0]);
    const now = this.clock.now();
    const slots: FreeSlot[] = [];
    for (let d = 0; d < days; d++) {
      const day = startOfLocalDay(from, d);
      for (const [a, b] of workingIntervals(settings, day)) {
        let t = new Date(day.getFullYear(), day.getMonth(), day.getDate(), 0, a).getTime();
        const stop = new Date(day.getFullYear(), day.getMonth(), day.getDate(), 0, b).getTime();
        while (t + minutes * 60_000 <= stop) {
          const e = t + minutes * 60_000;
          const hit = busy.find(([s, f]) => s < e && f > t);
          if (hit) {
            t = Math.max(t + 60_000, hit[1]);
            continue;
          }
          if (t >= now) slots.push({ start: localDateTime(new Date(t)), end: localDateTime(new Date(e)), minutes });
          t = e;
        }
      }
    }
    return { practitioner: practitionerId, appointmentType: type.code, minutes, slots };
  }
}
