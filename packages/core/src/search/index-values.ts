/**
 * Derives the search index rows of a resource from its search parameters' FHIRPath
 * expressions (https://hl7.org/fhir/R4/searchparameter.html). Rows are plain data; the
 * store writes them to its index tables.
 */
import { evalFhirPathTyped, toTypedValue } from '@medplum/core';
import type { TypedValue } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import { searchParamsFor } from './definitions.js';
import type { SearchParamDef } from './definitions.js';
import { compileSearchPaths } from './compiled-path.js';
import type { CompiledPath } from './compiled-path.js';
import { parseDateRange } from './dates.js';
import { normalizeString } from './normalize.js';

export interface StringRow { code: string; value: string; exact: string }
export interface TokenRow { code: string; system: string | null; value: string | null }
export interface DateRow { code: string; low: number; high: number }
export interface ReferenceRow { code: string; targetType: string | null; targetId: string | null; ref: string }
export interface NumberRow { code: string; value: number }
export interface QuantityRow { code: string; value: number; system: string | null; unit: string | null }
export interface UriRow { code: string; value: string }

/** All index rows of one resource, by table. */
export interface IndexRows {
  string: StringRow[];
  token: TokenRow[];
  date: DateRow[];
  reference: ReferenceRow[];
  number: NumberRow[];
  quantity: QuantityRow[];
  uri: UriRow[];
}

const MAX_STRING = 256;

/**
 * True for a reference that is an absolute URL or a URN (`http://other.org/fhir/Patient/1`,
 * `urn:uuid:…`): it names a resource outside this store, so it is matched by its text only.
 * See https://hl7.org/fhir/R4/references.html#literal
 */
export function isAbsoluteReference(ref: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:/.test(ref);
}

/**
 * Splits a relative reference such as `Patient/123` or `Patient/123/_history/2` into its
 * type and id; an absolute URL, a URN or a fragment (`#contained`) has neither.
 */
export function parseReference(ref: string): { type: string | null; id: string | null } {
  if (isAbsoluteReference(ref)) return { type: null, id: null };
  const m = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(ref);
  return m ? { type: m[1] ?? null, id: m[2] ?? null } : { type: null, id: null };
}

/**
 * Normalised forms of recently indexed strings: names, cities, states and codes repeat across
 * resources, and Unicode normalisation costs far more than a lookup. Bounded; emptied when full.
 */
const normalizedCache = new Map<string, string>();
const NORMALIZED_CACHE_MAX = 20_000;

function normalizedForIndex(v: string): string {
  let value = normalizedCache.get(v);
  if (value === undefined) {
    value = normalizeString(v).slice(0, MAX_STRING);
    if (v.length <= MAX_STRING) {
      if (normalizedCache.size >= NORMALIZED_CACHE_MAX) normalizedCache.clear();
      normalizedCache.set(v, value);
    }
  }
  return value;
}

function pushString(rows: StringRow[], code: string, v: unknown): void {
  if (typeof v !== 'string') return;
  const value = normalizedForIndex(v);
  if (value) rows.push({ code, value, exact: v.slice(0, MAX_STRING) });
}

function tokenRowsOf(rows: TokenRow[], code: string, tv: TypedValue): void {
  const v = tv.value as unknown;
  switch (tv.type) {
    case 'Coding': {
      const c = v as { system?: string; code?: string };
      if (c.code !== undefined || c.system !== undefined) rows.push({ code, system: c.system ?? null, value: c.code ?? null });
      return;
    }
    case 'CodeableConcept': {
      const cc = v as { coding?: { system?: string; code?: string }[] };
      for (const c of cc.coding ?? []) {
        if (c.code !== undefined || c.system !== undefined) rows.push({ code, system: c.system ?? null, value: c.code ?? null });
      }
      return;
    }
    case 'Identifier': {
      const id = v as { system?: string; value?: string };
      if (id.value !== undefined || id.system !== undefined) rows.push({ code, system: id.system ?? null, value: id.value ?? null });
      return;
    }
    case 'ContactPoint': {
      const cp = v as { system?: string; value?: string };
      if (cp.value !== undefined) rows.push({ code, system: cp.system ?? null, value: cp.value });
      return;
    }
    case 'boolean':
      rows.push({ code, system: null, value: v ? 'true' : 'false' });
      return;
    default:
      if (typeof v === 'string' || typeof v === 'number') rows.push({ code, system: null, value: String(v) });
  }
}

function dateRowsOf(rows: DateRow[], code: string, tv: TypedValue): void {
  const v = tv.value as unknown;
  if (typeof v === 'string') {
    const r = parseDateRange(v);
    if (r) rows.push({ code, low: r.low, high: r.high });
    return;
  }
  if (tv.type === 'Period' && v && typeof v === 'object') {
    const p = v as { start?: string; end?: string };
    const s = p.start ? parseDateRange(p.start) : undefined;
    const e = p.end ? parseDateRange(p.end) : undefined;
    if (s || e) rows.push({ code, low: s ? s.low : -8.64e15, high: e ? e.high : 8.64e15 });
    return;
  }
  if (tv.type === 'Timing' && v && typeof v === 'object') {
    for (const ev of (v as { event?: string[] }).event ?? []) {
      const r = parseDateRange(ev);
      if (r) rows.push({ code, low: r.low, high: r.high });
    }
  }
}

