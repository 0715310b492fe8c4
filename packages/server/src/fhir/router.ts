/**
 * FHIR R4 REST semantics, transport-free: `(request, repository) → response`
 * (https://hl7.org/fhir/R4/http.html). The HTTP layer only adapts.
 */
import { OutcomeError, badRequest, isSupportedResourceType, notFound, outcome, parseSearchRequest, outcomeError } from '@chartroom/core';
import type { QueryParams, SearchRequest } from '@chartroom/core';
import type { FhirRepository, StoredVersion } from '../store/fhir-repository.js';
import { bundleJson } from './bundle-json.js';
import { capabilityStatement } from './capability.js';
import { processBundle } from './transaction.js';
import type { FhirRequest, FhirResponse } from './types.js';

export const CHARTROOM_VERSION = '0.1.0';

const ID = /^[A-Za-z0-9\-.]{1,64}$/;

function versionHeaders(v: StoredVersion): Record<string, string> {
  return { etag: `W/"${v.rev}"`, 'last-modified': new Date(v.lastUpdated).toUTCString() };
}

function resourceResponse(status: number, v: StoredVersion, baseUrl?: string): FhirResponse {
  const headers = versionHeaders(v);
  if (baseUrl) headers.location = `${baseUrl}/${v.type}/${v.id}/_history/${v.rev}`;
  return { status, body: v.json, raw: true, headers };
}

function checkType(type: string): void {
  if (!isSupportedResourceType(type)) throw notFound(`Unknown resource type "${type}"`);
}

function checkId(id: string, type: string): void {
  if (!ID.test(id)) throw badRequest(`Invalid id "${id}": 1-64 characters of A-Z, a-z, 0-9, "-" and "."`, `${type}.id`);
}

/** Lenient unless the client asked for `Prefer: handling=strict` (https://hl7.org/fhir/R4/search.html#errors). */
export function isStrict(prefer: string | undefined): boolean {
  return /handling\s*=\s*strict/i.test(prefer ?? '');
}

/** Query string of a search request for self/next links. */
function linkQuery(query: QueryParams, overrides: Record<string, string>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || k in overrides) continue;
    for (const item of Array.isArray(v) ? v : [v]) params.append(k, item);
  }
  for (const [k, v] of Object.entries(overrides)) params.append(k, v);
  return params.toString();
}

/** Runs a search and returns the searchset Bundle JSON. */
export async function searchBundle(repo: FhirRepository, req: SearchRequest, query: QueryParams, baseUrl: string): Promise<string> {
  const result = await repo.search(req);
  const links = [{ relation: 'self', url: `${baseUrl}/${req.resourceType}?${linkQuery(query, {})}` }];
  if (result.hasMore) {
    links.push({
      relation: 'next',
      url: `${baseUrl}/${req.resourceType}?${linkQuery(query, { _offset: String(req.offset + req.count), _count: String(req.count) })}`,
    });
  }
  if (req.offset > 0) {
    links.push({
      relation: 'previous',
      url: `${baseUrl}/${req.resourceType}?${linkQuery(query, { _offset: String(Math.max(0, req.offset - req.count)), _count: String(req.count) })}`,
    });
  }
  const entries = [
    ...result.matches.map((version) => ({ version, mode: 'match' as const })),
    ...result.included.map((version) => ({ version, mode: 'include' as const })),
  ];
  const json = bundleJson({ type: 'searchset', baseUrl, total: result.total, links, entries });
  if (req.ignored.length === 0) return json;
  // Tell the client which parameters were ignored (lenient handling), as an outcome entry.
  const warn = outcome('ok', `Ignored unknown search parameters: ${req.ignored.join(', ')}`, req.ignored, 'warning');
  return json.slice(0, -2) + (entries.length ? ',' : '') + `{"resource":${JSON.stringify(warn)},"search":{"mode":"outcome"}}]}`;
}

