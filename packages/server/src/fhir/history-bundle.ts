/**
 * Instance, type and system history as a paged `history` Bundle, newest first
 * (https://hl7.org/fhir/R4/http.html#history).
 */
import { badRequest } from '@chartroom/core';
import type { QueryParams } from '@chartroom/core';
import type { FhirRepository } from '../store/fhir-repository.js';
import { bundleJson } from './bundle-json.js';
import { linkQuery } from './search-bundle.js';

export interface HistoryParams {
  since: number | undefined;
  count: number;
  offset: number;
}

function one(query: QueryParams, key: string): string | undefined {
  const v = query[key];
  return Array.isArray(v) ? v[0] : v;
}

/** Parses `_count` (1–1000), `_offset` and `_since` of a history request; 400 on bad values. */
export function parseHistoryParams(query: QueryParams, defaultCount = 100): HistoryParams {
  const count = one(query, '_count') ?? String(defaultCount);
  const offset = one(query, '_offset') ?? '0';
  if (!/^\d{1,4}$/.test(count) || Number(count) < 1 || Number(count) > 1000) throw badRequest('_count must be a whole number from 1 to 1000', '_count');
  if (!/^\d{1,9}$/.test(offset)) throw badRequest('_offset must be a whole number', '_offset');
  const sinceText = one(query, '_since');
  let since: number | undefined;
  if (sinceText !== undefined) {
    since = Date.parse(sinceText);
    if (!/^\d{4}-\d{2}-\d{2}(T.+)?$/.test(sinceText) || Number.isNaN(since)) throw badRequest(`Invalid _since "${sinceText}"; use an ISO 8601 instant`, '_since');
  }
  return { since, count: Number(count), offset: Number(offset) };
}

/** The history Bundle JSON of a resource (`type` and `id`), a type, or the whole store. */
export async function historyBundle(repo: FhirRepository, query: QueryParams, baseUrl: string, type?: string, id?: string): Promise<string> {
  const p = parseHistoryParams(query);
  const { versions, hasMore } = await repo.history({ type, id, ...p });
  const path = [type, id, '_history'].filter(Boolean).join('/');
  const selfQuery = linkQuery(query, {});
  const links = [{ relation: 'self', url: `${baseUrl}/${path}${selfQuery ? `?${selfQuery}` : ''}` }];
  if (hasMore) links.push({ relation: 'next', url: `${baseUrl}/${path}?${linkQuery(query, { _offset: String(p.offset + p.count), _count: String(p.count) })}` });
  return bundleJson({
    type: 'history',
    baseUrl,
    links,
    entries: versions.map((version) => ({
      version,
      request: { method: version.deleted ? 'DELETE' : 'PUT', url: `${version.type}/${version.id}` },
      response: { status: version.deleted ? '204' : '200', etag: `W/"${version.rev}"`, lastModified: new Date(version.lastUpdated).toISOString() },
    })),
  });
}
