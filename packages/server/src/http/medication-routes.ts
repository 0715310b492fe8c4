/**
 * Thin HTTP routes of prescribing (logic in clinical/medications/): drug search, interaction
 * checks (a draft order, or the whole list), prescribe, renew, change, discontinue,
 * reconciliation, and the printable prescription.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal, RouteAccess } from '@chartroom/core';
import type { MedicationService } from '../clinical/medications/medication-service.js';
import { authorizeResource } from './authorize.js';

export interface MedicationRouteDeps {
  medications: MedicationService;
  /** Printed on prescriptions. */
  practiceName: string;
}

const access = (a: RouteAccess): { config: { access: RouteAccess } } => ({ config: { access: a } });
const principalOf = (req: FastifyRequest): Principal | undefined => (req as FastifyRequest & { principal?: Principal }).principal;
type Body = Record<string, unknown> | undefined;

/** The drafts a medication-check body names: `{medicationRequest}`, `{medicationRequests: […]}`, a bare MedicationRequest, or none. */
function draftsOf(body: Body): unknown[] {
  if (!body || Object.keys(body).length === 0) return [];
  if (body.resourceType === 'MedicationRequest') return [body];
  if (Array.isArray(body.medicationRequests)) return body.medicationRequests;
  if (body.medicationRequest !== undefined) return [body.medicationRequest];
  return [body];
}

/** Registers the prescribing routes. */
export function registerMedicationRoutes(app: FastifyInstance, deps: MedicationRouteDeps): void {
  const svc = deps.medications;
  app.get('/api/drugs', access({ action: 'search', resourceType: 'Medication' }), async (req) => {
    const q = req.query as Record<string, string | undefined>;
    return svc.searchDrugs(q.q, q.limit ? Number(q.limit) || 20 : 20);
  });
  app.post<{ Params: { id: string } }>('/api/patients/:id/medication-check', access({ action: 'read', resourceType: 'MedicationRequest', patientParam: 'id' }), async (req) =>
    svc.check(req.params.id, draftsOf(req.body as Body)),
  );
  app.get<{ Params: { id: string } }>('/api/patients/:id/medication-check', access({ action: 'read', resourceType: 'MedicationRequest', patientParam: 'id' }), async (req) =>
    svc.check(req.params.id, []),
  );
  app.post<{ Params: { id: string } }>('/api/patients/:id/prescriptions', access({ action: 'create', resourceType: 'MedicationRequest', patientParam: 'id' }), async (req, reply) =>
    reply.code(201).send(await svc.prescribe(req.params.id, (req.body ?? {}) as Record<string, unknown>, principalOf(req))),
  );
  // Routes by order id: the order's patient and labels are checked once it is read (authorizeResource).
  app.post<{ Params: { id: string } }>('/api/prescriptions/:id/renew', access({ action: 'create', resourceType: 'MedicationRequest' }), async (req, reply) => {
    authorizeResource(req, 'create', await svc.readOrder(req.params.id));
    return reply.code(201).send(await svc.renew(req.params.id, (req.body ?? {}) as Record<string, unknown>, principalOf(req)));
  });
  app.post<{ Params: { id: string } }>('/api/prescriptions/:id/change', access({ action: 'create', resourceType: 'MedicationRequest' }), async (req, reply) => {
    authorizeResource(req, 'create', await svc.readOrder(req.params.id));
    return reply.code(201).send(await svc.change(req.params.id, (req.body ?? {}) as Record<string, unknown>, principalOf(req)));
  });
  app.post<{ Params: { id: string } }>('/api/prescriptions/:id/discontinue', access({ action: 'update', resourceType: 'MedicationRequest' }), async (req) => {
    authorizeResource(req, 'update', await svc.readOrder(req.params.id));
    return svc.discontinue(req.params.id, (req.body ?? {}) as Record<string, unknown>, principalOf(req));
  });
  app.post<{ Params: { id: string } }>('/api/patients/:id/medication-reconciliation', access({ action: 'update', resourceType: 'MedicationStatement', patientParam: 'id' }), async (req) =>
    svc.reconcile(req.params.id, (req.body ?? {}) as Record<string, unknown>, principalOf(req)),
  );
  app.get<{ Params: { id: string } }>('/api/prescriptions/:id/pdf', access({ action: 'read', resourceType: 'MedicationRequest' }), async (req, reply) => {
    authorizeResource(req, 'read', await svc.readOrder(req.params.id));
    const pdf = await svc.prescriptionPdf(req.params.id, deps.practiceName, principalOf(req));
    return reply
      .header('content-type', 'application/pdf')
      .header('content-disposition', `inline; filename="prescription-${req.params.id}.pdf"`)
      .header('cache-control', 'no-store')
      .send(pdf);
  });
}
