/**
 * Parses FHIR search parameters into a typed {@link SearchRequest}
 * (https://hl7.org/fhir/R4/search.html). Every malformed value is a 400 naming the
 * parameter; unknown parameters are ignored or refused according to `Prefer: handling`.
 */
import { badRequest } from '../outcomes.js';
import { searchParamsFor } from './definitions.js';
import type { IndexedParamType, SearchParamDef } from './definitions.js';
import { parseDateRange } from './dates.js';
import type { MsRange } from './dates.js';
import { normalizeString } from './normalize.js';
import { isSupportedResourceType } from './definitions.js';
import { isAbsoluteReference } from './index-values.js';

export const PREFIXES = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'] as const;
export type Prefix = (typeof PREFIXES)[number];

/** Modifiers accepted per parameter type. */
export const MODIFIERS: Record<IndexedParamType | 'id' | 'lastUpdated', readonly string[]> = {
  string: ['exact', 'contains', 'missing'],
  token: ['not', 'missing'],
  date: ['missing'],
  reference: ['missing'],
  number: ['missing'],
  quantity: ['missing'],
  uri: ['missing', 'below', 'above'],
  id: ['not', 'missing'],
  lastUpdated: [],
};

export type FilterValue =
  | { kind: 'string'; value: string }
  | { kind: 'token'; system: string | undefined; code: string | undefined }
  | { kind: 'date'; prefix: Prefix; range: MsRange }
  | { kind: 'reference'; type: string | undefined; id: string; ref: string }
  | { kind: 'number'; prefix: Prefix; value: number; low: number; high: number; system?: string | undefined; unit?: string | undefined }
  | { kind: 'uri'; value: string };

/** One search parameter of a request; its values are ORed, filters are ANDed. */
export interface Filter {
  code: string;
  /** `_id`, `_lastUpdated`, or an indexed parameter type. */
  target: { kind: 'id' } | { kind: 'lastUpdated' } | { kind: 'param'; def: SearchParamDef };
  modifier: string | undefined;
  /** For `:missing`: true to find resources without the parameter. */
  missing?: boolean;
  values: FilterValue[];
}

export interface IncludeSpec {
  sourceType: string;
  code: string;
  targetType: string | undefined;
  iterate: boolean;
}

export interface SortSpec {
  code: string;
  descending: boolean;
  def: SearchParamDef | undefined;
}

export interface SearchRequest {
  resourceType: string;
  filters: Filter[];
  count: number;
  offset: number;
  sort: SortSpec[];
  total: 'none' | 'estimate' | 'accurate';
  summaryCount: boolean;
  include: IncludeSpec[];
  revinclude: IncludeSpec[];
  /** Parameters ignored under lenient handling, to report back. */
  ignored: string[];
}

export const DEFAULT_COUNT = 20;
export const MAX_COUNT = 1000;

/** Query parameters as a multi-map, as they arrive from a URL or a form body. */
export type QueryParams = Record<string, string | string[] | undefined>;

const RESULT_PARAMS = new Set(['_count', '_offset', '_sort', '_total', '_summary', '_include', '_revinclude', '_format', '_pretty', '_elements']);

const ESCAPABLE = new Set([',', '$', '|', '\\']);

/**
 * Splits on unescaped `sep`, keeping escape sequences (`\,` `\$` `\|` `\\`) in the parts so
 * that a later split on another separator still sees them.
 * See https://hl7.org/fhir/R4/search.html#escaping
 */
function splitEscaped(value: string, sep: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === '\\' && i + 1 < value.length && ESCAPABLE.has(value[i + 1] ?? '')) i++;
    else if (ch === sep) {
      parts.push(value.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(value.slice(start));
  return parts;
}

/** Resolves the search escapes `\,` `\$` `\|` `\\` into the characters they stand for. */
export function unescapeSearchValue(value: string): string {
  return value.replace(/\\([,$|\\])/g, '$1');
}

/**
 * Splits a parameter value on unescaped commas (its OR-ed values) and resolves the escapes
 * in each part: `a\,b,c` is `["a,b", "c"]`. See https://hl7.org/fhir/R4/search.html#escaping
 */
export function splitOr(value: string): string[] {
  return splitEscaped(value, ',').map(unescapeSearchValue);
}

/** Splits `system|code` on the first unescaped `|`; both parts unescaped. */
function splitPipe(value: string): [string | undefined, string] {
  const parts = splitEscaped(value, '|');
  if (parts.length === 1) return [undefined, unescapeSearchValue(value)];
  const [system = '', ...rest] = parts;
  return [unescapeSearchValue(system), unescapeSearchValue(rest.join('|'))];
}

function prefixOf(raw: string, param: string): [Prefix, string] {
  const p = raw.slice(0, 2);
  if ((PREFIXES as readonly string[]).includes(p) && raw.length > 2 && !/^[a-z]/.test(raw.slice(2, 3))) {
    return [p as Prefix, raw.slice(2)];
  }
  if (/^[a-z]{2}/.test(raw)) throw badRequest(`Unknown prefix "${raw.slice(0, 2)}" in ${param}=${raw}`, param);
  return ['eq', raw];
}

/**
 * A decimal search value and the range its precision implies, computed in decimal so that
 * the bounds are the doubles of the exact decimals: `5.4` is [5.35, 5.45), `100` is
 * [99.5, 100.5), `1.50` is [1.495, 1.505). See https://hl7.org/fhir/R4/search.html#number
 */
export function numberRange(text: string): { value: number; low: number; high: number } | undefined {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,4}))?$/.exec(text);
  if (!m) return undefined;
  const intPart = m[2] ?? '';
  const fracPart = m[3] ?? '';
  if (!intPart && !fracPart) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value)) return undefined;
  const negative = m[1] === '-';
  const scale = fracPart.length - Number(m[4] ?? 0) + 1; // digits × 10 ± 5, over 10^scale
  const tens = BigInt((intPart + fracPart).replace(/^0+(?=\d)/, '') || '0') * 10n;
  const bound = (n: bigint): number => Number(`${n}e${-scale}`);
  const [low, high] = negative ? [bound(-(tens + 5n)), bound(-(tens - 5n))] : [bound(tens - 5n), bound(tens + 5n)];
  return { value, low, high };
}

