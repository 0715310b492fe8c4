/**
 * The HTTP face of a node (Fastify): a thin adapter from HTTP to the transport-free FHIR
 * router, one error handler, and the web app's static page. `buildApp` never listens.
 */
import Fastify from 'fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OutcomeError, outcomeError } from '@chartroom/core';
import type { QueryParams } from '@chartroom/core';
import type { FhirRepository } from '../store/fhir-repository.js';
import { handleFhirRequest } from '../fhir/router.js';
import type { FhirRequest } from '../fhir/types.js';
import { parseJsonBody } from './json-body.js';
import { registerChartRoutes } from './chart-routes.js';
import { registerResultsRoutes } from './results-routes.js';
import { registerDocumentRoutes } from './document-routes.js';
import { registerMedicationRoutes } from './medication-routes.js';
import { registerCdsHooksRoutes } from './cds-hooks-routes.js';
import { MedicationService } from '../clinical/medications/medication-service.js';
import type { KnowledgeBaseState } from '@chartroom/core';
import type { Clock } from '../store/clock.js';
import { registerWebApp } from './web-page.js';
import { disableBulkExport, enableBulkExport } from '../fhir/bulk-export.js';
import type { BulkExportOptions } from '../fhir/bulk-export.js';
import { registerContinuityRoutes } from './continuity-routes.js';
import type { AuthService } from '../security/auth-service.js';
import { registerAuthentication } from './authenticate.js';
import { registerAuthRoutes } from './auth-routes.js';
import { registerSmartRoutes } from './smart-routes.js';
import type { SmartClient } from '../security/smart-launch.js';
import { registerAuthorization } from './authorize.js';
import { registerAuditRoutes } from './audit-routes.js';
import { withAccessControl } from '../fhir/access-control.js';
import type { AuditLog } from '../security/audit-log.js';
import type { BreakGlassService } from '../security/break-glass.js';
import type { SyncService } from '../sync/sync-service.js';
import { registerSyncRoutes } from './sync-routes.js';
import { registerConflictRoutes } from './conflict-routes.js';
import { registerDowntimeRoutes } from './downtime-routes.js';
import type { DowntimeKitService } from '../downtime/kit-settings.js';

export interface AppConfig {
  repo: FhirRepository;
  /** Serve HTTPS with this certificate and key (PEM; sync/tls-certificate.ts); plain HTTP when absent. */
  https?: { key: string; cert: string };
  /** Largest request body in bytes (default 32 MiB, enough for large transaction Bundles). */
  bodyLimit?: number;
  /** Log requests (default off: the CLI turns it on). */
  logger?: boolean;
  /** Practice name shown on the start page. */
  practiceName?: string;
  /** Clock of the schedule, patient and note services (default the wall clock; tests inject one). */
  clinicalClock?: Clock;
  /** Documents: the largest upload in bytes (default 25 MiB; config.json `maxUploadBytes`). */
  documents?: { maxUploadBytes?: number };
  /** The drug knowledge base of prescribing checks (default: the one shipped with Chartroom; tests inject a broken one). */
  medicationKnowledgeBase?: () => Promise<KnowledgeBaseState>;
  /** Bulk Data `$export` (its files' folder, normally DATA/exports); absent, `$export` answers 501. */
  bulkExport?: BulkExportOptions;
  /** Accounts and sessions; absent, no credential can be checked and every protected request gets 401. */
  auth?: AuthService;
  /** SMART apps the practice registered (standalone launch with PKCE). */
  smartApps?: SmartClient[];
  /** The node's audit trail (security/audit-log.ts); absent, nothing is audited (tests of other areas). */
  audit?: AuditLog;
  /** Break-the-glass grants (security/break-glass.ts). */
  breakGlass?: BreakGlassService;
  /** Replication (sync/sync-service.ts): `/sync/…` peer routes, sync status and the conflict inbox. */
  sync?: SyncService;
  /** The downtime-kit settings and schedule (`/api/downtime-kit/…`); absent, those routes do not exist. */
  downtimeKit?: DowntimeKitService;
}

