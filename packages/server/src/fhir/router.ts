/**
 * FHIR R4 REST semantics, transport-free: `(request, repository) → response`
 * (https://hl7.org/fhir/R4/http.html). The HTTP layer only adapts.
 */
import { OutcomeError, badRequest, isSupportedResourceType, notFound, outcome, outcomeError } from '@chartroom/core';
import type { FhirRepository, StoredVersion } from '../store/fhir-repository.js';
import { capabilityStatement } from './capability.js';
import { conditionalCreate } from './conditional-create.js';
import { historyBundle } from './history-bundle.js';
import { allPatientsEverything, patientEverything } from './patient-everything.js';
import { searchBundle } from './search-bundle.js';
import { formParams, mergeParams, parseSearch } from './search-params.js';
import { processBundle } from './transaction.js';
import { routeBulkExport } from './bulk-export.js';
import { routePatientSummary } from './ips-summary.js';
import type { FhirRequest, FhirResponse } from './types.js';

export const CHARTROOM_VERSION = '0.1.0';

const ID = /^[A-Za-z0-9\-.]{1,64}$/;

function versionHeaders(v: StoredVersion): Record<string, string> {
  const headers: Record<string, string> = { etag: `W/"${v.rev}"`, 'last-modified': new Date(v.lastUpdated).toUTCString() };
  // Replication conflict: the number of live leaves; GET /api/conflicts lists them (README, "Running a hub").
  if (v.conflicts) headers['x-chartroom-conflict'] = String(v.conflicts);
  return headers;
}

function resourceResponse(status: number, v: StoredVersion, baseUrl?: string): FhirResponse {
  const headers = versionHeaders(v);
  if (baseUrl) headers.location = `${baseUrl}/${v.type}/${v.id}/_history/${v.rev}`;
  return { status, body: v.json, raw: true, headers };
}

function raw(body: string): FhirResponse {
  return { status: 200, body, raw: true };
}

function checkType(type: string): void {
  if (!isSupportedResourceType(type)) throw notFound(`Unknown resource type "${type}"`);
}

function checkId(id: string, type: string): void {
  if (!ID.test(id)) throw badRequest(`Invalid id "${id}": 1-64 characters of A-Z, a-z, 0-9, "-" and "."`, `${type}.id`);
}

function isObject(body: unknown): body is Record<string, unknown> {
  return typeof body === 'object' && body !== null && !Array.isArray(body);
}

/** The resource body of a create or update: a JSON object whose resourceType is the URL's type. */
function resourceBody(body: unknown, type: string): Record<string, unknown> {
  if (!isObject(body)) throw badRequest('The body must be a FHIR resource (a JSON object)');
  if (body.resourceType === undefined) throw badRequest('Missing resourceType', `${type}.resourceType`);
  if (body.resourceType !== type) {
    throw badRequest(`Body resourceType "${String(body.resourceType)}" does not match the URL type "${type}"`, `${type}.resourceType`);
  }
  return body;
}

/** Lenient unless the client asked for `Prefer: handling=strict` (https://hl7.org/fhir/R4/search.html#errors). */
export function isStrict(prefer: string | undefined): boolean {
  return /handling\s*=\s*strict/i.test(prefer ?? '');
}

/** Handles one FHIR request against a repository; errors become OperationOutcome responses. */
export async function handleFhirRequest(req: FhirRequest, repo: FhirRepository): Promise<FhirResponse> {
  try {
    return await route(req, repo);
  } catch (err) {
    if (err instanceof OutcomeError) return { status: err.status, body: err.outcome };
    throw err;
  }
}