function parseHistoryParams(query: QueryParams): { since?: number; count: number; offset: number } {
  const one = (k: string): string | undefined => {
    const v = query[k];
    return Array.isArray(v) ? v[0] : v;
  };
  const count = one('_count') ?? '100';
  const offset = one('_offset') ?? '0';
  if (!/^\d{1,4}$/.test(count) || Number(count) < 1 || Number(count) > 1000) throw badRequest('_count must be from 1 to 1000', '_count');
  if (!/^\d{1,9}$/.test(offset)) throw badRequest('_offset must be a whole number', '_offset');
  const sinceText = one('_since');
  let since: number | undefined;
  if (sinceText !== undefined) {
    since = Date.parse(sinceText);
    if (!/^\d{4}-\d{2}-\d{2}(T.+)?$/.test(sinceText) || Number.isNaN(since)) throw badRequest(`Invalid _since "${sinceText}"`, '_since');
  }
  return { since, count: Number(count), offset: Number(offset) };
}

async function history(repo: FhirRepository, req: FhirRequest, type?: string, id?: string): Promise<FhirResponse> {
  const p = parseHistoryParams(req.query);
  const { versions, hasMore } = await repo.history({ type, id, ...p });
  const path = [type, id, '_history'].filter(Boolean).join('/');
  const links = [{ relation: 'self', url: `${req.baseUrl}/${path}` }];
  if (hasMore) links.push({ relation: 'next', url: `${req.baseUrl}/${path}?${linkQuery(req.query, { _offset: String(p.offset + p.count) })}` });
  const body = bundleJson({
    type: 'history',
    baseUrl: req.baseUrl,
    links,
    entries: versions.map((version) => ({
      version,
      request: { method: version.deleted ? 'DELETE' : 'PUT', url: `${version.type}/${version.id}` },
      response: { status: version.deleted ? '204' : '200', etag: `W/"${version.rev}"`, lastModified: new Date(version.lastUpdated).toISOString() },
    })),
  });
  return { status: 200, body, raw: true };
}

/** Creates, honouring `If-None-Exist` (https://hl7.org/fhir/R4/http.html#ccreate). */
export async function conditionalCreate(
  repo: FhirRepository,
  resource: unknown,
  ifNoneExist: string | undefined,
  strict: boolean,
): Promise<{ version: StoredVersion; created: boolean }> {
  if (ifNoneExist === undefined) return { version: await repo.create(resource), created: true };
  const type = (resource as { resourceType?: unknown } | null)?.resourceType;
  if (typeof type !== 'string' || !isSupportedResourceType(type)) return { version: await repo.create(resource), created: true };
  const query = Object.fromEntries(groupParams(new URLSearchParams(ifNoneExist.replace(/^[A-Za-z]+\?/, ''))));
  const search = parseSearchRequest(type, query, { strict });
  if (search.filters.length === 0) throw badRequest(`If-None-Exist "${ifNoneExist}" has no search criteria`);
  search.count = 2;
  const found = await repo.search(search);
  if (found.matches.length > 1) throw outcomeError('preconditionFailed', `If-None-Exist "${ifNoneExist}" matches more than one ${type}`);
  const first = found.matches[0];
  if (first) return { version: first, created: false };
  return { version: await repo.create(resource), created: true };
}

