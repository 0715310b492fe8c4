/**
 * `Patient/[id]/$everything` and `Patient/$everything`: the patient compartment(s) as a
 * searchset Bundle (https://hl7.org/fhir/R4/patient-operation-everything.html).
 */
import { parseSearchRequest } from '@chartroom/core';
import type { QueryParams } from '@chartroom/core';
import type { FhirRepository, StoredVersion } from '../store/fhir-repository.js';
import { bundleJson } from './bundle-json.js';
import { parseHistoryParams } from './history-bundle.js';
import { linkQuery } from './search-bundle.js';

/** Everything about one patient: the Patient and every current resource that references it. */
export async function patientEverything(repo: FhirRepository, id: string, query: QueryParams, baseUrl: string): Promise<string> {
  const { since } = parseHistoryParams(query, 1000);
  const versions = await repo.patientEverything(id, { since });
  return bundleJson({ type: 'searchset', baseUrl, total: versions.length, entries: versions.map((version) => ({ version, mode: 'match' })) });
}

/**
 * Everything about every patient, a page of patients (`_count`, default 20) at a time, each
 * followed by its compartment; a `next` link pages on.
 */
export async function allPatientsEverything(repo: FhirRepository, query: QueryParams, baseUrl: string): Promise<string> {
  const { since, count, offset } = parseHistoryParams(query, 20);
  const page = await repo.search(parseSearchRequest('Patient', { _count: String(count), _offset: String(offset), _sort: '_id' }));
  const seen = new Set<string>();
  const entries: { version: StoredVersion; mode: 'match' }[] = [];
  for (const patient of page.matches) {
    for (const version of await repo.patientEverything(patient.id, { since })) {
      const key = `${version.type}/${version.id}`;
      if (seen.has(key)) continue;
      seen.add(key);
      entries.push({ version, mode: 'match' });
    }
  }
  const links = [{ relation: 'self', url: `${baseUrl}/Patient/$everything?${linkQuery(query, {})}` }];
  if (page.hasMore) links.push({ relation: 'next', url: `${baseUrl}/Patient/$everything?${linkQuery(query, { _offset: String(offset + count), _count: String(count) })}` });
  return bundleJson({ type: 'searchset', baseUrl, links, entries });
}
