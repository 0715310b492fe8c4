/**
 * The searchset Bundle of a search, with self/next/previous links and, under lenient
 * handling, an outcome entry naming the ignored parameters
 * (https://hl7.org/fhir/R4/search.html#errors, https://hl7.org/fhir/R4/http.html#paging).
 */
import type { OperationOutcome } from '@medplum/fhirtypes';
import type { QueryParams, SearchRequest } from '@chartroom/core';
import type { FhirRepository } from '../store/fhir-repository.js';
import { bundleJson } from './bundle-json.js';

/** The query string of `query` with `overrides` replacing parameters of the same name. */
export function linkQuery(query: QueryParams, overrides: Record<string, string>): string {
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
  const url = (overrides: Record<string, string>): string => `${baseUrl}/${req.resourceType}?${linkQuery(query, overrides)}`;
  const links = [{ relation: 'self', url: url({}) }];
  if (result.hasMore) links.push({ relation: 'next', url: url({ _offset: String(req.offset + req.count), _count: String(req.count) }) });
  if (req.offset > 0) {
    links.push({ relation: 'previous', url: url({ _offset: String(Math.max(0, req.offset - req.count)), _count: String(req.count) }) });
  }
  const entries = [
    ...result.matches.map((version) => ({ version, mode: 'match' as const })),
    ...result.included.map((version) => ({ version, mode: 'include' as const })),
  ];
  const json = bundleJson({ type: 'searchset', baseUrl, total: result.total, links, entries });
  if (req.ignored.length === 0) return json;
  const warn: OperationOutcome = {
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'warning', code: 'not-supported', diagnostics: `Ignored unknown search parameters: ${req.ignored.join(', ')}`, expression: req.ignored }],
  };
  // bundleJson always ends with `]}`: append the outcome entry inside the entry array.
  return json.slice(0, -2) + (entries.length ? ',' : '') + `{"resource":${JSON.stringify(warn)},"search":{"mode":"outcome"}}]}`;
}
