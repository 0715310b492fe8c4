/**
 * CDS Hooks 2.0 endpoints (https://cds-hooks.hl7.org/2.0/) over clinical/medications/cds-hooks-service.ts:
 * `GET /cds-services` and `POST /cds-services/:id` (answers from the request's prefetch), and
 * the same under `/api/cds-services` for signed-in callers (missing prefetch is read from this
 * node's chart, so that path is authenticated and authorised like every `/api/` route).
 */
import type { FastifyInstance } from 'fastify';
import type { RouteAccess } from '@chartroom/core';
import type { FhirRepository } from '../store/fhir-repository.js';
import { callCdsService, cdsDiscovery } from '../clinical/medications/cds-hooks-service.js';
import type { CdsHooksServiceOptions } from '../clinical/medications/cds-hooks-service.js';

export interface CdsHooksRouteDeps extends CdsHooksServiceOptions {
  repo: FhirRepository;
}

const access = (a: RouteAccess): { config: { access: RouteAccess } } => ({ config: { access: a } });

/** Registers the CDS Hooks discovery and service endpoints. */
export function registerCdsHooksRoutes(app: FastifyInstance, deps: CdsHooksRouteDeps): void {
  const opts = { knowledgeBase: deps.knowledgeBase };
  app.get('/cds-services', async () => cdsDiscovery());
  app.post<{ Params: { id: string } }>('/cds-services/:id', async (req) => callCdsService(deps.repo, req.params.id, req.body, { ...opts, localLookup: false }));
  app.get('/api/cds-services', access({ action: 'read', resourceType: 'PlanDefinition' }), async () => cdsDiscovery());
  app.post<{ Params: { id: string } }>('/api/cds-services/:id', access({ action: 'read', resourceType: 'MedicationRequest' }), async (req) =>
    callCdsService(deps.repo, req.params.id, req.body, { ...opts, localLookup: true }),
  );
}
