/**
 * Every current resource in a store, read through search page by page: how tests compare
 * what a store holds with what went in.
 */
import { parseSearchRequest } from '@chartroom/core';
import type { FhirRepository } from '../../src/store/fhir-repository.js';

/** A stored resource as parsed JSON. */
export type StoredJson = Record<string, unknown> & { resourceType: string; id?: string };

/** All current resources of every type in `repo`. */
export async function allResources(repo: FhirRepository): Promise<StoredJson[]> {
  const out: StoredJson[] = [];
  for (const type of Object.keys(await repo.countByType())) {
    for (let offset = 0; ; offset += 1000) {
      const page = await repo.search(parseSearchRequest(type, { _count: '1000', _offset: String(offset), _total: 'none' }));
      for (const m of page.matches) out.push(JSON.parse(m.json) as StoredJson);
      if (!page.hasMore) break;
    }
  }
  return out;
}
