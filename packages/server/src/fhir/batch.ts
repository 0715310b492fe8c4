/**
 * `batch` Bundles (https://hl7.org/fhir/R4/http.html#transaction): each entry runs on its own;
 * a failing entry answers its OperationOutcome in `response.outcome` and the others stand.
 */
import type { Bundle, BundleEntry } from '@medplum/fhirtypes';
import type { FhirRepository } from '../store/fhir-repository.js';
import { responseEntry, splitUrl } from './bundle-entries.js';
import type { ParsedEntry } from './bundle-entries.js';
import type { FhirHandler } from './types.js';

/** Runs the entries of a batch one by one through `handle` (the router). */
export async function processBatch(handle: FhirHandler, repo: FhirRepository, entries: ParsedEntry[], baseUrl: string, strict: boolean): Promise<Bundle> {
  const out: BundleEntry[] = [];
  for (const e of entries) {
    const [path, search] = splitUrl(e.url);
    // Each interaction is atomic on its own; no wrapping transaction, so a conditional create
    // commits before it releases its lock.
    const res = await handle(
      { method: e.method, path, query: search, body: e.resource, baseUrl, ifMatch: e.ifMatch, ifNoneExist: e.ifNoneExist, prefer: strict ? 'handling=strict' : undefined },
      repo,
    );
    out.push(responseEntry(res.status, res.body, res.raw, res.headers));
  }
  return { resourceType: 'Bundle', type: 'batch-response', entry: out };
}

