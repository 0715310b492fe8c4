/**
 * Translates a parsed {@link SearchRequest} into SQL over the index tables. The same SQL
 * runs on SQLite and PostgreSQL. https://hl7.org/fhir/R4/search.html
 */
import { sql } from 'kysely';
import type { RawBuilder } from 'kysely';
import { prefixUpperBound } from '@chartroom/core';
import type { Filter, FilterValue, Prefix, SearchRequest, SortSpec } from '@chartroom/core';
import { INDEX_TABLES } from './schema.js';

type Sql = RawBuilder<unknown>;

const TRUE = sql`1 = 1`;
const FALSE = sql`1 = 0`;

function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (c) => '\\' + c);
}

function or(parts: Sql[]): Sql {
  if (parts.length === 0) return FALSE;
  if (parts.length === 1) return parts[0] as Sql;
  return sql`(${sql.join(parts, sql` OR `)})`;
}

/**
 * Compares a stored range [low, high] (the target) with a search range [slo, shi], per the
 * table in https://hl7.org/fhir/R4/search.html#prefix: `ge` is `gt` or `eq`, `le` is `lt` or
 * `eq`. Bounds are whole milliseconds (the columns are integers on both databases).
 */
function rangeCondition(prefix: Prefix, low: Sql, high: Sql, slo: number, shi: number, now: number): Sql {
  switch (prefix) {
    case 'eq':
      // `low <= shi` follows from the others (low <= high); it bounds the index range on low.
      return sql`(${low} >= ${slo} AND ${low} <= ${shi} AND ${high} <= ${shi})`;
    case 'ne':
      return sql`NOT (${low} >= ${slo} AND ${high} <= ${shi})`;
    case 'gt':
      return sql`${high} > ${shi}`;
    case 'lt':
      return sql`${low} < ${slo}`;
    case 'ge':
      // gt, or contained: high > shi OR (low >= slo AND high <= shi), which reduces to the
      // OR below (low <= high). Both imply high >= slo, stated first so an index range serves.
      return sql`(${high} >= ${slo} AND (${high} > ${shi} OR ${low} >= ${slo}))`;
    case 'le':
      // lt, or contained: low < slo OR (low >= slo AND high <= shi); both imply low <= shi.
      return sql`(${low} <= ${shi} AND (${low} < ${slo} OR ${high} <= ${shi}))`;
    case 'sa':
      return sql`${low} > ${shi}`;
    case 'eb':
      return sql`${high} < ${slo}`;
    case 'ap': {
      // 10% of the distance from now, and at least the precision of the value itself.
      const width = Math.max(Math.abs(now - (slo + shi) / 2) * 0.1, shi - slo);
      return sql`(${high} >= ${Math.floor(slo - width)} AND ${low} <= ${Math.ceil(shi + width)})`;
    }
    default: {
      const never: never = prefix;
      throw new Error(`unknown prefix ${String(never)}`);
    }
  }
}

function numberCondition(v: Extract<FilterValue, { kind: 'number' }>, col: Sql, now: number): Sql {
  switch (v.prefix) {
    case 'eq':
      return sql`(${col} >= ${v.low} AND ${col} < ${v.high})`;
    case 'ne':
      return sql`NOT (${col} >= ${v.low} AND ${col} < ${v.high})`;
    case 'gt':
    case 'sa':
      return sql`${col} > ${v.value}`;
    case 'lt':
    case 'eb':
      return sql`${col} < ${v.value}`;
    case 'ge':
      return sql`${col} >= ${v.value}`;
    case 'le':
      return sql`${col} <= ${v.value}`;
    case 'ap': {
      const width = Math.abs(v.value) * 0.1 || 0.1;
      void now;
      return sql`(${col} >= ${v.value - width} AND ${col} <= ${v.value + width})`;
    }
    default: {
      const never: never = v.prefix;
      throw new Error(`unknown prefix ${String(never)}`);
    }
  }
}

