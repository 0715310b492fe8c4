/**
 * The one authorisation policy: decides every request, FHIR and app routes alike, by the
 * caller's kind and role ({@link POLICY_TABLE}), the token's SMART scopes, the patient
 * compartment and the resource's sensitivity labels (`meta.security`). Pure and isomorphic:
 * the server's hooks call it; it reads no clock unless none is given.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { Action } from './access.js';
import { authorReferences, isDoNotReplicate, isPart2Record, isPsychotherapyNote } from './labels.js';
import { POLICY_TABLE, resourceClassOf } from './policy-table.js';
import type { Principal } from './principal.js';

/** A time-boxed break-the-glass grant: `userId` may open `patientId`'s restricted records until `expiresAt`. */
export interface BreakGlassGrant {
  id: string;
  userId: string;
  patientId: string;
  reason: string;
  /** ms since epoch */
  grantedAt: number;
  /** ms since epoch */
  expiresAt: number;
}

export interface AccessRequest {
  action: Action;
  resourceType: string;
  /** The patient whose compartment the request is in (route parameter, search subject…). */
  patientId?: string | undefined;
  /** The resource itself, when known (read, update, each search hit): its labels and compartment are checked. */
  resource?: Resource | undefined;
}

export interface DecideOptions {
  /** ms since epoch (default `Date.now()`). */
  now?: number;
  /** The caller's break-the-glass grants (active or not; expired ones are ignored). */
  grants?: readonly BreakGlassGrant[];
  /** True when an active Consent permits disclosing this patient's 42 CFR Part 2 records. */
  part2Consent?: boolean;
  /** How recent a second factor must be to open a psychotherapy note (default {@link STEP_UP_MINUTES}). */
  stepUpMinutes?: number;
}

export interface Decision {
  allowed: boolean;
  /** Why, in words fit for an OperationOutcome and the audit trail. */
  reason: string;
  /** True when only an active break-the-glass grant allowed it (audit at high severity). */
  breakGlass?: boolean;
  /** True when the caller must prove a second factor again (step-up) and retry. */
  stepUp?: boolean;
}

/** Default freshness of the second factor needed to open a psychotherapy note. */
export const STEP_UP_MINUTES = 15;

const allow = (reason: string, extra: Partial<Decision> = {}): Decision => ({ allowed: true, reason, ...extra });
const deny = (reason: string, extra: Partial<Decision> = {}): Decision => ({ allowed: false, reason, ...extra });

/** SMART scope permission letters an action needs (v2 `cruds`; v1 `read`/`write` map onto them). */
const SCOPE_LETTER: Readonly<Record<Action, string>> = Object.freeze({
  read: 'r',
  search: 's',
  create: 'c',
  update: 'u',
  delete: 'd',
  sign: 'u',
  export: 'r',
  admin: 'u',
});

/**
 * True when one of `scopes` grants `action` on `resourceType` in `context` (`user` or `system`):
 * SMART v1 (`user/*.read`, `user/Patient.write`, `user/*.*`) and v2 (`user/Patient.rs`).
 * https://hl7.org/fhir/smart-app-launch/scopes-and-launch-context.html
 */
export function scopeAllows(scopes: readonly string[], context: 'user' | 'system', action: Action, resourceType: string): boolean {
  const need = SCOPE_LETTER[action];
  for (const scope of scopes) {
    const m = /^(user|system|patient)\/([A-Za-z*]+)\.([a-z*]+)(\?.*)?$/.exec(scope);
    if (!m || m[1] !== context) continue;
    if (m[2] !== '*' && m[2] !== resourceType) continue;
    const perm = m[3] ?? '';
    const letters = perm === '*' ? 'cruds' : perm === 'read' ? 'rs' : perm === 'write' ? 'cud' : /^c?r?u?d?s?$/.test(perm) ? perm : '';
    if (letters.includes(need)) return true;
  }
  return false;
}

/** Patient ids a resource belongs to (its Patient compartment, by the common reference elements). */
export function patientIdsOf(resource: Resource): string[] {
  if (resource.resourceType === 'Patient') return resource.id ? [resource.id] : [];
  const r = resource as unknown as Record<string, unknown>;
  const ids: string[] = [];
  const take = (v: unknown): void => {
    for (const x of Array.isArray(v) ? v : v === undefined ? [] : [v]) {
      const ref = (x as { reference?: unknown } | undefined)?.reference;
      if (typeof ref === 'string' && ref.startsWith('Patient/')) ids.push(ref.slice('Patient/'.length));
    }
  };
  take(r.subject);
  take(r.patient);
  take(r.beneficiary);
  if (Array.isArray(r.participant)) take((r.participant as { actor?: unknown }[]).map((p) => p.actor));
  return [...new Set(ids)];
}

/** True when the principal is an author of the resource (its Practitioner, or its user id as `author`). */
export function isAuthor(principal: Principal, resource: Resource): boolean {
  const refs = authorReferences(resource);
  if (principal.practitionerId && refs.includes(`Practitioner/${principal.practitionerId}`)) return true;
  return principal.userId !== undefined && refs.some((r) => r === `User/${principal.userId}`);
}