function parseValue(filterTarget: Filter['target'], raw: string, param: string, modifier: string | undefined): FilterValue {
  // `raw` still carries its escapes: token and quantity values split on `|` before resolving them.
  const kind = filterTarget.kind === 'param' ? filterTarget.def.type : filterTarget.kind === 'id' ? 'id' : 'date';
  switch (kind) {
    case 'id':
      raw = unescapeSearchValue(raw);
      if (!/^[A-Za-z0-9\-.]{1,64}$/.test(raw)) throw badRequest(`Invalid id "${raw}" in ${param}`, param);
      return { kind: 'token', system: undefined, code: raw };
    case 'string': {
      const text = unescapeSearchValue(raw);
      return { kind: 'string', value: modifier === 'exact' ? text : normalizeString(text) };
    }
    case 'token': {
      const [system, code] = splitPipe(raw);
      return { kind: 'token', system, code: code === '' ? undefined : code };
    }
    case 'date': {
      const [prefix, text] = prefixOf(unescapeSearchValue(raw), param);
      const range = parseDateRange(text);
      if (!range) throw badRequest(`Invalid date "${text}" in ${param}; use YYYY, YYYY-MM, YYYY-MM-DD or an ISO 8601 date-time`, param);
      return { kind: 'date', prefix, range };
    }
    case 'reference': {
      raw = unescapeSearchValue(raw);
      if (!raw) throw badRequest(`Empty reference in ${param}`, param);
      const def = filterTarget.kind === 'param' ? filterTarget.def : undefined;
      const typed = modifier && /^[A-Z]/.test(modifier) ? modifier : undefined;
      // An absolute URL (or URN) names a resource elsewhere: it matches that exact reference only.
      if (isAbsoluteReference(raw)) return { kind: 'reference', type: undefined, id: '', ref: raw };
      const m = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(raw);
      if (m) return { kind: 'reference', type: m[1], id: m[2] ?? '', ref: raw };
      if (/^[A-Za-z0-9\-.]{1,64}$/.test(raw)) {
        const type = typed ?? (def && def.targets.length === 1 ? def.targets[0] : undefined);
        return { kind: 'reference', type, id: raw, ref: raw };
      }
      return { kind: 'reference', type: undefined, id: '', ref: raw };
    }
    case 'number':
    case 'quantity': {
      const parts = (kind === 'quantity' ? splitEscaped(raw, '|') : [raw]).map(unescapeSearchValue);
      if (parts.length > 3) throw badRequest(`${param} must be [prefix]number|system|code; got "${raw}"`, param);
      const [prefix, text] = prefixOf(parts[0] ?? '', param);
      const n = numberRange(text);
      if (!n) throw badRequest(`Invalid number "${text}" in ${param}`, param);
      return { kind: 'number', prefix, ...n, system: parts[1] || undefined, unit: parts[2] || undefined };
    }
    case 'uri':
      return { kind: 'uri', value: unescapeSearchValue(raw) };
    default: {
      const never: never = kind;
      throw new Error(`unhandled kind ${String(never)}`);
    }
  }
}

function intParam(name: string, raw: string, min: number, max: number): number {
  if (!/^\d{1,9}$/.test(raw)) throw badRequest(`${name} must be a whole number from ${min} to ${max}`, name);
  const n = Number(raw);
  if (n < min || n > max) throw badRequest(`${name} must be from ${min} to ${max}; got ${n}`, name);
  return n;
}

