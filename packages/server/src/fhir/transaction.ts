/**
 * `transaction` Bundles posted to the base (https://hl7.org/fhir/R4/http.html#transaction).
 * A transaction is all-or-nothing: `urn:uuid:` references are rewritten to the ids assigned,
 * conditional references are resolved by search, and any failure stores nothing.
 */
import { randomUUID } from 'node:crypto';
import type { Bundle, BundleEntry, OperationOutcome } from '@medplum/fhirtypes';
import { OUTCOME_STATUS, OutcomeError, badRequest, isSupportedResourceType, outcomeError } from '@chartroom/core';
import type { OutcomeKind } from '@chartroom/core';
import type { FhirRepository } from '../store/fhir-repository.js';
import { processBatch } from './batch.js';
import { ORDER, parseEntries, responseEntry, splitUrl } from './bundle-entries.js';
import type { ParsedEntry } from './bundle-entries.js';
import { conditionalCreateKey, lockFor } from './keyed-lock.js';
import { parseCriteria } from './search-params.js';
import type { FhirHandler, FhirRequest } from './types.js';

/** The outcome kind of an error status (inverse of the one status table). */
function kindOfStatus(status: number): OutcomeKind {
  const found = (Object.keys(OUTCOME_STATUS) as OutcomeKind[]).find((k) => OUTCOME_STATUS[k] === status);
  return found ?? 'badRequest';
}

/** Prefixes the issue expressions of an entry's error with the entry's path. */
function atEntry(err: unknown, index: number): unknown {
  if (!(err instanceof OutcomeError)) return err;
  const prefix = `Bundle.entry[${index}]`;
  const issue = err.outcome.issue.map((i) => ({
    ...i,
    diagnostics: `${prefix}: ${i.diagnostics ?? i.details?.text ?? ''}`,
    expression: (i.expression ?? [prefix]).map((x) => (x.startsWith('Bundle.') ? x : x.replace(/^[A-Z][A-Za-z]*(\.|$)/, `${prefix}.resource$1`))),
  }));
  return new OutcomeError(err.kind, { resourceType: 'OperationOutcome', issue });
}

/**
 * Walks every `reference` string in a resource and replaces it through `map`, which gets the
 * element's path (e.g. `subject.reference`, `performer[0].reference`).
 */
async function rewriteReferences(node: unknown, map: (ref: string, path: string) => Promise<string>, path = ''): Promise<void> {
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) await rewriteReferences(node[i], map, `${path}[${i}]`);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const obj = node as Record<string, unknown>;
  for (const [key, value] of Object.entries(obj)) {
    const at = path ? `${path}.${key}` : key;
    if (key === 'reference' && typeof value === 'string') obj[key] = await map(value, at);
    else if (key !== 'contained' && typeof value === 'object') await rewriteReferences(value, map, at);
  }
}

/** Parses conditional criteria; a bad parameter is reported at `where` (the element holding the criteria). */
function criteriaAt(type: string, criteria: string, where: string): ReturnType<typeof parseCriteria> {
  try {
    return parseCriteria(type, criteria, 'If-None-Exist');
  } catch (err) {
    if (!(err instanceof OutcomeError)) throw err;
    throw new OutcomeError(err.kind, { ...err.outcome, issue: err.outcome.issue.map((i) => ({ ...i, expression: [where] })) });
  }
}

/** Resolves `Type?criteria` to the one resource it matches (https://hl7.org/fhir/R4/http.html#trules). */
async function resolveConditionalReference(repo: FhirRepository, ref: string, where: string): Promise<string> {
  const q = ref.indexOf('?');
  const type = ref.slice(0, q);
  if (!isSupportedResourceType(type)) throw badRequest(`Conditional reference "${ref}" names an unknown type`, where);
  const found = await repo.search(parseCriteria(type, ref.slice(q + 1), 'Conditional reference'));
  if (found.matches.length !== 1) {
    throw badRequest(`Conditional reference "${ref}" matches ${found.matches.length === 0 ? 'no' : 'more than one'} resource`, where);
  }
  const m = found.matches[0];
  return m ? `${m.type}/${m.id}` : ref;
}

/**
 * Processes a transaction or batch Bundle and returns the response Bundle. `handle` is the
 * router, passed in so that this module does not import it back.
 */
export async function processBundle(handle: FhirHandler, repo: FhirRepository, body: unknown, baseUrl: string, strict: boolean): Promise<Bundle> {
  const bundle = body as Bundle | undefined;
  if (!bundle || typeof bundle !== 'object' || bundle.resourceType !== 'Bundle') {
    throw badRequest('POST to the base takes a Bundle of type transaction or batch', 'Bundle.resourceType');
  }
  if (bundle.type !== 'transaction' && bundle.type !== 'batch') {
    throw badRequest(`Bundle.type must be transaction or batch; got "${String(bundle.type)}"`, 'Bundle.type');
  }
  const entries = parseEntries(bundle, baseUrl);
  if (bundle.type === 'batch') return processBatch(handle, repo, entries, baseUrl, strict);
  // Conditional creates search, then write: hold their types' locks until the commit.
  const keys = entries.filter((e) => e.method === 'POST' && e.ifNoneExist).map((e) => conditionalCreateKey(e.url.split('?')[0] ?? ''));
  return lockFor(repo).run(keys, () => repo.withTransaction((tx) => processTransaction(handle, tx, entries, baseUrl, strict)));
}

