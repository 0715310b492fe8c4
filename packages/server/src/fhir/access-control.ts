/**
 * Authorisation and audit for the FHIR API, transport-free: wraps the router so that every
 * repository call it makes on behalf of a principal goes through the policy (`decide` of
 * @chartroom/core). Reads of forbidden resources answer 403; searches, `$everything`,
 * `_include` and history drop what the principal may not see and say how many they
 * dropped; writes are decided on the resource before and after. One audit event per
 * request (every write its own), staged in memory by the audit log.
 * A request without a principal is the node itself and passes untouched.
 */
import type { Resource } from '@medplum/fhirtypes';
import { OutcomeError, conflict, decide, outcome } from '@chartroom/core';
import type { Action, BreakGlassGrant, Decision, Principal, SearchRequest } from '@chartroom/core';
import type { FhirRepository, SearchResult, StoredVersion } from '../store/fhir-repository.js';
import type { Clock } from '../store/clock.js';
import { systemClock } from '../store/clock.js';
import type { AuditAction, AuditRecorder } from '../security/audit-event.js';
import type { FhirHandler, FhirRequest, FhirResponse } from './types.js';

export interface FhirAccessDeps {
  /** Break-the-glass grants of a user (active or not). */
  grantsFor?: (userId: string) => readonly BreakGlassGrant[];
  /** Where audit events go (none: no audit). */
  audit?: AuditRecorder | undefined;
  clock?: Clock;
  /** Freshness of the second factor a psychotherapy note needs (minutes). */
  stepUpMinutes?: number;
}

/** Code in `details.coding` of a 403 that a fresh second factor would cure. */
export const STEP_UP_CODE = 'step-up-required';
const SECURITY_SYSTEM = 'https://chartroom.dev/fhir/CodeSystem/security';

/** The 403 of a refused decision (with the step-up code when a fresh second factor would help). */
export function forbiddenError(d: Decision): OutcomeError {
  const oo = outcome('forbidden', `Access denied: ${d.reason}`);
  const issue = oo.issue[0];
  if (d.stepUp && issue) issue.details = { coding: [{ system: SECURITY_SYSTEM, code: STEP_UP_CODE }], text: 'Confirm your second factor to open this record' };
  return new OutcomeError('forbidden', oo);
}

const PATIENT_REF = /"reference":"Patient\/([A-Za-z0-9\-.]{1,64})"/g;

/** The patients a stored version belongs to or references, read from its JSON without parsing it. */
function patientsIn(v: StoredVersion): string[] {
  if (v.type === 'Patient') return [v.id];
  const out: string[] = [];
  for (const m of v.json.matchAll(PATIENT_REF)) if (m[1]) out.push(m[1]);
  return out;
}

/** Per-request state: the decisions made, what was shown, hidden and written. */
class AccessGuard {
  readonly patients = new Set<string>();
  readonly resources: string[] = [];
  readonly writes: { action: 'create' | 'update' | 'delete'; ref: string; patients: string[] }[] = [];
  hidden = 0;
  breakGlass = false;
  private readonly typeCache = new Map<string, Decision>();
  private grants: readonly BreakGlassGrant[] | undefined;

  constructor(
    readonly principal: Principal,
    private readonly deps: FhirAccessDeps,
    private readonly now: number,
  ) {}

  private options(): { now: number; grants: readonly BreakGlassGrant[]; stepUpMinutes?: number } {
    if (this.grants === undefined) this.grants = this.principal.userId && this.deps.grantsFor ? this.deps.grantsFor(this.principal.userId) : [];
    return { now: this.now, grants: this.grants, ...(this.deps.stepUpMinutes !== undefined ? { stepUpMinutes: this.deps.stepUpMinutes } : {}) };
  }

  /** The type-level decision (cached per request). */
  typeDecision(action: Action, type: string): Decision {
    const key = `${action} ${type}`;
    let d = this.typeCache.get(key);
    if (!d) {
      d = decide(this.principal, { action, resourceType: type });
      this.typeCache.set(key, d);
    }
    return d;
  }

