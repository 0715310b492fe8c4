/**
 * Searches the store from services (no HTTP): the current resources matching a FHIR query,
 * all pages, parsed.
 */
import { parseSearchRequest } from '@chartroom/core';
import type { QueryParams } from '@chartroom/core';
import type { Resource } from '@medplum/fhirtypes';
import type { FhirRepository } from '../../store/fhir-repository.js';

/** Escapes a search value (`,`, `|`, `$`, `\`) for a token or string parameter. */
export function escapeSearchValue(value: string): string {
  return value.replace(/[\\,|$]/g, (c) => `\\${c}`);
}

/** Every match of a search (up to `limit`), followed across pages, with included resources. */
export async function searchResources<T extends Resource = Resource>(
  repo: FhirRepository,
  type: string,
  query: QueryParams,
  limit = 10_000,
): Promise<{ matches: T[]; included: Resource[] }> {
  const matches: T[] = [];
  const included: Resource[] = [];
  const page = Math.min(1000, limit);
  for (let offset = 0; offset < limit; offset += page) {
    const res = await repo.search(parseSearchRequest(type, { ...query, _count: String(page), _offset: String(offset), _total: 'none' }));
    for (const m of res.matches) matches.push(JSON.parse(m.json) as T);
    for (const m of res.included) included.push(JSON.parse(m.json) as Resource);
    if (!res.hasMore) break;
  }
  return { matches, included };
}

/** Reads a current resource as parsed JSON (404/410 as the store answers). */
export async function readResource<T extends Resource>(repo: FhirRepository, type: T['resourceType'], id: string): Promise<T> {
  return JSON.parse((await repo.read(type, id)).json) as T;
}