function activeGrant(principal: Principal, patientIds: readonly string[], opts: DecideOptions, now: number): BreakGlassGrant | undefined {
  if (!principal.userId || !opts.grants) return undefined;
  return opts.grants.find((g) => g.userId === principal.userId && patientIds.includes(g.patientId) && g.grantedAt <= now && now < g.expiresAt);
}

/** The role/kind part of the decision (no labels). */
function decideByCaller(principal: Principal, action: Action, resourceType: string): Decision {
  const cls = resourceClassOf(resourceType);
  switch (principal.kind) {
    case 'system':
      return allow('the node itself');
    case 'node': {
      if (cls === 'security' || action === 'admin' || action === 'sign') return deny(`a peer node may not ${action} ${resourceType}`);
      if (principal.scopes && !scopeAllows(principal.scopes, 'system', action, resourceType)) return deny(`the node's scopes do not allow ${action} on ${resourceType}`);
      return allow('peer node replication');
    }
    case 'session':
    case 'token': {
      if (principal.kind === 'token') {
        const scopes = principal.scopes ?? [];
        const context = principal.userId ? 'user' : 'system';
        if (!scopeAllows(scopes, context, action, resourceType)) return deny(`the token's scopes (${scopes.join(' ') || 'none'}) do not allow ${action} on ${resourceType}`);
        if (!principal.userId) {
          // Backend services (a SIEM, the test suite) may read the audit trail, never write it.
          if (cls === 'security' || action === 'admin' || action === 'sign' || (cls === 'audit' && !['read', 'search', 'export'].includes(action))) {
            return deny(`a system token may not ${action} ${resourceType}`);
          }
          return allow('system token scope');
        }
      }
      if (!principal.role) return deny('the user has no role');
      const cell = POLICY_TABLE[principal.role][cls][action];
      return cell ? allow(`role ${principal.role} may ${action} ${cls} (${resourceType})`) : deny(`role ${principal.role} may not ${action} ${cls} (${resourceType})`);
    }
    default: {
      const never: never = principal.kind;
      throw new Error(`unknown principal kind ${String(never)}`);
    }
  }
}

/**
 * Decides one access: caller (kind, role, scopes), then patient compartment, then the
 * resource's sensitivity labels (psychotherapy notes: author only, with a fresh second
 * factor, or an active break-the-glass grant; 42 CFR Part 2: no export without consent;
 * do-not-replicate: never to a peer node).
 */
export function decide(principal: Principal, req: AccessRequest, opts: DecideOptions = {}): Decision {
  const base = decideByCaller(principal, req.action, req.resourceType);
  if (!base.allowed) return base;
  const resource = req.resource;
  if (!resource) return base;
  if (resource.resourceType !== req.resourceType) {
    // The decision is made for the resource actually touched.
    return decide(principal, { ...req, resourceType: resource.resourceType }, opts);
  }
  const patients = patientIdsOf(resource);
  if (req.patientId !== undefined && patients.length > 0 && !patients.includes(req.patientId)) {
    return deny(`${resource.resourceType}/${resource.id ?? ''} is not in the compartment of Patient/${req.patientId}`);
  }
  if (principal.kind === 'system') return base;
  if (principal.kind === 'node') {
    // Peers replicate everything (encrypted at rest on both ends) except what must stay on its node.
    return isDoNotReplicate(resource) ? deny('the resource is labelled do-not-replicate') : base;
  }
  if (isPart2Record(resource) && req.action === 'export' && !opts.part2Consent) {
    return deny('42 CFR Part 2 substance-use information needs the patient\'s consent to be exported or summarised');
  }
  if (isPsychotherapyNote(resource) && req.action !== 'create') {
    const now = opts.now ?? Date.now();
    let viaGrant = false;
    if (!isAuthor(principal, resource)) {
      const grant = activeGrant(principal, patients, opts, now);
      if (!grant || req.action !== 'read') return deny('psychotherapy notes are readable by their author only');
      viaGrant = true;
    }
    const window = (opts.stepUpMinutes ?? STEP_UP_MINUTES) * 60_000;
    if (principal.mfaAt === undefined || now - principal.mfaAt > window) {
      return deny(`opening a psychotherapy note needs a second factor proved within ${opts.stepUpMinutes ?? STEP_UP_MINUTES} minutes`, { stepUp: true });
    }
    return viaGrant ? allow('break-the-glass grant', { breakGlass: true }) : allow('author of the psychotherapy note');
  }
  return base;
}

/** True when the principal may read this resource now (labels included), e.g. to filter search results. */
export function canReadResource(principal: Principal, resource: Resource, now?: number, opts: Omit<DecideOptions, 'now'> = {}): boolean {
  return decide(principal, { action: 'read', resourceType: resource.resourceType, resource }, { ...opts, ...(now !== undefined ? { now } : {}) }).allowed;
}
