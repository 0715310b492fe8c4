/**
 * Thin HTTP routes of lab results (logic in clinical/labs): FHIR and HL7 v2 intake, the
 * results inbox and acknowledgement, and trend series for plotting.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '@chartroom/core';
import type { FhirRepository } from '../store/fhir-repository.js';
import type { Clock } from '../store/clock.js';
import { requestPrincipal, routeAccess } from './authorize.js';
import { fileFhirResults } from '../clinical/labs/fhir-results-intake.js';
import { fileHl7Text } from '../clinical/labs/oru-filing.js';
import { acknowledgeResult, resultsInbox } from '../clinical/labs/results-inbox.js';
import { labTrend } from '../clinical/labs/lab-trend.js';

export interface ResultsRouteDeps {
  repo: FhirRepository;
  clock?: Clock;
}

/** Media types an HL7 v2 (ER7, pipe-delimited) body may be sent as. */
export const HL7_MEDIA_TYPES = ['x-application/hl7-v2+er7', 'application/hl7-v2', 'application/edi-hl7', 'text/plain'];

function one(value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw badRequest(`${name} must be given once`, name);
  return value;
}

/** Registers the results routes. */
export function registerResultsRoutes(app: FastifyInstance, deps: ResultsRouteDeps): void {
  const { repo, clock } = deps;

  app.post('/api/results', routeAccess({ action: 'create', resourceType: 'Observation' }), async (req, reply) =>
    reply.code(201).send(await fileFhirResults(repo, req.body, clock ? { clock } : {})),
  );

  // HL7 v2 text in the body (ER7): every message filed on its own, all-or-nothing each.
  app.register(async (scope) => {
    scope.addContentTypeParser(HL7_MEDIA_TYPES, { parseAs: 'string' }, (_req, body, done) => done(null, body));
    scope.post('/api/results/hl7', routeAccess({ action: 'create', resourceType: 'DiagnosticReport' }), async (req, reply) => {
      if (typeof req.body !== 'string') throw badRequest(`Send the HL7 v2 messages as text (Content-Type ${HL7_MEDIA_TYPES[0]})`);
      const r = await fileHl7Text(repo, req.body, clock ? { clock } : {});
      const filed = r.messages.filter((m) => m.status !== 'rejected').length;
      const body = {
        messages: r.messages.map((m) => ({ status: m.status, controlId: m.controlId, line: m.line, patient: m.patient, reports: m.reports, observations: m.observations, errors: m.errors })),
        fileErrors: r.fileErrors,
      };
      // All filed: 201; none: 400 with the report; some: 207-like partial success as 200.
      return reply.code(filed === r.messages.length && r.fileErrors.length === 0 ? 201 : filed === 0 ? 400 : 200).send(body);
    });
  });

  app.get<{ Querystring: Record<string, unknown> }>('/api/results-inbox', routeAccess({ action: 'search', resourceType: 'Task' }), async (req) => {
    const asked = one(req.query.practitioner, 'practitioner');
    // Default: the signed-in clinician's inbox; `practitioner=all` (or no clinician) the practice's.
    const practitioner = asked === 'all' ? undefined : (asked?.replace(/^Practitioner\//, '') ?? requestPrincipal(req)?.practitionerId);
    const items = await resultsInbox(repo, practitioner ? { practitioner } : {});
    return { practitioner: practitioner ?? null, total: items.length, items };
  });

  app.post<{ Params: { id: string } }>('/api/results/:id/acknowledge', routeAccess({ action: 'update', resourceType: 'Task' }), async (req: FastifyRequest<{ Params: { id: string } }>) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (typeof body !== 'object' || Array.isArray(body)) throw badRequest('The body, when sent, must be a JSON object');
    const note = body.note;
    if (note !== undefined && typeof note !== 'string') throw badRequest('note must be text', 'note');
    const principal = requestPrincipal(req);
    const by = principal
      ? { ...(principal.practitionerId ? { practitionerId: principal.practitionerId } : {}), display: principal.username ?? principal.kind }
      : typeof body.practitioner === 'string'
        ? { practitionerId: body.practitioner.replace(/^Practitioner\//, '') }
        : {};
    const r = await acknowledgeResult(repo, req.params.id, by, { ...(clock ? { clock } : {}), ...(note ? { note } : {}) });
    return { id: req.params.id, status: 'acknowledged', acknowledgedAt: r.task.executionPeriod?.end, acknowledgedBy: r.task.output?.[0]?.valueReference, task: r.task.id, provenance: r.provenance.id };
  });

  app.get<{ Params: { id: string }; Querystring: Record<string, unknown> }>(
    '/api/patients/:id/labs/trend',
    routeAccess({ action: 'read', resourceType: 'Observation', patientParam: 'id' }),
    async (req) => {
      const code = one(req.query.code, 'code') ?? '';
      const from = one(req.query.from, 'from');
      const to = one(req.query.to, 'to');
      for (const [name, v] of [['from', from], ['to', to]] as const) {
        if (v !== undefined && !/^\d{4}(-\d{2}(-\d{2})?)?$/.test(v)) throw badRequest(`${name} must be a date (YYYY, YYYY-MM or YYYY-MM-DD)`, name);
      }
      return labTrend(repo, req.params.id, code, { ...(from ? { from } : {}), ...(to ? { to } : {}) });
    },
  );
}
