/**
 * Thin HTTP routes of patients (type-ahead search, registration with duplicate check,
 * demographic edits, coverage) and the chart summary; logic in clinical/patients and
 * clinical/chart-summary.
 */
import type { FastifyInstance } from 'fastify';
import { badRequest } from '@chartroom/core';
import { searchPatients } from '../clinical/patients/patient-search.js';
import { PatientRegistration } from '../clinical/patients/patient-registration.js';
import type { RegistrationInput } from '../clinical/patients/patient-registration.js';
import { ChartSummaryService } from '../clinical/chart-summary/chart-summary.js';
import { ProblemList } from '../clinical/chart-summary/problem-list.js';
import { searchIcd10 } from '../clinical/terminology/icd10cm.js';
import { access, principalOf } from './schedule-routes.js';
import type { ClinicalRouteDeps } from './schedule-routes.js';

/** Registers the patient and chart summary routes. */
export function registerPatientRoutes(app: FastifyInstance, deps: ClinicalRouteDeps): void {
  const registration = new PatientRegistration(deps.repo, deps.clock);
  const summaries = new ChartSummaryService(deps.repo, deps.clock);
  const problems = new ProblemList(deps.repo, deps.clock);

  app.get('/api/patients', access({ action: 'search', resourceType: 'Patient' }), async (req) => {
    const q = req.query as Record<string, string | undefined>;
    const limit = q.limit === undefined ? 20 : Number(q.limit);
    if (!Number.isInteger(limit)) throw badRequest('limit must be a whole number from 1 to 100', 'limit');
    return searchPatients(deps.repo, q.q, limit);
  });
  app.post('/api/patients', access({ action: 'create', resourceType: 'Patient' }), async (req, reply) =>
    reply.code(201).send(await registration.register((req.body ?? {}) as RegistrationInput)),
  );
  app.put<{ Params: { id: string } }>('/api/patients/:id', access({ action: 'update', resourceType: 'Patient', patientParam: 'id' }), async (req) =>
    registration.update(req.params.id, (req.body ?? {}) as RegistrationInput),
  );
  app.post<{ Params: { id: string } }>('/api/patients/:id/coverage', access({ action: 'create', resourceType: 'Coverage', patientParam: 'id' }), async (req, reply) =>
    reply.code(201).send(await registration.addCoverage(req.params.id, (req.body ?? {}) as NonNullable<RegistrationInput['coverage']>)),
  );
  app.get<{ Params: { id: string } }>('/api/patients/:id/summary', access({ action: 'read', resourceType: 'Patient', patientParam: 'id' }), async (req) =>
    summaries.summary(req.params.id, principalOf(req)),
  );
  app.post<{ Params: { id: string } }>('/api/patients/:id/problems', access({ action: 'create', resourceType: 'Condition', patientParam: 'id' }), async (req, reply) =>
    reply.code(201).send(await problems.add(req.params.id, (req.body ?? {}) as Record<string, unknown>, principalOf(req)?.practitionerId)),
  );
  app.post<{ Params: { id: string } }>('/api/problems/:id/resolve', access({ action: 'update', resourceType: 'Condition' }), async (req) =>
    problems.resolve(req.params.id, (req.body ?? {}) as Record<string, unknown>),
  );
  app.get('/api/terminology/icd10', access({ action: 'search', resourceType: 'CodeSystem' }), async (req) => {
    const q = req.query as Record<string, string | undefined>;
    return searchIcd10(q.q, q.limit);
  });
}
