/**
 * Search parameters at the edge of the router: parsing query strings and form bodies into
 * {@link QueryParams}, and refusing values no store can take, before
 * `parseSearchRequest` (https://hl7.org/fhir/R4/search.html).
 */
import { badRequest, parseSearchRequest } from '@chartroom/core';
import type { QueryParams, SearchRequest } from '@chartroom/core';

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

/** Parses a query string (without `?`) into {@link QueryParams}. */
export function queryFromString(text: string): QueryParams {
  return Object.fromEntries(groupParams(new URLSearchParams(text)));
}

/**
 * Checks that a value is a parameter multi-map (string or string[] values), as a form body
 * of `POST [type]/_search` is (https://hl7.org/fhir/R4/http.html#search); 400 otherwise.
 */
export function formParams(body: unknown): QueryParams {
  if (body === undefined || body === null) return {};
  const fail = (): never => {
    throw badRequest('POST _search takes its parameters as application/x-www-form-urlencoded (or in the URL), not a JSON body');
  };
  if (typeof body !== 'object' || Array.isArray(body)) return fail();
  const out: QueryParams = {};
  for (const [k, v] of Object.entries(body)) {
    if (typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'))) out[k] = v as string | string[];
    else fail();
  }
  return out;
}

/** Merges two parameter multi-maps, keeping every value of both. */
export function mergeParams(a: QueryParams, b: QueryParams): QueryParams {
  const out: QueryParams = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (v === undefined) continue;
    const cur = out[k];
    const add = Array.isArray(v) ? v : [v];
    out[k] = cur === undefined ? v : [...(Array.isArray(cur) ? cur : [cur]), ...add];
  }
  return out;
}

/** Refuses parameter names or values holding a NUL character, which no SQL text column stores. */
export function checkParamText(query: QueryParams): void {
  for (const [k, v] of Object.entries(query)) {
    if (k.includes('\u0000')) throw badRequest('A search parameter name contains a NUL character');
    for (const item of Array.isArray(v) ? v : v === undefined ? [] : [v]) {
      if (item.includes('\u0000')) throw badRequest(`Search parameter "${k}" contains a NUL character`, k);
    }
  }
}

/**
 * Parses a search on `type` after the edge checks. `strict` refuses unknown parameters
 * (https://hl7.org/fhir/R4/search.html#errors).
 */
export function parseSearch(type: string, query: QueryParams, strict: boolean): SearchRequest {
  checkParamText(query);
  return parseSearchRequest(type, query, { strict });
}

/**
 * Parses the criteria of a conditional interaction (`If-None-Exist`, a conditional
 * reference). Always strict: an ignored typo would widen the match
 * (https://hl7.org/fhir/R4/http.html#ccreate).
 */
export function parseCriteria(type: string, criteria: string, where: string): SearchRequest {
  const query = queryFromString(criteria.replace(/^[A-Za-z]+\?/, '').replace(/^\?/, ''));
  const search = parseSearch(type, query, true);
  if (search.filters.length === 0) throw badRequest(`${where} "${criteria}" has no search criteria`);
  search.count = 2;
  search.offset = 0;
  search.total = 'none';
  search.summaryCount = false;
  search.include = [];
  search.revinclude = [];
  return search;
}