async function route(req: FhirRequest, repo: FhirRepository): Promise<FhirResponse> {
  const bulk = routeBulkExport(req, repo); // $export, its status and files (bulk-export.ts)
  if (bulk) return bulk;
  const summary = routePatientSummary(req, repo); // Patient/[id]/$summary (ips-summary.ts)
  if (summary) return summary;
  const parts = req.path.split('/').filter((p) => p !== '');
  const [first, second] = parts;
  const method = req.method === 'HEAD' ? 'GET' : req.method;

  if (first === undefined) {
    if (method === 'POST') return { status: 200, body: await processBundle(handleFhirRequest, repo, req.body, req.baseUrl, isStrict(req.prefer)) };
    throw outcomeError('notAllowed', `${req.method} is not supported at the base; POST a transaction or batch Bundle`);
  }
  if (first === 'metadata' && parts.length === 1) {
    if (method !== 'GET') throw outcomeError('notAllowed', 'metadata supports GET only');
    return { status: 200, body: capabilityStatement(CHARTROOM_VERSION) };
  }
  if (first === '_history' && parts.length === 1) {
    if (method !== 'GET') throw outcomeError('notAllowed', '_history supports GET only');
    return raw(await historyBundle(repo, req.query, req.baseUrl));
  }
  checkType(first);
  if (second === undefined) return typeLevel(req, repo, first, method);
  if (second === '_search' && parts.length === 2) {
    if (method !== 'POST') throw outcomeError('notAllowed', `${first}/_search supports POST only; use GET ${first}?…`);
    const query = mergeParams(req.query, formParams(req.body));
    return raw(await searchBundle(repo, parseSearch(first, query, isStrict(req.prefer)), query, req.baseUrl));
  }
  if (second === '_history' && parts.length === 2) {
    if (method !== 'GET') throw outcomeError('notAllowed', `${first}/_history supports GET only`);
    return raw(await historyBundle(repo, req.query, req.baseUrl, first));
  }
  if (first === 'Patient' && second === '$everything' && parts.length === 2 && (method === 'GET' || method === 'POST')) {
    return raw(await allPatientsEverything(repo, req.query, req.baseUrl));
  }
  checkId(second, first);
  return instanceLevel(req, repo, first, second, parts.slice(2), method);
}

async function typeLevel(req: FhirRequest, repo: FhirRepository, type: string, method: FhirRequest['method']): Promise<FhirResponse> {
  if (method === 'GET') return raw(await searchBundle(repo, parseSearch(type, req.query, isStrict(req.prefer)), req.query, req.baseUrl));
  if (method === 'POST') {
    const body = { ...resourceBody(req.body, type) };
    delete body.id; // the server assigns the id (https://hl7.org/fhir/R4/http.html#create)
    const { version, created } = await conditionalCreate(repo, body, req.ifNoneExist);
    return resourceResponse(created ? 201 : 200, version, req.baseUrl);
  }
  throw outcomeError('notAllowed', `${req.method} is not supported on ${type}`);
}

async function instanceLevel(
  req: FhirRequest,
  repo: FhirRepository,
  type: string,
  id: string,
  rest: string[],
  method: FhirRequest['method'],
): Promise<FhirResponse> {
  const [op, vid] = rest;
  if (op === undefined) {
    switch (method) {
      case 'GET': {
        const v = await repo.read(type, id);
        if (req.ifNoneMatch && req.ifNoneMatch.replace(/^W\//, '') === `"${v.rev}"`) return { status: 304, headers: versionHeaders(v) };
        return resourceResponse(200, v);
      }
      case 'PUT': {
        const body = resourceBody(req.body, type);
        if (body.id === undefined) throw badRequest(`The body must carry id "${id}" for an update`, `${type}.id`);
        if (body.id !== id) throw badRequest(`Body id "${String(body.id)}" does not match the URL id "${id}"`, `${type}.id`);
        const { version, created } = await repo.update(body, { ifMatch: req.ifMatch });
        return resourceResponse(created ? 201 : 200, version, req.baseUrl);
      }
      case 'DELETE':
        await repo.delete(type, id);
        return { status: 200, body: outcome('ok', `Deleted ${type}/${id}`) };
      default:
        throw outcomeError('notAllowed', `${req.method} is not supported on ${type}/${id}`);
    }
  }
  if (op === '_history' && method === 'GET') {
    if (rest.length === 1) return raw(await historyBundle(repo, req.query, req.baseUrl, type, id));
    if (rest.length === 2 && vid !== undefined) return resourceResponse(200, await repo.vread(type, id, vid));
  }
  if (type === 'Patient' && op === '$everything' && rest.length === 1 && (method === 'GET' || method === 'POST')) {
    return raw(await patientEverything(repo, id, req.query, req.baseUrl));
  }
  throw notFound(`No route for ${req.method} ${req.path}`);
}