  requireType(action: Action, type: string): void {
    if (type === 'AuditEvent' && (action === 'create' || action === 'update' || action === 'delete')) {
      throw new OutcomeError('forbidden', outcome('forbidden', 'Audit events cannot be written, changed or deleted through the API'));
    }
    const d = this.typeDecision(action, type);
    if (!d.allowed) throw forbiddenError(d);
  }

  /** The decision on one resource (labels, author, grants). */
  resourceDecision(action: Action, resource: Resource): Decision {
    return decide(this.principal, { action, resourceType: resource.resourceType, resource }, this.options());
  }

  requireResource(action: Action, resource: Resource): void {
    this.requireType(action, resource.resourceType);
    const d = this.resourceDecision(action, resource);
    if (!d.allowed) throw forbiddenError(d);
    if (d.breakGlass) this.breakGlass = true;
  }

  /** Like {@link requireResource} for stored JSON, parsing it only when it carries security labels. */
  requireVersion(action: Action, v: StoredVersion): void {
    this.requireType(action, v.type);
    if (v.json.includes('"security"')) this.requireResource(action, JSON.parse(v.json) as Resource);
  }

  /** True when the principal may see this version; labelled resources are parsed, others decided by type. */
  visible(v: StoredVersion): boolean {
    if (!this.typeDecision('read', v.type).allowed) return false;
    if (v.deleted || !v.json.includes('"security"')) return true;
    const d = this.resourceDecision('read', JSON.parse(v.json) as Resource);
    if (d.allowed && d.breakGlass) this.breakGlass = true;
    return d.allowed;
  }

  /** Keeps what the principal may see, counting the rest, and notes what was shown. */
  filter(versions: readonly StoredVersion[]): { kept: StoredVersion[]; hidden: number } {
    const kept: StoredVersion[] = [];
    let hidden = 0;
    for (const v of versions) {
      if (this.visible(v)) {
        kept.push(v);
        this.shown(v);
      } else hidden++;
    }
    this.hidden += hidden;
    return { kept, hidden };
  }

  shown(v: StoredVersion): void {
    for (const p of patientsIn(v)) this.patients.add(p);
    this.resources.push(`${v.type}/${v.id}`);
  }
}

/**
 * Signed notes and letters (DocumentReference or Composition whose status is final or
 * amended) are locked for API callers: a change is an addendum or an amendment through the
 * notes routes, never an edit or a deletion of the signed text.
 */
function refuseSignedDocumentChange(action: 'update' | 'delete', current: StoredVersion): void {
  if (current.type !== 'DocumentReference' && current.type !== 'Composition') return;
  const r = JSON.parse(current.json) as { docStatus?: string; status?: string };
  const signed = current.type === 'DocumentReference' ? r.docStatus === 'final' || r.docStatus === 'amended' : r.status === 'final' || r.status === 'amended';
  if (signed) {
    throw conflict(`${current.type}/${current.id} is signed and locked: it cannot be ${action === 'update' ? 'edited' : 'deleted'}; write an addendum (POST /api/notes/${current.id}/addendum) or record an amendment`);
  }
}

function bodyType(input: unknown): string | undefined {
  const t = (input as { resourceType?: unknown } | null)?.resourceType;
  return typeof t === 'string' ? t : undefined;
}

