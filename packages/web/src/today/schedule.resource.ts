/**
 * The day's schedule (GET /api/schedule), front-desk status changes (POST /api/appointments/:id/status),
 * free slots and booking. Where the schedule API is missing, the day is built from a FHIR Appointment search.
 */
import { apiRequest, withFallback } from '../api/api-client';
import { ApiError } from '../api/api-error';
import { mrnOf, nameOf, refId } from '../api/fhir-format';
import type { Appointment, Bundle, Patient, Practitioner } from '../api/fhir-types';

/** Front-desk states (FHIR Appointment.status plus "in-room"). */
export type FrontDeskStatus = 'booked' | 'arrived' | 'checked-in' | 'in-room' | 'fulfilled' | 'cancelled' | 'noshow' | 'pending' | 'proposed' | 'waitlist' | 'entered-in-error';

export interface DayAppointment {
  id: string;
  start?: string;
  end?: string;
  minutes?: number;
  status: FrontDeskStatus;
  next: readonly FrontDeskStatus[];
  appointmentType?: string;
  reason?: string;
  patient: { id: string; name: string; birthDate?: string; gender?: string; mrn?: string } | null;
  flags?: { allergies?: boolean; balance?: number; newPatient?: boolean; doubleBooked?: boolean };
}

export interface DayColumn {
  practitionerId: string;
  practitioner: string;
  appointments: DayAppointment[];
}

export interface DayView {
  date: string;
  columns: DayColumn[];
  /** Built from FHIR searches because the schedule API is not on this server. */
  fallback?: boolean;
}

/** Words for each state, and for the button that moves to it. */
export const STATUS_LABEL: Record<FrontDeskStatus, { state: string; action: string; color: string }> = {
  booked: { state: 'Booked', action: 'Book', color: 'gray' },
  arrived: { state: 'Arrived', action: 'Arrived', color: 'blue' },
  'checked-in': { state: 'Checked in', action: 'Check in', color: 'indigo' },
  'in-room': { state: 'In room', action: 'In room', color: 'violet' },
  fulfilled: { state: 'Done', action: 'Done', color: 'teal' },
  cancelled: { state: 'Cancelled', action: 'Cancel', color: 'gray' },
  noshow: { state: 'No-show', action: 'No-show', color: 'orange' },
  pending: { state: 'Pending', action: 'Pending', color: 'gray' },
  proposed: { state: 'Proposed', action: 'Propose', color: 'gray' },
  waitlist: { state: 'Wait list', action: 'Wait list', color: 'gray' },
  'entered-in-error': { state: 'Entered in error', action: 'Entered in error', color: 'red' },
};

const NEXT: Partial<Record<FrontDeskStatus, FrontDeskStatus[]>> = {
  booked: ['arrived', 'checked-in', 'noshow', 'cancelled'],
  arrived: ['checked-in', 'fulfilled', 'noshow', 'cancelled'],
  'checked-in': ['fulfilled', 'cancelled'],
};

