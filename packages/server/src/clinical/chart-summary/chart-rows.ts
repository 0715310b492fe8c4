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

/**
 * The patient's resources of `type` that point at `Patient/patientId` through the reference
 * parameter `refCode`, with their `date` range and category mark (one row per resource).
 */
export async function datedRows(repo: FhirRepository, type: string, refCode: string, patientId: string, category: CategoryMatch): Promise<DatedRow[]> {
  const cat =
    category === undefined
      ? sql`NULL`
      : 'values' in category
        ? sql`(SELECT MIN(c.value) FROM sp_token c WHERE c.rk = s.rk AND c.code = 'category' AND c.value IN (${sql.join(category.values)}))`
        : sql`(SELECT MIN(c.system) FROM sp_token c WHERE c.rk = s.rk AND c.code = 'category' AND c.system = ${category.system})`;
  const rows = await sql<{ rk: number | string; low: number | string | null; high: number | string | null; category: string | null }>`
    SELECT s.rk, MIN(d.low) AS low, MAX(d.high) AS high, ${cat} AS category
    FROM sp_reference s LEFT JOIN sp_date d ON d.rk = s.rk AND d.code = 'date'
    WHERE s.type = ${type} AND s.code = ${refCode} AND s.target_id = ${patientId} AND s.target_type = 'Patient'
    GROUP BY s.rk`.execute(repo.dialect.db);
  return rows.rows.map((r) => ({
    rk: Number(r.rk),
    low: r.low === null ? undefined : Number(r.low),
    high: r.high === null ? undefined : Number(r.high),
    category: r.category ?? undefined,
  }));
}

/** Newest first by the upper bound of the date (undated last), then by row key. */
export function newestFirst(a: DatedRow, b: DatedRow): number {
  return (b.high ?? -Infinity) - (a.high ?? -Infinity) || a.rk - b.rk;
}

/** Earliest first by the lower bound of the date (undated last), then by row key. */
export function earliestFirst(a: DatedRow, b: DatedRow): number {
  return (a.low ?? Infinity) - (b.low ?? Infinity) || a.rk - b.rk;
}

/** Current (not deleted) resources by row key, in the order of the keys. */
export async function resourcesByKey<T extends Resource>(repo: FhirRepository, rks: readonly number[]): Promise<T[]> {
  if (!rks.length) return [];
  const rows = await repo.dialect.db.selectFrom('resources').select(['rk', 'deleted', 'content']).where('rk', 'in', [...new Set(rks)]).execute();
  const byKey = new Map(rows.filter((r) => r.deleted === 0).map((r) => [Number(r.rk), r.content]));
  return rks.flatMap((rk) => {
    const content = byKey.get(rk);
    return content === undefined ? [] : [JSON.parse(content) as T];
  });
}
