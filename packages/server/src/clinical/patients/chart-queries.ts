/**
 * Reads the clinical services share: several resources in one query, by id or by the
 * patients they point at, straight from the store's current-version and reference index
 * tables (the same rows FHIR search uses), so a day view or chart summary costs a few
 * queries whatever the number of patients on it.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { FhirRepository } from '../../store/fhir-repository.js';

const CHUNK = 500;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/** Current (not deleted) resources of one type by id, as a map id → resource. */
export async function readMany<T extends Resource>(repo: FhirRepository, type: T['resourceType'], ids: readonly string[]): Promise<Map<string, T>> {
  const out = new Map<string, T>();
  for (const part of chunks([...new Set(ids)])) {
    if (!part.length) continue;
    const rows = await repo.dialect.db
      .selectFrom('resources')
      .select(['id', 'content'])
      .where('type', '=', type)
      .where('id', 'in', part)
      .where('deleted', '=', 0)
      .execute();
    for (const r of rows) out.set(r.id, JSON.parse(r.content) as T);
  }
  return out;
}

/** A resource and the id of the target it points at. */
export interface Referencing<T extends Resource> {
  targetId: string;
  resource: T;
}

/**
 * Current resources of `sourceType` whose reference search parameter `codes` points at one
 * of `targetIds` of `targetType` (e.g. every Coverage whose `beneficiary` is one of these patients).
 */
export async function referencing<T extends Resource>(
  repo: FhirRepository,
  sourceType: T['resourceType'],
  codes: readonly string[],
  targetIds: readonly string[],
  targetType = 'Patient',
): Promise<Referencing<T>[]> {
  const out: Referencing<T>[] = [];
  const seen = new Set<string>();
  for (const part of chunks([...new Set(targetIds)])) {
    if (!part.length) continue;
    const rows = await repo.dialect.db
      .selectFrom('sp_reference as s')
      .innerJoin('resources as r', 'r.rk', 's.rk')
      .select(['r.id', 'r.content', 's.target_id'])
      .where('s.target_id', 'in', part)
      .where('s.target_type', '=', targetType)
      .where('s.type', '=', sourceType)
      .where('s.code', 'in', [...codes])
      .where('r.deleted', '=', 0)
      .execute();
    for (const r of rows) {
      const key = `${r.id}|${r.target_id ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ targetId: r.target_id ?? '', resource: JSON.parse(r.content) as T });
    }
  }
  return out;
}

/**
 * Patients among `patientIds` that have at least one current `sourceType` resource pointing
 * at them through `code` whose `dateCode` date lies before `before` (epoch ms).
 */
export async function patientsWithDatedResourceBefore(
  repo: FhirRepository,
  sourceType: string,
  code: string,
  dateCode: string,
  patientIds: readonly string[],
  before: number,
): Promise<Set<string>> {
  const out = new Set<string>();
  for (const part of chunks([...new Set(patientIds)])) {
    if (!part.length) continue;
    const rows = await repo.dialect.db
      .selectFrom('sp_reference as s')
      .innerJoin('sp_date as d', (j) => j.onRef('d.rk', '=', 's.rk').on('d.code', '=', dateCode))
      .innerJoin('resources as r', 'r.rk', 's.rk')
      .select('s.target_id')
      .distinct()
      .where('s.target_id', 'in', part)
      .where('s.target_type', '=', 'Patient')
      .where('s.type', '=', sourceType)
      .where('s.code', '=', code)
      .where('d.low', '<', before)
      .where('r.deleted', '=', 0)
      .execute();
    for (const r of rows) if (r.target_id) out.add(r.target_id);
  }
  return out;
}

/** Every current resource of a type (for small practice-wide sets such as Schedules). */
export async function readAllOfType<T extends Resource>(repo: FhirRepository, type: T['resourceType'], limit = 1000): Promise<T[]> {
  const rows = await repo.dialect.db
    .selectFrom('resources')
    .select('content')
    .where('type', '=', type)
    .where('deleted', '=', 0)
    .orderBy('rk')
    .limit(limit)
    .execute();
  return rows.map((r) => JSON.parse(r.content) as T);
}