/** A repository whose reads and writes go through `guard`. */
function guardedRepository(repo: FhirRepository, guard: AccessGuard): FhirRepository {
  const overrides: Partial<Record<keyof FhirRepository, unknown>> = {
    read: async (type: string, id: string): Promise<StoredVersion> => {
      guard.requireType('read', type);
      const v = await repo.read(type, id);
      guard.requireVersion('read', v);
      guard.shown(v);
      return v;
    },
    vread: async (type: string, id: string, rev: string): Promise<StoredVersion> => {
      guard.requireType('read', type);
      const v = await repo.vread(type, id, rev);
      guard.requireVersion('read', v);
      guard.shown(v);
      return v;
    },
    search: async (req: SearchRequest): Promise<SearchResult> => {
      guard.requireType('search', req.resourceType);
      const r = await repo.search(req);
      const matches = guard.filter(r.matches);
      const included = guard.filter(r.included);
      // A complete first page knows its true total; otherwise the outcome entry says what was withheld.
      const complete = req.offset === 0 && !r.hasMore;
      const total = r.total !== undefined && complete ? r.total - matches.hidden : r.total;
      return { ...r, matches: matches.kept, included: included.kept, total };
    },
    patientEverything: async (id: string, opts?: { since?: number; count?: number }): Promise<StoredVersion[]> => {
      guard.requireType('read', 'Patient');
      return guard.filter(await repo.patientEverything(id, opts)).kept;
    },
    history: async (opts: { type?: string; id?: string; since?: number; count: number; offset: number }): Promise<{ versions: StoredVersion[]; hasMore: boolean }> => {
      if (opts.type) guard.requireType('read', opts.type);
      const r = await repo.history(opts);
      return { ...r, versions: guard.filter(r.versions).kept };
    },
    create: async (input: unknown, opts?: { id?: string }): Promise<StoredVersion> => {
      const type = bodyType(input);
      if (type) guard.requireResource('create', input as Resource);
      const v = await repo.create(input, opts);
      guard.writes.push({ action: 'create', ref: `${v.type}/${v.id}`, patients: patientsIn(v) });
      return v;
    },
    update: async (input: unknown, opts?: { ifMatch?: string }): Promise<{ version: StoredVersion; created: boolean }> => {
      const type = bodyType(input);
      const id = (input as { id?: unknown } | null)?.id;
      if (type) {
        const current = typeof id === 'string' ? await repo.readCurrent(type, id) : undefined;
        if (current && !current.deleted) {
          guard.requireResource('update', JSON.parse(current.json) as Resource);
          refuseSignedDocumentChange('update', current);
        }
        guard.requireResource(current && !current.deleted ? 'update' : 'create', input as Resource);
      }
      const r = await repo.update(input, opts);
      guard.writes.push({ action: r.created ? 'create' : 'update', ref: `${r.version.type}/${r.version.id}`, patients: patientsIn(r.version) });
      return r;
    },
    delete: async (type: string, id: string): Promise<boolean> => {
      guard.requireType('delete', type);
      const current = await repo.readCurrent(type, id);
      if (current && !current.deleted) {
        guard.requireResource('delete', JSON.parse(current.json) as Resource);
        refuseSignedDocumentChange('delete', current);
      }
      const done = await repo.delete(type, id);
      guard.writes.push({ action: 'delete', ref: `${type}/${id}`, patients: current ? patientsIn(current) : [] });
      return done;
    },
    importMany: async (): Promise<never> => {
      throw new OutcomeError('forbidden', outcome('forbidden', 'Bulk import is for the node itself (chartroom import), not API callers'));
    },
    withTransaction: <T>(fn: (tx: FhirRepository) => Promise<T>): Promise<T> => repo.withTransaction((tx) => fn(guardedRepository(tx, guard))),
  };
  return new Proxy(repo, {
    get(target, prop, receiver) {
      if (typeof prop === 'string' && prop in overrides) return overrides[prop as keyof FhirRepository];
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** What kind of read a FHIR request is, for the audit trail. */
function readAction(req: FhirRequest): { action: AuditAction; query?: string } {
  const parts = req.path.split('/').filter(Boolean);
  const [type, second] = parts;
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(req.query)) for (const x of Array.isArray(v) ? v : v === undefined ? [] : [v]) qs.append(k, x);
  const query = `${req.path}${qs.size ? `?${qs.toString()}` : ''}`;
  if (parts.includes('$export')) return { action: 'export', query };
  if (type === undefined || type === '_history' || second === undefined || second === '_search' || second === '_history' || parts.includes('$everything')) {
    return { action: 'search', query };
  }
  return { action: parts[2] === '_history' && parts.length === 3 ? 'search' : 'read', ...(parts[2] === '_history' && parts.length === 3 ? { query } : {}) };
}

/** Appends an outcome entry saying how many resources were withheld to a searchset/history Bundle JSON. */
function noteWithheld(json: string, hidden: number): string {
  if (!json.endsWith(']}') || !json.startsWith('{"resourceType":"Bundle"')) return json;
  const warn = outcome('ok', `${hidden} resource${hidden === 1 ? ' was' : 's were'} withheld by the access policy (role or sensitivity label)`, undefined, 'information');
  const empty = json.endsWith('"entry":[]}');
  return json.slice(0, -2) + (empty ? '' : ',') + `{"resource":${JSON.stringify(warn)},"search":{"mode":"outcome"}}]}`;
}

/**
 * Wraps a FHIR handler with the policy and the audit trail. Requests without a principal
 * (the node itself) and `metadata` pass untouched.
 */
export function withAccessControl(inner: FhirHandler, deps: FhirAccessDeps = {}): FhirHandler {
  const clock = deps.clock ?? systemClock;
  return async (req, repo) => {
    const principal = req.principal;
    if (!principal || principal.kind === 'system' || req.path === 'metadata') return inner(req, repo);
    const guard = new AccessGuard(principal, deps, clock.now());
    let res: FhirResponse;
    try {
      res = await inner(req, guardedRepository(repo, guard));
    } catch (err) {
      recordAudit(deps.audit, req, principal, guard, 500);
      throw err;
    }
    if (guard.hidden > 0 && res.status === 200 && res.raw && typeof res.body === 'string') res = { ...res, body: noteWithheld(res.body, guard.hidden) };
    recordAudit(deps.audit, req, principal, guard, res.status, res.body);
    return res;
  };
}

function recordAudit(audit: AuditRecorder | undefined, req: FhirRequest, principal: Principal, guard: AccessGuard, status: number, body?: unknown): void {
  if (!audit) return;
  const outcomeOf = status === 403 || status === 401 ? 'denied' : status >= 400 ? 'failed' : 'success';
  const description = status >= 400 ? ((body as { issue?: { diagnostics?: string }[] } | undefined)?.issue?.[0]?.diagnostics ?? `HTTP ${status}`) : undefined;
  const severity = guard.breakGlass ? 'high' : 'normal';
  const purpose = guard.breakGlass ? { purposeOfUse: 'BTG' } : {};
  for (const w of guard.writes) {
    audit.record({ action: w.action, outcome: 'success', principal, patientIds: w.patients, resources: [w.ref], severity, ...purpose });
  }
  const isWrite = req.method === 'PUT' || req.method === 'DELETE' || (req.method === 'POST' && !req.path.endsWith('_search') && !req.path.includes('$'));
  if (isWrite) {
    if (status >= 400 && guard.writes.length === 0) {
      const action: AuditAction = req.method === 'PUT' ? 'update' : req.method === 'DELETE' ? 'delete' : 'create';
      audit.record({ action, outcome: outcomeOf, principal, resources: [req.path || 'Bundle'], description, severity: outcomeOf === 'denied' ? 'high' : severity });
    }
    // Reads made inside a batch or transaction (entries that GET) are audited below.
    if (guard.resources.length === 0) return;
  }
  const { action, query } = readAction(req);
  audit.record({
    action,
    outcome: outcomeOf,
    principal,
    patientIds: [...guard.patients],
    resources: action === 'read' && guard.resources.length === 0 ? [req.path] : guard.resources,
    query,
    description: description ?? (guard.hidden > 0 ? `${guard.hidden} withheld by the access policy` : undefined),
    severity,
    ...purpose,
  });
}