/** `http://a.org/fhir/ValueSet/1` and each parent path of it, down to the host. */
function uriAncestors(uri: string): string[] {
  const out = new Set<string>([uri]);
  const start = uri.indexOf('//') >= 0 ? uri.indexOf('/', uri.indexOf('//') + 2) : uri.indexOf('/');
  for (let i = uri.length - 1; i > start && start >= 0; i--) {
    if (uri[i] === '/') {
      out.add(uri.slice(0, i));
      out.add(uri.slice(0, i + 1));
    }
  }
  if (start >= 0) out.add(uri.slice(0, start));
  return [...out];
}

/** The condition on one index row for one OR-ed value. */
function valueCondition(f: Filter, v: FilterValue, now: number): Sql {
  switch (v.kind) {
    case 'string':
      if (f.modifier === 'exact') return sql`s.exact = ${v.value}`;
      if (f.modifier === 'contains') return sql`s.value LIKE ${'%' + likeEscape(v.value) + '%'} ESCAPE '\\'`;
      return sql`(s.value >= ${v.value} AND s.value < ${prefixUpperBound(v.value)})`;
    case 'token':
      if (v.system === undefined) return v.code === undefined ? TRUE : sql`s.value = ${v.code}`;
      if (v.system === '') return v.code === undefined ? sql`s.system IS NULL` : sql`(s.system IS NULL AND s.value = ${v.code})`;
      return v.code === undefined ? sql`s.system = ${v.system}` : sql`(s.value = ${v.code} AND s.system = ${v.system})`;
    case 'date':
      return rangeCondition(v.prefix, sql`s.low`, sql`s.high`, v.range.low, v.range.high, now);
    case 'reference': {
      if (v.id === '') return sql`s.ref = ${v.ref}`;
      // `subject:Patient=Group/1` names two different types: nothing matches.
      const typed = f.modifier && /^[A-Z]/.test(f.modifier) ? f.modifier : undefined;
      const type = v.type ?? typed;
      if (typed && type !== typed) return FALSE;
      if (type === undefined) return sql`s.target_id = ${v.id}`;
      return sql`(s.target_id = ${v.id} AND s.target_type = ${type})`;
    }
    case 'number': {
      const cond = numberCondition(v, sql`s.value`, now);
      const sys = v.system ? sql` AND s.system = ${v.system}` : sql``;
      const unit = v.unit ? sql` AND s.unit = ${v.unit}` : sql``;
      return sql`(${cond}${sys}${unit})`;
    }
    case 'uri': {
      // :below and :above work on whole path segments and compare bytes, as `=` does; LIKE
      // would ignore ASCII case on SQLite only. https://hl7.org/fhir/R4/search.html#uri
      if (f.modifier === 'below') {
        const base = v.value.endsWith('/') ? v.value : v.value + '/';
        return sql`(s.value = ${v.value} OR (s.value >= ${base} AND s.value < ${prefixUpperBound(base)}))`;
      }
      if (f.modifier === 'above') return sql`s.value IN (${sql.join(uriAncestors(v.value))})`;
      return sql`s.value = ${v.value}`;
    }
    default: {
      const never: never = v;
      throw new Error(`unknown value ${JSON.stringify(never)}`);
    }
  }
}

/** Rank used to pick which filter drives the query: the most selective kinds first. */
function selectivity(f: Filter): number {
  if (f.missing !== undefined || f.modifier === 'not' || f.modifier === 'contains') return 9;
  if (f.target.kind === 'id') return 0;
  if (f.target.kind === 'lastUpdated') return 8;
  switch (f.target.def.type) {
    case 'reference':
      return 1;
    case 'token':
      return 2;
    case 'string':
    case 'uri':
      return 3;
    default:
      return 5;
  }
}