/** Groups URL parameters into a multi-map. */
export function groupParams(params: URLSearchParams): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [k, v] of params) {
    const list = out.get(k);
    if (list) list.push(v);
    else out.set(k, [v]);
  }
  return out;
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
  const parts = req.path.split('/').filter((p) => p !== '');
  const [first, second, third, fourth] = parts;
  const method = req.method === 'HEAD' ? 'GET' : req.method;
  const strict = isStrict(req.prefer);

  if (parts.length === 0) {
    if (method === 'POST') {
      const result = await processBundle(repo, req.body, req.baseUrl, strict);
      return { status: 200, body: result };
    }
    throw outcomeError('notAllowed', `${req.method} is not supported at the base; POST a transaction or batch Bundle`);
  }
  if (first === 'metadata' && parts.length === 1) {
    if (method !== 'GET') throw outcomeError('notAllowed', 'metadata supports GET only');
    return { status: 200, body: capabilityStatement(CHARTROOM_VERSION) };
  }
  if (first === '_history' && parts.length === 1 && method === 'GET') return history(repo, req);
  if (first === undefined) throw notFound('Not found');
  checkType(first);
  const type = first;

  if (parts.length === 1) {
    if (method === 'GET') {
      const search = parseSearchRequest(type, req.query, { strict });
      return { status: 200, body: await searchBundle(repo, search, req.query, req.baseUrl), raw: true };
    }
    if (method === 'POST') {
      const bodyType = (req.body as { resourceType?: unknown } | null)?.resourceType;
      if (bodyType !== undefined && bodyType !== type) {
        throw badRequest(`Body resourceType "${String(bodyType)}" does not match the URL type "${type}"`, 'resourceType');
      }
      if (bodyType === undefined) throw badRequest('Missing resourceType', 'resourceType');
      const body = { ...(req.body as object) } as { id?: string };
      delete body.id; // POST assigns the id (https://hl7.org/fhir/R4/http.html#create)
      const { version, created } = await conditionalCreate(repo, body, req.ifNoneExist, strict);
      return resourceResponse(created ? 201 : 200, version, req.baseUrl);
    }
    throw outcomeError('notAllowed', `${req.method} is not supported on ${type}`);
  }

  if (second === '_search' && parts.length === 2 && method === 'POST') {
    const query: QueryParams = { ...req.query };
    if (req.body && typeof req.body === 'object') Object.assign(query, req.body as QueryParams);
    const search = parseSearchRequest(type, query, { strict });
    return { status: 200, body: await searchBundle(repo, search, query, req.baseUrl), raw: true };
  }
  if (second === '_history' && parts.length === 2 && method === 'GET') return history(repo, req, type);
  if (second === undefined) throw notFound('Not found');
  checkId(second, type);
  const id = second;

  if (parts.length === 2) {
    switch (method) {
      case 'GET': {
        const v = await repo.read(type, id);
        if (req.ifNoneMatch && req.ifNoneMatch.replace(/^W\//, '') === `"${v.rev}"`) return { status: 304, headers: versionHeaders(v) };
        return resourceResponse(200, v);
      }
      case 'PUT': {
        const body = req.body as { resourceType?: unknown; id?: unknown } | null;
        if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('The body must be a FHIR resource (a JSON object)');
        if (body.resourceType !== type) {
          throw badRequest(`Body resourceType "${String(body.resourceType)}" does not match the URL type "${type}"`, 'resourceType');
        }
        if (body.id === undefined) throw badRequest(`The body must carry id "${id}" for an update`, `${type}.id`);
        if (body.id !== id) throw badRequest(`Body id "${String(body.id)}" does not match the URL id "${id}"`, `${type}.id`);
        const { version, created } = await repo.update(body, { ifMatch: req.ifMatch });
        return resourceResponse(created ? 201 : 200, version, req.baseUrl);
      }
      case 'DELETE': {
        await repo.delete(type, id);
        return { status: 200, body: outcome('ok', `Deleted ${type}/${id}`) };
      }
      default:
        throw outcomeError('notAllowed', `${req.method} is not supported on ${type}/${id}`);
    }
  }

  if (third === '_history' && method === 'GET') {
    if (parts.length === 3) return history(repo, req, type, id);
    if (parts.length === 4 && fourth !== undefined) return resourceResponse(200, await repo.vread(type, id, fourth));
  }
  if (type === 'Patient' && third === '$everything' && parts.length === 3 && (method === 'GET' || method === 'POST')) {
    const p = parseHistoryParams({ _count: '1000', ...req.query });
    const versions = await repo.patientEverything(id, { since: p.since });
    const body = bundleJson({ type: 'searchset', baseUrl: req.baseUrl, total: versions.length, entries: versions.map((version) => ({ version, mode: 'match' })) });
    return { status: 200, body, raw: true };
  }
  throw notFound(`No route for ${req.method} ${req.path}`);
}