function referenceRowsOf(rows: ReferenceRow[], code: string, tv: TypedValue): void {
  const v = tv.value as unknown;
  const ref = typeof v === 'string' ? v : (v as { reference?: string } | undefined)?.reference;
  if (typeof ref !== 'string' || !ref) return;
  const { type, id } = parseReference(ref);
  rows.push({ code, targetType: type, targetId: id, ref });
}

function quantityRowsOf(rows: QuantityRow[], code: string, tv: TypedValue): void {
  const q = tv.value as { value?: number; system?: string; code?: string; unit?: string } | undefined;
  if (!q || typeof q.value !== 'number') return;
  rows.push({ code, value: q.value, system: q.system ?? null, unit: q.code ?? q.unit ?? null });
}

function stringRowsOf(rows: StringRow[], code: string, tv: TypedValue): void {
  const v = tv.value as unknown;
  if (typeof v === 'string') return pushString(rows, code, v);
  if (!v || typeof v !== 'object') return;
  if (tv.type === 'HumanName') {
    const n = v as { text?: string; family?: string; given?: string[]; prefix?: string[]; suffix?: string[] };
    pushString(rows, code, n.family);
    for (const g of n.given ?? []) pushString(rows, code, g);
    for (const p of n.prefix ?? []) pushString(rows, code, p);
    for (const s of n.suffix ?? []) pushString(rows, code, s);
    pushString(rows, code, n.text);
    return;
  }
  if (tv.type === 'Address') {
    const a = v as Record<string, unknown>;
    for (const l of (a.line as string[] | undefined) ?? []) pushString(rows, code, l);
    for (const k of ['city', 'district', 'state', 'postalCode', 'country', 'text']) pushString(rows, code, a[k]);
  }
}

/** A search parameter of one resource type, with its expression compiled when it can be. */
export interface IndexedParam {
  readonly def: SearchParamDef;
  /** The compiled walk, or undefined when the expression is evaluated with FHIRPath. */
  readonly compiled: CompiledPath | undefined;
}

const indexedParamCache = new Map<string, readonly IndexedParam[]>();

/**
 * The indexed search parameters of `resourceType` with their expressions compiled (once per
 * process) into direct JSON walks where they are simple enough (see compiled-path.ts).
 */
export function indexedParamsFor(resourceType: string): readonly IndexedParam[] {
  let params = indexedParamCache.get(resourceType);
  if (!params) {
    const defs = [...searchParamsFor(resourceType).values()];
    const compiled = compileSearchPaths(
      defs.map((def) => def.expression),
      resourceType,
    );
    params = defs.map((def, i) => ({ def, compiled: compiled[i] }));
    indexedParamCache.set(resourceType, params);
  }
  return params;
}

export interface ExtractIndexRowsOptions {
  /**
   * Evaluate every expression with the FHIRPath interpreter, never the compiled walks: the
   * reference behaviour the compiled walks are tested against.
   */
  fhirPathOnly?: boolean;
}

/** Computes every index row of `resource` from the definitions of its type. */
export function extractIndexRows(resource: Resource, options: ExtractIndexRowsOptions = {}): IndexRows {
  const rows: IndexRows = { string: [], token: [], date: [], reference: [], number: [], quantity: [], uri: [] };
  const params = indexedParamsFor(resource.resourceType);
  const input = [toTypedValue(resource)]; // one array per resource: compiled paths share steps by it
  const interpretOnly = options.fhirPathOnly === true;
  for (const { def, compiled } of params) {
    let values: TypedValue[] | undefined = interpretOnly || !compiled ? undefined : compiled(input);
    if (!values) {
      try {
        values = evalFhirPathTyped(def.expression, input);
      } catch {
        continue; // an expression that cannot apply to this instance indexes nothing
      }
    }
    for (const tv of values) {
      switch (def.type) {
        case 'string':
          stringRowsOf(rows.string, def.code, tv);
          break;
        case 'token':
          tokenRowsOf(rows.token, def.code, tv);
          break;
        case 'date':
          dateRowsOf(rows.date, def.code, tv);
          break;
        case 'reference':
          referenceRowsOf(rows.reference, def.code, tv);
          break;
        case 'number':
          if (typeof tv.value === 'number') rows.number.push({ code: def.code, value: tv.value });
          break;
        case 'quantity':
          quantityRowsOf(rows.quantity, def.code, tv);
          break;
        case 'uri':
          if (typeof tv.value === 'string') rows.uri.push({ code: def.code, value: tv.value });
          break;
        default: {
          const never: never = def.type;
          throw new Error(`unhandled parameter type ${String(never)}`);
        }
      }
    }
  }
  return rows;
}

/** {@link extractIndexRows} with every expression evaluated by the FHIRPath interpreter. */
export function extractIndexRowsSlow(resource: Resource): IndexRows {
  return extractIndexRows(resource, { fhirPathOnly: true });
}