export const FHIR_BASE = '/fhir/R4';
const FHIR_JSON = 'application/fhir+json; charset=utf-8';
const JSON_TYPES = ['application/json', 'application/fhir+json', 'application/json-patch+json'];

function sendOutcome(reply: FastifyReply, err: OutcomeError): FastifyReply {
  return reply.code(err.status).header('content-type', FHIR_JSON).header('cache-control', 'no-store').send(JSON.stringify(err.outcome));
}

/** Decodes the path below the FHIR base; a bad %-escape is a 400, not a crash. */
function decodePath(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    throw outcomeError('badRequest', `The URL path "${path}" has an invalid %-escape`);
  }
}

/** Refuses XML (or any non-JSON format) asked for by `Accept` or `_format` (https://hl7.org/fhir/R4/http.html#mime-type). */
function checkFormat(accept: string, format: QueryParams[string]): void {
  if (/xml/i.test(accept) && !/json|\*\/\*/i.test(accept)) {
    throw outcomeError('unsupportedMediaType', 'Chartroom answers in FHIR JSON only; XML is not supported');
  }
  for (const f of Array.isArray(format) ? format : format === undefined ? [] : [format]) {
    if (!/json/i.test(f)) {
      throw outcomeError('unsupportedMediaType', `_format "${f}" is not supported: Chartroom answers in FHIR JSON (json, application/fhir+json) only`, '_format');
    }
  }
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The absolute FHIR base URL as the client sees it. */
function baseUrl(req: FastifyRequest): string {
  return `${req.protocol}://${req.headers.host ?? 'localhost'}${FHIR_BASE}`;
}

/** Builds the Fastify app for a node without listening. */
export async function buildApp(config: AppConfig): Promise<FastifyInstance> {
  const bodyLimit = config.bodyLimit ?? 32 * 1024 * 1024;
  const app = Fastify({
    ...(config.https ? { https: config.https } : {}),
    logger: config.logger ?? false,
    bodyLimit,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1000 },
    // A URL the router cannot decode (bad %-escapes, over-long segments) is still a FHIR 400.
    frameworkErrors: (err, _req, reply) => sendOutcome(reply, outcomeError('badRequest', `The URL is not valid: ${err.message}`)),
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser(JSON_TYPES, { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    const params: QueryParams = {};
    for (const [k, v] of new URLSearchParams(body as string)) {
      const cur = params[k];
      params[k] = cur === undefined ? v : Array.isArray(cur) ? [...cur, v] : [cur, v];
    }
    done(null, params);
  });
  app.addContentTypeParser('*', (req, _payload, done) => {
    const type = req.headers['content-type'];
    const what = type ? `Content-Type "${type}" is not supported` : 'The request has a body but no Content-Type';
    done(
      outcomeError('unsupportedMediaType', `${what}: Chartroom accepts FHIR JSON (application/fhir+json or application/json)${/xml/i.test(type ?? '') ? '; XML is not supported' : ''}`),
      undefined,
    );
  });

  app.setErrorHandler((err: unknown, req, reply) => {
    if (err instanceof OutcomeError) return sendOutcome(reply, err);
    const e = err as { statusCode?: number; code?: string; message?: string };
    if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || e.statusCode === 413) {
      return sendOutcome(reply, outcomeError('tooLarge', `The body is larger than the limit of ${bodyLimit} bytes`));
    }
    if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' || e.statusCode === 415) {
      return sendOutcome(reply, outcomeError('unsupportedMediaType', 'Chartroom accepts FHIR JSON (application/fhir+json or application/json)'));
    }
    if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      return sendOutcome(reply, outcomeError('badRequest', e.message ?? 'Bad request'));
    }
    req.log.error({ err }, 'unhandled error');
    return sendOutcome(reply, outcomeError('serverError', 'Internal error; the request was not completed and nothing was changed'));
  });

  app.setNotFoundHandler((req, reply) => sendOutcome(reply, outcomeError('notFound', `No route for ${req.method} ${req.url}`)));

  registerAuthentication(app, { auth: config.auth, fhirBase: FHIR_BASE });
  const grantsFor = config.breakGlass ? (userId: string) => config.breakGlass?.grantsFor(userId) ?? [] : undefined;
  registerAuthorization(app, { fhirBase: FHIR_BASE, audit: config.audit, grantsFor });
  const handleFhir = withAccessControl(handleFhirRequest, { audit: config.audit, grantsFor });

  const fhir = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> => {
    const url = req.url;
    const q = url.indexOf('?');
    const path = decodePath((q >= 0 ? url.slice(0, q) : url).slice(FHIR_BASE.length));
    checkFormat(header(req, 'accept') ?? '', (req.query as QueryParams)._format);
    const fr: FhirRequest = {
      method: req.method as FhirRequest['method'],
      path,
      query: req.query as QueryParams,
      body: req.body,
      baseUrl: baseUrl(req),
      ifMatch: header(req, 'if-match'),
      ifNoneExist: header(req, 'if-none-exist'),
      ifNoneMatch: header(req, 'if-none-match'),
      prefer: header(req, 'prefer'),
      principal: req.principal,
    };
    if ((fr.method === 'POST' || fr.method === 'PUT') && fr.body === undefined && !path.endsWith('_search') && !path.includes('$')) {
      return sendOutcome(reply, outcomeError('badRequest', 'The request needs a JSON body'));
    }
    const res = await handleFhir(fr, config.repo);
    reply.code(res.status).header('content-type', FHIR_JSON).header('cache-control', 'no-store');
    for (const [k, v] of Object.entries(res.headers ?? {})) reply.header(k, v);
    if (res.body === undefined) return reply.send();
    return reply.send(res.raw ? (res.body as string) : JSON.stringify(res.body));
  };
  app.route({ method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD'], url: `${FHIR_BASE}`, handler: fhir });
  app.route({ method: ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD'], url: `${FHIR_BASE}/*`, handler: fhir });

  if (config.auth) registerAuthRoutes(app, { auth: config.auth });
  if (config.auth) registerSmartRoutes(app, { auth: config.auth, clients: config.smartApps ?? [], fhirBase: FHIR_BASE });
  if (config.audit) registerAuditRoutes(app, { audit: config.audit, breakGlass: config.breakGlass });
  if (config.sync) {
    registerSyncRoutes(app, { sync: config.sync });
    registerConflictRoutes(app, { sync: config.sync });
  }
  registerChartRoutes(app, { repo: config.repo, clock: config.clinicalClock });
  registerResultsRoutes(app, { repo: config.repo, clock: config.clinicalClock });
  registerDocumentRoutes(app, { repo: config.repo, clock: config.clinicalClock, maxUploadBytes: config.documents?.maxUploadBytes, practiceName: config.practiceName });
  const medications = new MedicationService(config.repo, { clock: config.clinicalClock, audit: config.audit, knowledgeBase: config.medicationKnowledgeBase });
  registerMedicationRoutes(app, { medications, practiceName: config.practiceName ?? 'Chartroom' });
  registerCdsHooksRoutes(app, { repo: config.repo, knowledgeBase: config.medicationKnowledgeBase });
  if (config.bulkExport) enableBulkExport(config.repo, config.bulkExport);
  registerContinuityRoutes(app, { repo: config.repo, practiceName: config.practiceName, clock: config.clinicalClock });
  if (config.downtimeKit) registerDowntimeRoutes(app, { downtimeKit: config.downtimeKit });
  app.addHook('onClose', async () => disableBulkExport(config.repo));
  app.get('/healthz', async () => ({ status: 'ok' }));
  registerWebApp(app, config.practiceName ?? 'Chartroom');
  return app;
}
