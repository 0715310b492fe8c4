/**
 * Turns one parsed JSON document (a Bundle, a resource, or an array of resources) into
 * the units the importer writes. Transaction Bundles keep their semantics
 * (https://hl7.org/fhir/R4/http.html#transaction): `POST` entries get new ids, `urn:uuid:`
 * and other fullUrl references are rewritten to them, and the whole Bundle is one
 * all-or-nothing unit. Batch entries are written one by one. Collection, searchset and
 * document Bundles, NDJSON lines and single resources keep their ids (update or create).
 */
import { isSupportedResourceType } from '@chartroom/core';
import type { ConditionalCreate, ImportIssue, ImportUnit, RawResource, UnitEntry } from './import-types.js';
import { isConditionalReference, parseLiteralReference, rewriteReferences } from './rewrite-references.js';

/** What a document became: units to write, problems found, entries skipped by design. */
export interface DocumentPlan {
  units: ImportUnit[];
  issues: ImportIssue[];
  skipped: number;
  /** Transaction Bundles refused before writing (each also has an issue). */
  failedTransactions: number;
}

const COLLECTION_TYPES = new Set(['collection', 'searchset', 'document']);

function isObject(value: unknown): value is RawResource {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Joins a position in a file with a position inside it (`line 3` + `entry[2]`). */
function at(where: string, inner: string): string {
  return where ? `${where} ${inner}` : inner;
}

/** Type/id the last two path segments of an absolute fullUrl name, when they look like one. */
function tailReference(fullUrl: string): string | undefined {
  const m = /\/([A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64})$/.exec(fullUrl);
  return m?.[1];
}

/**
 * Plans one document. `where` is its position in the file ('' for a whole JSON file,
 * `line 7` for an NDJSON line); `newId` assigns ids to created resources.
 */
export function planDocument(doc: unknown, file: string, where: string, newId: () => string): DocumentPlan {
  const plan: DocumentPlan = { units: [], issues: [], skipped: 0, failedTransactions: 0 };
  if (Array.isArray(doc)) {
    doc.forEach((item, i) => {
      const sub = planDocument(item, file, at(where, `[${i}]`), newId);
      plan.units.push(...sub.units);
      plan.issues.push(...sub.issues);
      plan.skipped += sub.skipped;
      plan.failedTransactions += sub.failedTransactions;
    });
    return plan;
  }
  if (!isObject(doc) || typeof doc.resourceType !== 'string') {
    plan.issues.push({ file, where, message: 'not a FHIR resource (a JSON object with a resourceType)' });
    return plan;
  }
  if (doc.resourceType !== 'Bundle') {
    plan.units.push({ file, atomic: false, entries: [{ where, resource: doc }] });
    return plan;
  }
  const type = doc.type;
  if (type === 'transaction') planTransaction(doc, file, where, newId, plan);
  else if (type === 'batch') planBatch(doc, file, where, newId, plan);
  else if (typeof type === 'string' && COLLECTION_TYPES.has(type)) planCollection(doc, file, where, newId, plan);
  else {
    plan.issues.push({
      file,
      where,
      message: `Bundle.type "${String(type)}" cannot be imported (transaction, batch, collection, searchset or document can)`,
    });
  }
  return plan;
}

interface RequestEntry {
  index: number;
  method: string;
  url: string;
  fullUrl: string | undefined;
  resource: RawResource | undefined;
  ifNoneExist: string | undefined;
  ifMatch: string | undefined;
}

/** Reads `Bundle.entry[].request`; an issue names the first malformed entry. */
function requestEntries(bundle: RawResource): { entries: RequestEntry[] } | { error: { index: number | undefined; message: string } } {
  const raw = bundle.entry ?? [];
  if (!Array.isArray(raw)) return { error: { index: undefined, message: 'Bundle.entry must be an array' } };
  const entries: RequestEntry[] = [];
  for (let index = 0; index < raw.length; index++) {
    const e: unknown = raw[index];
    if (!isObject(e)) return { error: { index, message: 'must be an object' } };
    const request = e.request;
    if (!isObject(request) || typeof request.method !== 'string' || typeof request.url !== 'string' || !request.url) {
      return { error: { index, message: 'request needs a method and a url' } };
    }
    const method = request.method.toUpperCase();
    const resource = e.resource;
    if ((method === 'POST' || method === 'PUT') && !isObject(resource)) return { error: { index, message: `needs a resource for ${method}` } };
    entries.push({
      index,
      method,
      url: request.url.replace(/^\//, ''),
      fullUrl: typeof e.fullUrl === 'string' ? e.fullUrl : undefined,
      resource: isObject(resource) ? resource : undefined,
      ifNoneExist: typeof request.ifNoneExist === 'string' ? request.ifNoneExist : undefined,
      ifMatch: typeof request.ifMatch === 'string' ? request.ifMatch : undefined,
    });
  }
  return { entries };
}

/** True when the fast path covers an entry: plain POST (conditional or not) and PUT Type/id without If-Match. */
function fastPathEntry(e: RequestEntry): boolean {
  if (e.method === 'POST') return !e.url.includes('?') && !e.url.includes('/');
  if (e.method === 'PUT') return parseLiteralReference(e.url) !== undefined && !e.url.includes('/_history/') && e.ifMatch === undefined;
  return false;
}

/** Checks an entry's resource against its request URL and gives it its id; returns an error message or the Type/id. */
function assignId(e: RequestEntry, newId: () => string): { ref: string } | { error: string } {
  const resource = e.resource as RawResource;
  if (e.method === 'POST') {
    if (!isSupportedResourceType(e.url)) return { error: `request.url: unknown resource type "${e.url}"` };
    if (resource.resourceType !== e.url) return { error: `resourceType "${String(resource.resourceType)}" does not match request.url "${e.url}"` };
    resource.id = newId();
    return { ref: `${e.url}/${resource.id as string}` };
  }
  const target = parseLiteralReference(e.url) as { type: string; id: string };
  if (!isSupportedResourceType(target.type)) return { error: `request.url: unknown resource type "${target.type}"` };
  if (resource.resourceType !== target.type) return { error: `resourceType "${String(resource.resourceType)}" does not match request.url "${e.url}"` };
  if (resource.id !== undefined && resource.id !== target.id) return { error: `id "${String(resource.id)}" does not match request.url "${e.url}"` };
  resource.id = target.id;
  return { ref: e.url };
}

function planTransaction(bundle: RawResource, file: string, where: string, newId: () => string, plan: DocumentPlan): void {
  const fail = (index: number | undefined, message: string): void => {
    plan.issues.push({ file, where: at(where, index === undefined ? 'Bundle' : `entry[${index}]`), message: `${message} (nothing of this transaction was stored)` });
    plan.failedTransactions++;
  };
  const parsed = requestEntries(bundle);
  if ('error' in parsed) return fail(parsed.error.index, parsed.error.message);
  const { entries } = parsed;
  if (!entries.every(fastPathEntry)) {
    plan.units.push({ file, atomic: true, entries: [], bundle, where });
    return;
  }
  // 1. Ids for every entry, and where each fullUrl (and relative form of it) now points.
  const idMap = new Map<string, string>();
  const inBundle = new Set<string>();
  const conditionalCreates: ConditionalCreate[] = [];
  const unitEntries: UnitEntry[] = [];
  for (const e of entries) {
    const oldId = e.resource?.id;
    const assigned = assignId(e, newId);
    if ('error' in assigned) return fail(e.index, assigned.error);
    inBundle.add(assigned.ref);
    if (e.fullUrl) {
      idMap.set(e.fullUrl, assigned.ref);
      const tail = tailReference(e.fullUrl);
      if (tail && tail === `${e.resource?.resourceType as string}/${String(oldId)}`) idMap.set(tail, assigned.ref);
    }
    if (e.method === 'POST' && e.ifNoneExist !== undefined) conditionalCreates.push({ entry: unitEntries.length, ifNoneExist: e.ifNoneExist, assigned: assigned.ref });
    unitEntries.push({ where: at(where, `entry[${e.index}]`), resource: e.resource as RawResource });
  }
  // 2. References: to entries (rewritten), local (#), or outside the Bundle (checked against the store).
  const external = new Map<string, number>();
  let unresolved: { index: number; ref: string } | undefined;
  unitEntries.forEach((u, i) => {
    rewriteReferences(u.resource, (ref) => {
      const mapped = idMap.get(ref);
      if (mapped) return mapped;
      if (ref.startsWith('#')) return ref;
      if (ref.startsWith('urn:uuid:') || ref.startsWith('urn:oid:')) {
        unresolved ??= { index: entries[i]?.index ?? i, ref };
        return ref;
      }
      const literal = parseLiteralReference(ref);
      if ((literal && !inBundle.has(`${literal.type}/${literal.id}`)) || isConditionalReference(ref)) {
        if (!external.has(ref)) external.set(ref, i);
      }
      return ref;
    });
  });
  if (unresolved) return fail(unresolved.index, `reference "${unresolved.ref}" points at no entry of this transaction`);
  const unit: ImportUnit = { file, atomic: true, entries: unitEntries };
  if (conditionalCreates.length || external.size) unit.lookups = { conditionalCreates, external };
  plan.units.push(unit);
}

function planBatch(bundle: RawResource, file: string, where: string, newId: () => string, plan: DocumentPlan): void {
  const parsed = requestEntries(bundle);
  if ('error' in parsed) {
    plan.issues.push({ file, where: at(where, parsed.error.index === undefined ? 'Bundle' : `entry[${parsed.error.index}]`), message: parsed.error.message });
    return;
  }
  const { entries } = parsed;
  if (!entries.every((e) => fastPathEntry(e) && e.ifNoneExist === undefined)) {
    plan.units.push({ file, atomic: false, entries: [], bundle, where });
    return;
  }
  // Batch entries are independent (https://hl7.org/fhir/R4/http.html#brules); a fullUrl still names the id given.
  const idMap = new Map<string, string>();
  const ok: { e: RequestEntry; entry: UnitEntry }[] = [];
  for (const e of entries) {
    const entryWhere = at(where, `entry[${e.index}]`);
    const assigned = assignId(e, newId);
    if ('error' in assigned) {
      plan.issues.push({ file, where: entryWhere, message: assigned.error });
      continue;
    }
    if (e.fullUrl) idMap.set(e.fullUrl, assigned.ref);
    ok.push({ e, entry: { where: entryWhere, resource: e.resource as RawResource } });
  }
  for (const { entry } of ok) {
    if (idMap.size) rewriteReferences(entry.resource, (ref) => idMap.get(ref) ?? ref);
    plan.units.push({ file, atomic: false, entries: [entry] });
  }
}

function planCollection(bundle: RawResource, file: string, where: string, newId: () => string, plan: DocumentPlan): void {
  const raw = bundle.entry ?? [];
  if (!Array.isArray(raw)) {
    plan.issues.push({ file, where: at(where, 'Bundle'), message: 'Bundle.entry must be an array' });
    return;
  }
  const idMap = new Map<string, string>();
  const kept: UnitEntry[] = [];
  raw.forEach((e: unknown, index) => {
    const entryWhere = at(where, `entry[${index}]`);
    if (!isObject(e) || !isObject(e.resource)) {
      plan.issues.push({ file, where: entryWhere, message: 'has no resource' });
      return;
    }
    const resource = e.resource;
    const search = e.search;
    if ((isObject(search) && search.mode === 'outcome') || resource.resourceType === 'OperationOutcome') {
      plan.skipped++;
      return;
    }
    // Resources keep their ids; one without an id that others reference by fullUrl gets one now.
    if (typeof e.fullUrl === 'string' && typeof resource.resourceType === 'string') {
      if (resource.id === undefined) resource.id = newId();
      if (typeof resource.id === 'string') idMap.set(e.fullUrl, `${resource.resourceType}/${resource.id}`);
    }
    kept.push({ where: entryWhere, resource });
  });
  for (const entry of kept) {
    if (idMap.size) rewriteReferences(entry.resource, (ref) => idMap.get(ref) ?? ref);
    plan.units.push({ file, atomic: false, entries: [entry] });
  }
}
