/**
 * Create, honouring `If-None-Exist` (https://hl7.org/fhir/R4/http.html#ccreate).
 */
import { isSupportedResourceType, outcomeError } from '@chartroom/core';
import type { FhirRepository, StoredVersion } from '../store/fhir-repository.js';
import { conditionalCreateKey, lockFor } from './keyed-lock.js';
import { parseCriteria } from './search-params.js';

/**
 * Creates `resource` unless `ifNoneExist` matches: one match is returned (created false),
 * several are a 412. The criteria are always parsed strictly. Search and create run in one
 * transaction under the per-type conditional-create lock, which is released only after the
 * commit, so two identical requests cannot both create. Call it with a repository that is
 * not inside a transaction (the lock must outlive the commit).
 */
export async function conditionalCreate(
  repo: FhirRepository,
  resource: unknown,
  ifNoneExist: string | undefined,
): Promise<{ version: StoredVersion; created: boolean }> {
  if (ifNoneExist === undefined) return { version: await repo.create(resource), created: true };
  const type = (resource as { resourceType?: unknown } | null)?.resourceType;
  if (typeof type !== 'string' || !isSupportedResourceType(type)) return { version: await repo.create(resource), created: true };
  const search = parseCriteria(type, ifNoneExist, 'If-None-Exist');
  return lockFor(repo).run([conditionalCreateKey(type)], () =>
    repo.withTransaction(async (tx) => {
      const found = await tx.search(search);
      if (found.matches.length > 1) throw outcomeError('preconditionFailed', `If-None-Exist "${ifNoneExist}" matches more than one ${type}`);
      const first = found.matches[0];
      if (first) return { version: first, created: false };
      return { version: await tx.create(resource), created: true };
    }),
  );
}