/** Builds a day view from a FHIR Appointment search (no schedule API on this node). */
async function fhirDay(date: string, practitioner: string | undefined, signal: AbortSignal): Promise<DayView> {
  const params = new URLSearchParams({ date, _count: '500', _sort: 'date' });
  params.append('_include', 'Appointment:patient');
  params.append('_include', 'Appointment:practitioner');
  if (practitioner) params.set('practitioner', practitioner);
  const b = await apiRequest<Bundle<Appointment | Patient | Practitioner>>(`/fhir/R4/Appointment?${params}`, { signal, what: 'Loading the schedule' });
  const patients = new Map<string, Patient>();
  const practitioners = new Map<string, Practitioner>();
  const appts: Appointment[] = [];
  for (const e of b.entry ?? []) {
    const r = e.resource;
    if (r?.resourceType === 'Patient' && r.id) patients.set(r.id, r);
    else if (r?.resourceType === 'Practitioner' && r.id) practitioners.set(r.id, r);
    else if (r?.resourceType === 'Appointment') appts.push(r);
  }
  const columns = new Map<string, DayColumn>();
  for (const a of appts) {
    const prRef = a.participant?.find((p) => p.actor?.reference?.startsWith('Practitioner/'))?.actor;
    const prId = refId(prRef) ?? 'unassigned';
    let col = columns.get(prId);
    if (!col) {
      const pr = practitioners.get(prId);
      col = { practitionerId: prId, practitioner: pr ? nameOf(pr.name) : prRef?.display ?? 'Unassigned', appointments: [] };
      columns.set(prId, col);
    }
    const ptRef = a.participant?.find((p) => p.actor?.reference?.startsWith('Patient/'))?.actor;
    const pt = patients.get(refId(ptRef) ?? '');
    const status = (a.status ?? 'booked') as FrontDeskStatus;
    col.appointments.push({
      id: a.id ?? '',
      start: a.start,
      end: a.end,
      minutes: a.minutesDuration,
      status,
      next: NEXT[status] ?? [],
      appointmentType: a.serviceType?.[0]?.text,
      reason: a.description,
      patient: pt?.id ? { id: pt.id, name: nameOf(pt.name), birthDate: pt.birthDate, gender: pt.gender, mrn: mrnOf(pt) } : ptRef ? { id: refId(ptRef) ?? '', name: ptRef.display ?? 'Patient' } : null,
    });
  }
  return { date, columns: [...columns.values()].sort((x, y) => x.practitioner.localeCompare(y.practitioner)), fallback: true };
}

/** Loads a day's schedule (all clinicians, or one). */
export function loadDay(date: string, practitioner: string | undefined, signal: AbortSignal): Promise<DayView> {
  const q = new URLSearchParams({ date });
  if (practitioner) q.set('practitioner', practitioner);
  return withFallback(
    () => apiRequest<DayView>(`/api/schedule?${q}`, { signal, what: 'Loading the schedule' }),
    () => fhirDay(date, practitioner, signal),
  );
}

/** Moves an appointment to a front-desk state. */
export async function setAppointmentStatus(id: string, status: FrontDeskStatus, reason?: string): Promise<void> {
  await withFallback(
    () => apiRequest(`/api/appointments/${encodeURIComponent(id)}/status`, { method: 'POST', body: reason ? { status, reason } : { status }, what: `Setting the appointment to ${STATUS_LABEL[status].state}` }),
    async () => {
      if (status === 'in-room') throw new ApiError(404, '"In room" needs the schedule API, which this server does not have yet');
      const a = await apiRequest<Appointment>(`/fhir/R4/Appointment/${encodeURIComponent(id)}`, { what: 'Reading the appointment' });
      await apiRequest(`/fhir/R4/Appointment/${encodeURIComponent(id)}`, { method: 'PUT', body: { ...a, status }, what: `Setting the appointment to ${STATUS_LABEL[status].state}` });
    },
  );
}

export interface FreeSlot {
  start: string;
  end: string;
  minutes: number;
}

/** Free slots of a clinician from a day on. */
export async function loadFreeSlots(practitioner: string, from: string, signal: AbortSignal): Promise<FreeSlot[]> {
  const q = new URLSearchParams({ practitioner, from, days: '1' });
  const body = await apiRequest<{ slots: FreeSlot[] }>(`/api/free-slots?${q}`, { signal, what: 'Finding free slots' });
  return body.slots;
}

/** Books an appointment in a free slot. */
export async function bookAppointment(input: { patient: string; practitioner: string; start: string; reason?: string }): Promise<void> {
  await apiRequest('/api/appointments', { method: 'POST', body: input, what: 'Booking the appointment' });
}

/** Moves a booked appointment to another start (same clinician unless given); the server refuses overlaps with a precise message. */
export async function rescheduleAppointment(id: string, input: { start: string; practitioner?: string }): Promise<void> {
  await apiRequest(`/api/appointments/${encodeURIComponent(id)}/reschedule`, { method: 'POST', body: input, what: 'Rescheduling the appointment' });
}

/** States from which an appointment can be rescheduled. */
export const RESCHEDULABLE: readonly FrontDeskStatus[] = ['booked', 'pending', 'proposed', 'waitlist'];
