/**
 * SMART on FHIR scopes of bearer tokens (https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html):
 * `user/*.read`, `user/Patient.write`, `system/*.*`, and the v2 forms `user/Observation.rs`,
 * `system/*.cruds`. A token may do what one of its scopes allows for the resource type and
 * the kind of access (read or write); roles, labels and compartments are the policy's part.
 * A token's scopes are all `user/` (it acts as its user, within the user's role) or all
 * `system/` (a backend client: the principal carries no user, as SMART Backend Services).
 */
import { outcomeError } from '@chartroom/core';

export type ScopeAccess = 'read' | 'write';

export interface ParsedScope {
  context: 'user' | 'system' | 'patient';
  /** A resource type or `*`. */
  resourceType: string;
  read: boolean;
  write: boolean;
}

const SCOPE = /^(user|system|patient)\/(\*|[A-Z][A-Za-z]{1,63})\.(read|write|\*|c?r?u?d?s?)$/;

/** Parses one scope; undefined for anything else (e.g. `openid`, `launch`). */
export function parseScope(scope: string): ParsedScope | undefined {
  const m = SCOPE.exec(scope);
  if (!m || m[3] === '') return undefined;
  const [, context, resourceType, perm] = m as unknown as [string, ParsedScope['context'], string, string];
  const read = perm === 'read' || perm === '*' || /[rs]/.test(perm);
  const write = perm === 'write' || perm === '*' || /[cud]/.test(perm);
  return { context, resourceType, read, write };
}

/** Checks a list of scopes for a new token: each must be a resource scope; returns them normalised. */
export function validateScopes(scopes: readonly string[]): string[] {
  const out = [...new Set(scopes.flatMap((s) => s.split(/[\s,]+/)).filter(Boolean))];
  if (out.length === 0) throw outcomeError('badRequest', 'A token needs at least one scope, e.g. user/*.read', 'scope');
  for (const s of out) {
    const p = parseScope(s);
    if (!p) throw outcomeError('badRequest', `Scope "${s}" is not understood; use e.g. user/*.read, user/Patient.write, system/*.read, system/*.*`, 'scope');
    if (p.context === 'patient') throw outcomeError('badRequest', `Scope "${s}": patient/ scopes need a SMART launch context; issue user/ or system/ scopes`, 'scope');
  }
  if (new Set(out.map((s) => s.split('/')[0])).size > 1) {
    throw outcomeError('badRequest', 'A token acts either as its user (user/… scopes) or as a system client (system/… scopes), not both', 'scope');
  }
  return out;
}

/** True when one of `scopes` grants `access` to `resourceType`. */
export function scopesAllow(scopes: readonly string[], resourceType: string, access: ScopeAccess): boolean {
  return scopes.some((s) => {
    const p = parseScope(s);
    return p !== undefined && (p.resourceType === '*' || p.resourceType === resourceType) && p[access];
  });
}

/** What a FHIR request needs: pairs of resource type (`*` for all) and access. */
export function fhirRequestNeeds(method: string, path: string, body: unknown): { resourceType: string; access: ScopeAccess }[] {
  const segments = path.split('/').filter(Boolean);
  const first = segments[0];
  const write = !(method === 'GET' || method === 'HEAD' || (method === 'POST' && segments[segments.length - 1] === '_search'));
  const access: ScopeAccess = write ? 'write' : 'read';
  if (first === undefined || first.startsWith('_') || first.startsWith('$')) {
    // The base: system search/history (reads all types), or a transaction/batch Bundle.
    if (method === 'POST' && segments.length === 0) return bundleNeeds(body);
    return [{ resourceType: '*', access }];
  }
  if (first === 'metadata') return [];
  // Patient/$everything returns every type in the compartment.
  if (segments.some((s) => s === '$everything')) return [{ resourceType: '*', access: 'read' }];
  return [{ resourceType: first, access }];
}

function bundleNeeds(body: unknown): { resourceType: string; access: ScopeAccess }[] {
  const entries = (body as { entry?: unknown } | undefined)?.entry;
  if (!Array.isArray(entries)) return [{ resourceType: '*', access: 'write' }];
  return entries.flatMap((e) => {
    const req = (e as { request?: { method?: unknown; url?: unknown } } | undefined)?.request;
    const method = typeof req?.method === 'string' ? req.method.toUpperCase() : 'POST';
    const url = typeof req?.url === 'string' ? req.url.split('?')[0] ?? '' : '';
    if (url === '' && method === 'POST') return [{ resourceType: '*', access: 'write' as const }];
    return fhirRequestNeeds(method, url, undefined);
  });
}

/** Throws 403 unless `scopes` cover everything the FHIR request needs. */
export function checkFhirScopes(scopes: readonly string[], method: string, path: string, body: unknown): void {
  for (const need of fhirRequestNeeds(method, path, body)) {
    if (!scopesAllow(scopes, need.resourceType, need.access)) {
      const what = need.resourceType === '*' ? 'all resource types' : need.resourceType;
      throw outcomeError('forbidden', `This token's scopes (${scopes.join(' ')}) do not allow ${need.access} access to ${what}`);
    }
  }
}
