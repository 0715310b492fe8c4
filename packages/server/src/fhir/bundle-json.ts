/**
 * Builds Bundle JSON around stored resource JSON without parsing it again, so a search
 * page costs one string concatenation per entry.
 */
import type { StoredVersion } from '../store/fhir-repository.js';

export interface BundleEntryJson {
  version: StoredVersion;
  mode?: 'match' | 'include' | 'outcome';
  request?: { method: string; url: string };
  response?: { status: string; etag?: string; lastModified?: string };
}

/** Serialises a Bundle whose entries embed stored JSON verbatim. */
export function bundleJson(opts: {
  type: 'searchset' | 'history' | 'transaction-response' | 'batch-response' | 'collection' | 'document';
  baseUrl: string;
  total?: number | undefined;
  links?: { relation: string; url: string }[];
  entries: BundleEntryJson[];
  id?: string;
}): string {
  const head: Record<string, unknown> = { resourceType: 'Bundle' };
  if (opts.id) head.id = opts.id;
  head.type = opts.type;
  if (opts.total !== undefined) head.total = opts.total;
  if (opts.links?.length) head.link = opts.links;
  const headJson = JSON.stringify(head);
  const entries = opts.entries.map((e) => {
    const parts = [`"fullUrl":${JSON.stringify(`${opts.baseUrl}/${e.version.type}/${e.version.id}`)}`];
    // A deletion has no resource, in history too (https://hl7.org/fhir/R4/http.html#history).
    if (!e.version.deleted) parts.push(`"resource":${e.version.json}`);
    if (e.mode) parts.push(`"search":{"mode":"${e.mode}"}`);
    if (e.request) parts.push(`"request":${JSON.stringify(e.request)}`);
    if (e.response) parts.push(`"response":${JSON.stringify(e.response)}`);
    return '{' + parts.join(',') + '}';
  });
  return headJson.slice(0, -1) + ',"entry":[' + entries.join(',') + ']}';
}
