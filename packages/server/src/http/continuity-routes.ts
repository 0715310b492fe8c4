/**
 * Continuity routes: the printable patient summary, `GET /api/patients/:id/summary.pdf`
 * (one page, with a QR code linking to the patient's IPS on this node).
 */
import type { FastifyInstance } from 'fastify';
import type { FhirRepository } from '../store/fhir-repository.js';
import type { Clock } from '../store/clock.js';
import { systemClock } from '../store/clock.js';
import { readPatientChart } from '../continuity/patient-chart.js';
import { withoutUnconsented } from '../fhir/ips-summary.js';
import { summaryPdf } from '../continuity/summary-pdf.js';

export interface ContinuityRouteDeps {
  repo: FhirRepository;
  practiceName?: string | undefined;
  clock?: Clock | undefined;
}

/** Registers the continuity routes. */
export function registerContinuityRoutes(app: FastifyInstance, deps: ContinuityRouteDeps): void {
  const clock = deps.clock ?? systemClock;
  app.get<{ Params: { id: string } }>(
    '/api/patients/:id/summary.pdf',
    { config: { access: { action: 'export', resourceType: 'Patient', patientParam: 'id' } } },
    async (req, reply) => {
      const now = clock.now();
      const { chart, excluded } = withoutUnconsented(await readPatientChart(deps.repo, req.params.id), now);
      const origin = `${req.protocol}://${req.headers.host ?? 'localhost'}`;
      const pdf = await summaryPdf(chart, { practiceName: deps.practiceName ?? 'Chartroom', link: `${origin}/fhir/R4/Patient/${req.params.id}/$summary`, now, excluded });
      return reply
        .header('content-type', 'application/pdf')
        .header('cache-control', 'no-store')
        .header('content-disposition', `inline; filename="patient-summary-${req.params.id}.pdf"`)
        .send(pdf);
    },
  );
}
