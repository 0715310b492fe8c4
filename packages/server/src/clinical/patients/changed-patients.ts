/**
 * Which Patients changed since a change-log sequence: what the in-memory search directories
 * (name-directory.ts, phone-directory.ts) reload to stay current.
 */
import type { FhirRepository } from '../../store/fhir-repository.js';

/**
 * Sequences looked back over: on PostgreSQL a change can commit after one with a higher
 * sequence, so a directory re-reads the last few it has already seen.
 */
const LOOK_BACK = 100;

/** Row keys of the Patients changed after `seen` (less the look-back) up to `last`. */
export async function changedPatientKeys(repo: FhirRepository, seen: number, last: number): Promise<number[]> {
  const rows = await repo.dialect.db
    .selectFrom('changes as c')
    .innerJoin('resources as r', (j) => j.onRef('r.type', '=', 'c.type').onRef('r.id', '=', 'c.id'))
    .select('r.rk')
    .distinct()
    .where('c.seq', '>', Math.max(0, seen - LOOK_BACK))
    .where('c.seq', '<=', last)
    .where('c.type', '=', 'Patient')
    .execute();
  return rows.map((c) => Number(c.rk));
}
