/**
 * The dated lists of a chart summary (vital signs, labs, notes, upcoming appointments) as
 * covering queries on the store's index tables: the patient's rows of one type through the
 * reference index (type, code, target), each with its date and the one category token that
 * decides where it goes, and no resource content. The summary picks the newest few in
 * memory and then reads only those resources by row key. A generic FHIR search with
 * `_sort=-date` did the same work as a correlated sort subquery per row, a total count and
 * a content read of every candidate. See https://hl7.org/fhir/R4/search.html#sort
 */
import { sql } from 'kysely';
import type { Resource } from '@medplum/fhirtypes';
import type { FhirRepository } from '../../store/fhir-repository.js';

/** One resource of the chart, by row key, with its `date` search parameter's range and a category mark. */
export interface DatedRow {
  rk: number;
  /** Lower and upper bound of the `date` parameter (epoch ms); undefined when it has none. */
  low: number | undefined;
  high: number | undefined;
  /** The category token of `category` (its value, or its system when matching by system); undefined when none matched. */
  category: string | undefined;
}

/** Which category token to report: values of a `category` code, or any value from one code system. */
export type CategoryMatch = { values: readonly string[] } | { system: string } | undefined;

/** One list of the chart: resources of `type` pointing at the patient through `refCode`, with a category mark. */
export interface DatedRowSpec {
  type: string;
  refCode: string;
  category: CategoryMatch;
}

/**
 * The patient's resources of each spec (those that point at `Patient/patientId` through the
 * reference parameter), with their `date` range and category mark: one row per resource,
 * all lists in one statement (one round trip on PostgreSQL), in the order of the specs.
 */
export async function datedRows(repo: FhirRepository, patientId: string, specs: readonly DatedRowSpec[]): Promise<DatedRow[][]> {
  if (!specs.length) return [];
  const branches = specs.map((spec, i) => {
    const cat =
      spec.category === undefined
        ? sql`CAST(NULL AS TEXT)`
        : 'values' in spec.category
          ? sql`(SELECT MIN(c.value) FROM sp_token c WHERE c.rk = s.rk AND c.code = 'category' AND c.value IN (${sql.join(spec.category.values)}))`
          : sql`(SELECT MIN(c.system) FROM sp_token c WHERE c.rk = s.rk AND c.code = 'category' AND c.system = ${spec.category.system})`;
    return sql`SELECT ${sql.lit(i)} AS list, s.rk, MIN(d.low) AS low, MAX(d.high) AS high, ${cat} AS category
      FROM sp_reference s LEFT JOIN sp_date d ON d.rk = s.rk AND d.code = 'date'
      WHERE s.type = ${spec.type} AND s.code = ${spec.refCode} AND s.target_id = ${patientId} AND s.target_type = 'Patient'
      GROUP BY s.rk`;
  });
  const rows = await sql<{ list: number | string; rk: number | string; low: number | string | null; high: number | string | null; category: string | null }>`${sql.join(branches, sql` UNION ALL `)}`.execute(repo.dialect.db);
  const out: DatedRow[][] = specs.map(() => []);
  for (const r of rows.rows) {
    out[Number(r.list)]?.push({
      rk: Number(r.rk),
      low: r.low === null ? undefined : Number(r.low),
      high: r.high === null ? undefined : Number(r.high),
      category: r.category ?? undefined,
    });
  }
  return out;
}

/** Newest first by the upper bound of the date (undated last), then by row key. */
export function newestFirst(a: DatedRow, b: DatedRow): number {
  return (b.high ?? -Infinity) - (a.high ?? -Infinity) || a.rk - b.rk;
}

/** Earliest first by the lower bound of the date (undated last), then by row key. */
export function earliestFirst(a: DatedRow, b: DatedRow): number {
  return (a.low ?? Infinity) - (b.low ?? Infinity) || a.rk - b.rk;
}

/** Current (not deleted) resources by row key, one statement for all keys. */
export async function resourcesByKey(repo: FhirRepository, rks: readonly number[]): Promise<Map<number, Resource>> {
  const out = new Map<number, Resource>();
  if (!rks.length) return out;
  const rows = await repo.dialect.db.selectFrom('resources').select(['rk', 'deleted', 'content']).where('rk', 'in', [...new Set(rks)]).execute();
  for (const r of rows) if (r.deleted === 0) out.set(Number(r.rk), JSON.parse(r.content) as Resource);
  return out;
}

/** The resources of `rks` found in `loaded`, in the order of the keys. */
export function pick<T extends Resource>(loaded: ReadonlyMap<number, Resource>, rks: readonly number[]): T[] {
  return rks.flatMap((rk) => {
    const r = loaded.get(rk);
    return r ? [r as T] : [];
  });
}
