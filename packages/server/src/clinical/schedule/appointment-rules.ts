/**
 * The front desk's appointment states and which moves between them are allowed. Chartroom's
 * states are the FHIR Appointment statuses plus "in room", which is stored as status
 * `checked-in` with a visit-stage extension (https://hl7.org/fhir/R4/appointment.html#statemachine).
 */
import type { Appointment } from '@medplum/fhirtypes';

export const VISIT_STAGE_URL = 'https://chartroom.dev/fhir/StructureDefinition/visit-stage';
export const BOOKING_OVERRIDE_URL = 'https://chartroom.dev/fhir/StructureDefinition/booking-override';

/** States a client can ask for (`done` is accepted as another name for `fulfilled`). */
export const FRONT_DESK_STATUSES = ['booked', 'arrived', 'checked-in', 'in-room', 'fulfilled', 'cancelled', 'noshow'] as const;
export type FrontDeskStatus = (typeof FRONT_DESK_STATUSES)[number] | 'pending' | 'proposed' | 'waitlist' | 'entered-in-error';

/** Statuses whose appointment holds its time (others free it: cancelled, no-show, errors, waitlist). */
export const OCCUPYING = new Set<Appointment['status']>(['proposed', 'pending', 'booked', 'arrived', 'checked-in', 'fulfilled']);

/** The front-desk state of an appointment. */
export function frontDeskStatus(a: Appointment): FrontDeskStatus {
  if (a.status === 'checked-in' && a.extension?.some((e) => e.url === VISIT_STAGE_URL && e.valueCode === 'in-room')) return 'in-room';
  return a.status;
}

const NEXT: Record<FrontDeskStatus, readonly FrontDeskStatus[]> = {
  proposed: ['booked', 'cancelled'],
  pending: ['booked', 'cancelled'],
  waitlist: ['booked', 'cancelled'],
  booked: ['arrived', 'checked-in', 'cancelled', 'noshow'],
  arrived: ['checked-in', 'in-room', 'fulfilled', 'cancelled', 'noshow'],
  'checked-in': ['in-room', 'fulfilled', 'cancelled'],
  'in-room': ['fulfilled'],
  fulfilled: [],
  cancelled: [],
  noshow: [],
  'entered-in-error': [],
};

/** The states reachable from `from` in one step. */
export function allowedNext(from: FrontDeskStatus): readonly FrontDeskStatus[] {
  return NEXT[from];
}

/** Sets a front-desk state on an appointment (a copy). */
export function withFrontDeskStatus(a: Appointment, status: FrontDeskStatus): Appointment {
  const extension = (a.extension ?? []).filter((e) => e.url !== VISIT_STAGE_URL);
  if (status === 'in-room') extension.push({ url: VISIT_STAGE_URL, valueCode: 'in-room' });
  const out: Appointment = { ...a, status: status === 'in-room' ? 'checked-in' : status };
  if (extension.length) out.extension = extension;
  else delete out.extension;
  return out;
}
