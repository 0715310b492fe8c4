/**
 * The entries of a `transaction` or `batch` Bundle, checked at the edge
 * (https://hl7.org/fhir/R4/bundle.html#bundle-entry), and their response entries.
 */
import type { Bundle, BundleEntry } from '@medplum/fhirtypes';
import { badRequest } from '@chartroom/core';
import type { QueryParams } from '@chartroom/core';
import { queryFromString } from './search-params.js';

/** Most entries accepted in one Bundle. */
export const MAX_BUNDLE_ENTRIES = 20_000;

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
export const ORDER: Record<Method, number> = { DELETE: 0, POST: 1, PUT: 2, GET: 3 };

export interface ParsedEntry {
  index: number;
  method: Method;
  url: string;
  fullUrl: string | undefined;
  resource: Record<string, unknown> | undefined;
  ifNoneExist: string | undefined;
  ifMatch: string | undefined;
}

function optionalString(value: unknown, where: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw badRequest(`${where} must be a string`, where);
  return value;
}

/** `request.url` relative to the base: a leading `/` or this server's base URL is dropped. */
function relativeUrl(url: string, baseUrl: string): string {
  const rel = url.startsWith(`${baseUrl}/`) ? url.slice(baseUrl.length + 1) : url;
  return rel.replace(/^\//, '');
}

/** Checks every entry of a transaction or batch Bundle; a malformed one is a 400 at its path. */
export function parseEntries(bundle: Bundle, baseUrl: string): ParsedEntry[] {
  const entries = bundle.entry ?? [];
  if (!Array.isArray(entries)) throw badRequest('Bundle.entry must be an array', 'Bundle.entry');
  if (entries.length > MAX_BUNDLE_ENTRIES) throw badRequest(`A Bundle may hold at most ${MAX_BUNDLE_ENTRIES} entries`, 'Bundle.entry');
  return entries.map((e: BundleEntry, index) => {
    const where = `Bundle.entry[${index}]`;
    if (!e || typeof e !== 'object') throw badRequest(`${where} must be an object`, where);
    const request = e.request;
    if (!request || typeof request.method !== 'string' || typeof request.url !== 'string' || !request.url) {
      throw badRequest(`${where}.request needs a method and a url`, `${where}.request`);
    }
    const method = request.method.toUpperCase();
    if (!(method in ORDER)) throw badRequest(`${where}.request.method ${request.method} is not supported here`, `${where}.request.method`);
    const resource = e.resource as Record<string, unknown> | undefined;
    if ((method === 'POST' || method === 'PUT') && (!resource || typeof resource !== 'object' || Array.isArray(resource))) {
      throw badRequest(`${where} needs a resource (a JSON object) for ${method}`, `${where}.resource`);
    }
    return {
      index,
      method: method as Method,
      url: relativeUrl(request.url, baseUrl),
      fullUrl: optionalString(e.fullUrl, `${where}.fullUrl`),
      resource: method === 'POST' || method === 'PUT' ? resource : undefined,
      ifNoneExist: optionalString(request.ifNoneExist, `${where}.request.ifNoneExist`),
      ifMatch: optionalString(request.ifMatch, `${where}.request.ifMatch`),
    };
  });
}

/** Splits `Type/id?query` into its path and parameters. */
export function splitUrl(url: string): [string, QueryParams] {
  const q = url.indexOf('?');
  if (q < 0) return [url, {}];
  return [url.slice(0, q), queryFromString(url.slice(q + 1))];
}

/** The response entry of one interaction's result; an error's outcome goes in `response.outcome`. */
export function responseEntry(status: number, body: unknown, raw: boolean | undefined, headers: Record<string, string> | undefined): BundleEntry {
  const resource = raw && typeof body === 'string' ? (JSON.parse(body) as BundleEntry['resource']) : (body as BundleEntry['resource']);
  const entry: BundleEntry = { response: { status: String(status) } };
  if (headers?.location) entry.response!.location = headers.location;
  if (headers?.etag) entry.response!.etag = headers.etag;
  if (resource && status >= 400) entry.response!.outcome = resource as never;
  else if (resource) entry.resource = resource;
  return entry;
}