async function processTransaction(handle: FhirHandler, tx: FhirRepository, entries: ParsedEntry[], baseUrl: string, strict: boolean): Promise<Bundle> {
  // 1. Decide the id of every created resource, so references can point at it.
  const idMap = new Map<string, string>();
  const created = new Set<string>();
  const assigned = new Map<number, string>();
  const touched = new Set<string>();
  for (const e of entries) {
    if (e.method === 'PUT' || e.method === 'DELETE') {
      // One resource may be written once per transaction (https://hl7.org/fhir/R4/http.html#trules).
      const target = e.url.split('?')[0] ?? '';
      if (touched.has(target)) throw atEntry(badRequest(`${target} is written by more than one entry of this transaction`, `Bundle.entry[${e.index}].request.url`), e.index);
      touched.add(target);
    }
    if (e.method === 'POST') {
      const type = e.url.split('?')[0] ?? '';
      if (!isSupportedResourceType(type)) throw atEntry(badRequest(`Unknown resource type "${type}"`, `Bundle.entry[${e.index}].request.url`), e.index);
      if (e.resource?.resourceType !== type) {
        throw atEntry(badRequest(`resourceType "${String(e.resource?.resourceType)}" does not match request.url "${e.url}"`, `Bundle.entry[${e.index}].resource.resourceType`), e.index);
      }
      const id = randomUUID();
      assigned.set(e.index, id);
      if (!e.ifNoneExist) created.add(`${type}/${id}`);
      if (e.fullUrl) idMap.set(e.fullUrl, `${type}/${id}`);
    } else if (e.method === 'PUT') {
      const [type, id] = e.url.split('/');
      if (!type || !id || e.url.includes('?')) throw atEntry(badRequest(`PUT needs request.url Type/id; got "${e.url}"`, `Bundle.entry[${e.index}].request.url`), e.index);
      created.add(`${type}/${id}`);
      if (e.fullUrl) idMap.set(e.fullUrl, `${type}/${id}`);
    }
  }
  // 2. Conditional creates that match an existing resource point their fullUrl at it.
  const results = new Map<number, BundleEntry>();
  const ordered = [...entries].sort((a, b) => ORDER[a.method] - ORDER[b.method] || a.index - b.index);
  for (const e of ordered) {
    if (e.method !== 'POST' || !e.ifNoneExist || !e.resource) continue;
    try {
      const type = e.resource.resourceType as string;
      const found = await tx.search(criteriaAt(type, e.ifNoneExist, `Bundle.entry[${e.index}].request.ifNoneExist`));
      if (found.matches.length > 1) throw outcomeError('preconditionFailed', `If-None-Exist "${e.ifNoneExist}" matches more than one ${type}`);
      const match = found.matches[0];
      if (match) {
        if (e.fullUrl) idMap.set(e.fullUrl, `${match.type}/${match.id}`);
        results.set(e.index, { response: { status: '200', location: `${match.type}/${match.id}/_history/${match.rev}`, etag: `W/"${match.rev}"` } });
      } else {
        created.add(`${type}/${assigned.get(e.index) ?? ''}`);
      }
    } catch (err) {
      throw atEntry(err, e.index);
    }
  }
  // 3. Rewrite references, then write in the order the specification gives.
  const exists = new Map<string, boolean>();
  for (const e of ordered) {
    if (results.has(e.index)) continue;
    try {
      if (e.resource) {
        await rewriteReferences(e.resource, async (ref, path) => {
          const where = `Bundle.entry[${e.index}].resource.${path}`;
          const mapped = idMap.get(ref);
          if (mapped) return mapped;
          if (ref.startsWith('urn:uuid:') || ref.startsWith('urn:oid:')) throw badRequest(`Reference "${ref}" points at no entry of this transaction`, where);
          if (/^[A-Z][A-Za-z]+\?/.test(ref)) return resolveConditionalReference(tx, ref, where);
          const m = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/.exec(ref);
          if (m && !created.has(ref)) {
            let ok = exists.get(ref);
            if (ok === undefined) {
              const cur = await tx.readCurrent(m[1] ?? '', m[2] ?? '');
              ok = cur !== undefined && !cur.deleted;
              exists.set(ref, ok);
            }
            if (!ok) throw badRequest(`Reference "${ref}" points at a resource that does not exist`, where);
          }
          return ref;
        });
      }
      let entry: BundleEntry;
      if (e.method === 'POST') {
        const v = await tx.create({ ...e.resource, id: undefined }, { id: assigned.get(e.index) });
        entry = { response: { status: '201', location: `${v.type}/${v.id}/_history/${v.rev}`, etag: `W/"${v.rev}"`, lastModified: new Date(v.lastUpdated).toISOString() } };
      } else {
        const [path, query] = splitUrl(e.url);
        const req: FhirRequest = { method: e.method, path, query, body: e.resource, baseUrl, ifMatch: e.ifMatch, prefer: strict ? 'handling=strict' : undefined };
        const res = await handle(req, tx);
        if (res.status >= 400) throw new OutcomeError(kindOfStatus(res.status), res.body as OperationOutcome);
        entry = responseEntry(res.status, res.body, res.raw, res.headers);
      }
      results.set(e.index, entry);
    } catch (err) {
      throw atEntry(err, e.index);
    }
  }
  return { resourceType: 'Bundle', type: 'transaction-response', entry: entries.map((e) => results.get(e.index) ?? { response: { status: '500' } }) };
}