/** One filter as a condition on `r` (the resources row). */
function filterCondition(req: SearchRequest, f: Filter, drive: boolean, now: number): Sql {
  if (f.target.kind === 'id') {
    const ids = f.values.flatMap((v) => (v.kind === 'token' && v.code !== undefined ? [v.code] : []));
    if (f.missing !== undefined) return f.missing ? FALSE : TRUE;
    const inList = ids.length ? sql`r.id IN (${sql.join(ids)})` : FALSE;
    return f.modifier === 'not' ? sql`NOT ${inList}` : inList;
  }
  if (f.target.kind === 'lastUpdated') {
    return or(f.values.map((v) => (v.kind === 'date' ? rangeCondition(v.prefix, sql`r.last_updated`, sql`r.last_updated`, v.range.low, v.range.high, now) : FALSE)));
  }
  const def = f.target.def;
  const table = sql.table(INDEX_TABLES[def.type]);
  const base = sql`s.type = ${req.resourceType} AND s.code = ${def.code}`;
  if (f.missing !== undefined) {
    const sub = sql`SELECT 1 FROM ${table} s WHERE s.rk = r.rk AND s.code = ${def.code}`;
    return f.missing ? sql`NOT EXISTS (${sub})` : sql`EXISTS (${sub})`;
  }
  const values = or(f.values.map((v) => valueCondition(f, v, now)));
  if (f.modifier === 'not') {
    return sql`r.rk NOT IN (SELECT s.rk FROM ${table} s WHERE ${base} AND ${values})`;
  }
  if (drive) return sql`r.rk IN (SELECT s.rk FROM ${table} s WHERE ${base} AND ${values})`;
  return sql`EXISTS (SELECT 1 FROM ${table} s WHERE s.rk = r.rk AND s.code = ${def.code} AND ${values})`;
}

/** The WHERE clause of a search: type, not deleted, and every filter. */
export function searchWhere(req: SearchRequest, now: number): Sql {
  const ordered = [...req.filters].sort((a, b) => selectivity(a) - selectivity(b));
  const drive = ordered[0];
  // A positive filter on an index table drives the query through `r.rk IN (…)`, and its rows
  // carry the resource type. Repeating `r.type = …` would let SQLite's planner (which has no
  // statistics) walk every resource of the type instead, probing the IN list for each.
  const driven = drive !== undefined && drive.target.kind === 'param' && drive.missing === undefined && drive.modifier !== 'not';
  const parts: Sql[] = driven ? [sql`r.deleted = 0`] : [sql`r.type = ${req.resourceType}`, sql`r.deleted = 0`];
  ordered.forEach((f, i) => parts.push(filterCondition(req, f, i === 0, now)));
  return sql.join(parts, sql` AND `);
}

function sortExpression(s: SortSpec): Sql {
  if (s.code === '_lastUpdated') return sql`r.last_updated`;
  if (s.code === '_id') return sql`r.id`;
  const def = s.def;
  if (!def) return sql`r.rk`;
  const table = sql.table(INDEX_TABLES[def.type]);
  const agg = s.descending ? sql`MAX` : sql`MIN`;
  let col: Sql;
  switch (def.type) {
    case 'date':
      col = s.descending ? sql`s.high` : sql`s.low`;
      break;
    case 'reference':
      col = sql`s.ref`;
      break;
    default:
      col = sql`s.value`;
  }
  return sql`(SELECT ${agg}(${col}) FROM ${table} s WHERE s.rk = r.rk AND s.code = ${def.code})`;
}

/** The ORDER BY clause: the requested sort, then the resource key for a stable order. */
export function searchOrderBy(req: SearchRequest): Sql {
  const parts = req.sort.map((s) => {
    const e = sortExpression(s);
    // Resources without the value sort last in both databases (their NULL orders differ).
    return sql`(${e} IS NULL) ASC, ${e} ${s.descending ? sql`DESC` : sql`ASC`}`;
  });
  parts.push(sql`r.rk ASC`);
  return sql.join(parts, sql`, `);
}
