/**
 * Thin HTTP routes of the schedule and front desk (transport-free logic in
 * clinical/schedule/): the day view, schedules and their settings, blocked time, free
 * slots, booking, rescheduling and front-desk status changes.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal, RouteAccess } from '@chartroom/core';
import type { FhirRepository } from '../store/fhir-repository.js';
import type { Clock } from '../store/clock.js';
import { AppointmentService } from '../clinical/schedule/appointment-service.js';
import type { BookingInput, RescheduleInput, StatusInput } from '../clinical/schedule/appointment-service.js';
import { ScheduleService } from '../clinical/schedule/schedule-service.js';
import { dayView } from '../clinical/schedule/day-view.js';

/** What the clinical routes need. */
export interface ClinicalRouteDeps {
  repo: FhirRepository;
  clock?: Clock | undefined;
}

/** The caller, once authentication has set it (absent before the auth layer or for the node itself). */
export function principalOf(req: FastifyRequest): Principal | undefined {
  return (req as FastifyRequest & { principal?: Principal }).principal;
}

/** Route options declaring what the route does, for the policy hook. */
export function access(a: RouteAccess): { config: { access: RouteAccess } } {
  return { config: { access: a } };
}

type Q = Record<string, string | undefined>;

/** Registers the schedule and front-desk routes. */
export function registerScheduleRoutes(app: FastifyInstance, deps: ClinicalRouteDeps): void {
  const appointments = new AppointmentService(deps.repo, deps.clock);
  const schedules = new ScheduleService(deps.repo, deps.clock);

  app.get('/api/schedule', access({ action: 'search', resourceType: 'Appointment' }), async (req) => {
    const q = req.query as Q;
    return dayView(deps.repo, { date: q.date, practitioner: q.practitioner });
  });
  app.get('/api/schedules', access({ action: 'search', resourceType: 'Schedule' }), async () => ({ schedules: await schedules.list() }));
  app.put<{ Params: { id: string } }>('/api/schedules/:id/settings', access({ action: 'update', resourceType: 'Schedule' }), async (req) =>
    schedules.updateSettings(req.params.id, req.body),
  );
  app.post<{ Params: { id: string } }>('/api/schedules/:id/blocks', access({ action: 'create', resourceType: 'Slot' }), async (req, reply) =>
    reply.code(201).send(await schedules.block(req.params.id, (req.body ?? {}) as Record<string, unknown>)),
  );
  app.get('/api/free-slots', access({ action: 'search', resourceType: 'Slot' }), async (req) => {
    const q = req.query as Q;
    return schedules.freeSlots({ practitioner: q.practitioner, from: q.from, days: q.days, appointmentType: q.appointmentType, minutes: q.minutes });
  });
  app.post('/api/appointments', access({ action: 'create', resourceType: 'Appointment' }), async (req, reply) =>
    reply.code(201).send(await appointments.book((req.body ?? {}) as BookingInput, principalOf(req))),
  );
  app.post<{ Params: { id: string } }>('/api/appointments/:id/reschedule', access({ action: 'update', resourceType: 'Appointment' }), async (req) =>
    appointments.reschedule(req.params.id, (req.body ?? {}) as RescheduleInput, principalOf(req)),
  );
  app.post<{ Params: { id: string } }>('/api/appointments/:id/status', access({ action: 'update', resourceType: 'Appointment' }), async (req) =>
    appointments.setStatus(req.params.id, (req.body ?? {}) as StatusInput),
  );
}
