/**
 * Registers the routes of the practice's daily work that live in clinical/schedule,
 * clinical/patients, clinical/chart-summary, clinical/notes and clinical/terminology.
 */
import type { FastifyInstance } from 'fastify';
import { registerScheduleRoutes } from './schedule-routes.js';
import type { ClinicalRouteDeps } from './schedule-routes.js';
import { registerPatientRoutes } from './patient-routes.js';
import { registerNoteRoutes } from './note-routes.js';

/** One call for buildApp: schedule, patients, chart summary, notes, terminology. */
export function registerChartRoutes(app: FastifyInstance, deps: ClinicalRouteDeps): void {
  registerScheduleRoutes(app, deps);
  registerPatientRoutes(app, deps);
  registerNoteRoutes(app, deps);
}