function parseInclude(raw: string, name: string, iterate: boolean): IncludeSpec {
  const parts = raw.split(':');
  const [sourceType, code, targetType] = parts;
  if (parts.length > 3 || !sourceType || !code || !isSupportedResourceType(sourceType)) {
    throw badRequest(`${name} must be SourceType:parameter[:TargetType]; got "${raw}"`, name);
  }
  if (code !== '*') {
    const def = searchParamsFor(sourceType).get(code);
    if (!def || def.type !== 'reference') throw badRequest(`${name}: ${sourceType} has no reference parameter "${code}"`, name);
  }
  if (targetType !== undefined && !isSupportedResourceType(targetType)) throw badRequest(`${name}: unknown target type "${targetType}"`, name);
  return { sourceType, code, targetType, iterate };
}

/**
 * Parses a search on `resourceType`. With `strict`, unknown parameters are a 400;
 * otherwise they are listed in `ignored`.
 */
export function parseSearchRequest(resourceType: string, query: QueryParams, options: { strict?: boolean } = {}): SearchRequest {
  const req: SearchRequest = {
    resourceType,
    filters: [],
    count: DEFAULT_COUNT,
    offset: 0,
    sort: [],
    total: 'none',
    summaryCount: false,
    include: [],
    revinclude: [],
    ignored: [],
  };
  const params = searchParamsFor(resourceType);
  for (const [key, rawValue] of Object.entries(query)) {
    if (rawValue === undefined) continue;
    const values = Array.isArray(rawValue) ? rawValue : [rawValue];
    const colon = key.indexOf(':');
    const name = colon >= 0 ? key.slice(0, colon) : key;
    const modifier = colon >= 0 ? key.slice(colon + 1) : undefined;
    if (RESULT_PARAMS.has(name)) {
      const includeLike = name === '_include' || name === '_revinclude';
      if (modifier !== undefined && !(includeLike && (modifier === 'iterate' || modifier === 'recurse'))) {
        throw badRequest(`Unknown modifier ":${modifier}" on ${name}`, key);
      }
      for (const v of values) applyResultParam(req, resourceType, name, modifier, v);
      continue;
    }
    let target: Filter['target'];
    let allowed: readonly string[];
    if (name === '_id') {
      target = { kind: 'id' };
      allowed = MODIFIERS.id;
    } else if (name === '_lastUpdated') {
      target = { kind: 'lastUpdated' };
      allowed = MODIFIERS.lastUpdated;
    } else {
      const def = params.get(name);
      if (!def) {
        if (options.strict) throw badRequest(`Unknown search parameter "${name}" for ${resourceType}`, name);
        req.ignored.push(key);
        continue;
      }
      target = { kind: 'param', def };
      allowed = MODIFIERS[def.type];
      if (def.type === 'reference' && modifier && /^[A-Z]/.test(modifier)) {
        if (!isSupportedResourceType(modifier)) throw badRequest(`Unknown resource type modifier "${modifier}" on ${name}`, key);
        allowed = [modifier];
      }
    }
    if (modifier !== undefined && !allowed.includes(modifier)) {
      throw badRequest(`Unknown or unsupported modifier ":${modifier}" on search parameter "${name}"`, key);
    }
    for (const v of values) {
      if (modifier === 'missing') {
        if (v !== 'true' && v !== 'false') throw badRequest(`${key} must be true or false`, key);
        req.filters.push({ code: name, target, modifier, missing: v === 'true', values: [] });
        continue;
      }
      if (v === '') continue; // an empty value is no constraint
      const parsed = splitEscaped(v, ',').map((part) => parseValue(target, part, key, modifier));
      req.filters.push({ code: name, target, modifier, values: parsed });
    }
  }
  return req;
}

function applyResultParam(req: SearchRequest, resourceType: string, name: string, modifier: string | undefined, v: string): void {
  switch (name) {
    case '_count':
      req.count = intParam('_count', v, 0, MAX_COUNT);
      return;
    case '_offset':
      req.offset = intParam('_offset', v, 0, 1_000_000);
      return;
    case '_total':
      if (v !== 'none' && v !== 'estimate' && v !== 'accurate') throw badRequest('_total must be none, estimate or accurate', '_total');
      req.total = v;
      return;
    case '_summary':
      if (v === 'count') req.summaryCount = true;
      else if (!['true', 'false', 'text', 'data'].includes(v)) throw badRequest('_summary must be true, false, text, data or count', '_summary');
      return;
    case '_sort':
      for (const part of v.split(',')) {
        const descending = part.startsWith('-');
        const code = descending ? part.slice(1) : part;
        if (code === '_id' || code === '_lastUpdated') {
          req.sort.push({ code, descending, def: undefined });
          continue;
        }
        const def = searchParamsFor(resourceType).get(code);
        if (!def) throw badRequest(`Cannot sort ${resourceType} by unknown parameter "${code}"`, '_sort');
        req.sort.push({ code, descending, def });
      }
      return;
    case '_include':
      req.include.push(parseInclude(v, '_include', modifier === 'iterate' || modifier === 'recurse'));
      return;
    case '_revinclude':
      req.revinclude.push(parseInclude(v, '_revinclude', modifier === 'iterate' || modifier === 'recurse'));
      return;
    default:
      return; // _format, _pretty, _elements: accepted, no effect on the result set
  }
}
