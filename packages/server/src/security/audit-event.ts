/**
 * What one audit event says (who, which patient, what, action, outcome, when, where, why)
 * and its FHIR AuditEvent shape after the IHE Basic Audit Log Patterns
 * (https://hl7.org/fhir/R4/auditevent.html, https://profiles.ihe.net/ITI/BALP/).
 */
import type { AuditEvent, AuditEventAgent, AuditEventEntity, Coding } from '@medplum/fhirtypes';
import type { Principal } from '@chartroom/core';
import { CHARTROOM_SECURITY_SYSTEM, canonicalJson } from '@chartroom/core';

/** The actions the audit trail records (ONC 170.315(d)(2), (d)(10)). */
export const AUDIT_ACTIONS = [
  'read',
  'search',
  'create',
  'update',
  'delete',
  'export',
  'print',
  'login',
  'login-failed',
  'logout',
  'privilege-change',
  'break-glass',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const AUDIT_OUTCOMES = ['success', 'denied', 'failed'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** What a caller hands to `auditLog.record(…)`. */
export interface AuditInput {
  action: AuditAction;
  /** Default `success`. */
  outcome?: AuditOutcome;
  /** Who acted (absent: the node itself). */
  principal?: Principal | undefined;
  /** The user name tried, for failed logins that have no principal. */
  username?: string | undefined;
  /** Patients whose data was touched (a search lists every patient it returned). */
  patientIds?: readonly string[] | undefined;
  /** Resources touched, `Type/id` (kept to the first {@link MAX_ENTITIES}). */
  resources?: readonly string[] | undefined;
  /** The query of a search (`Observation?code=…`). */
  query?: string | undefined;
  /** Free text: a break-the-glass reason, a privilege change, why it was denied. */
  description?: string | undefined;
  /** HL7 v3 ActReason code (TREAT, HPAYMT, HOPERAT, BTG…); default from the action and role. */
  purposeOfUse?: string | undefined;
  /** `high` for break-the-glass and security-relevant failures. */
  severity?: 'normal' | 'high' | undefined;
  /** Network address (default the principal's). */
  address?: string | undefined;
}

/** An input as staged: copied, with its time and defaults filled in. */
export interface StagedAudit {
  action: AuditAction;
  outcome: AuditOutcome;
  time: number;
  userId: string | undefined;
  username: string | undefined;
  role: string | undefined;
  practitionerId: string | undefined;
  kind: string;
  credentialId: string | undefined;
  patientIds: string[];
  resources: string[];
  query: string | undefined;
  description: string | undefined;
  purposeOfUse: string;
  severity: 'normal' | 'high';
  address: string | undefined;
}

export const MAX_ENTITIES = 50;

const ACT_REASON = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';
const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const EVENT_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-event-type';
const RESTFUL = 'http://hl7.org/fhir/restful-interaction';
const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';
const PARTICIPATION = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType';
const SOURCE_TYPE = 'http://terminology.hl7.org/CodeSystem/security-source-type';
/** Chartroom's AuditEvent extensions. */
export const AUDIT_SEVERITY_URL = 'https://chartroom.dev/fhir/StructureDefinition/audit-severity';
export const AUDIT_USER_URL = 'https://chartroom.dev/fhir/StructureDefinition/audit-user';
const USER_SYSTEM = 'https://chartroom.dev/fhir/NamingSystem/user';

function defaultPurpose(action: AuditAction, role: string | undefined): string {
  if (action === 'break-glass') return 'BTG';
  if (action === 'login' || action === 'login-failed' || action === 'logout' || action === 'privilege-change') return 'HOPERAT';
  if (role === 'billing') return 'HPAYMT';
  if (role === 'admin' || role === 'front-desk') return 'HOPERAT';
  return 'TREAT';
}

/** Copies an input into its staged form (cheap: no JSON, no hashing). */
export function stageAudit(input: AuditInput, time: number): StagedAudit {
  const p = input.principal;
  return {
    action: input.action,
    outcome: input.outcome ?? 'success',
    time,
    userId: p?.userId,
    username: p?.username ?? input.username,
    role: p?.role,
    practitionerId: p?.practitionerId,
    kind: p?.kind ?? 'system',
    credentialId: p?.credentialId,
    patientIds: input.patientIds ? [...new Set(input.patientIds)] : [],
    resources: input.resources ? input.resources.slice(0, MAX_ENTITIES) : [],
    query: input.query,
    description: input.description,
    purposeOfUse: input.purposeOfUse ?? defaultPurpose(input.action, p?.role),
    severity: input.severity ?? (input.action === 'break-glass' ? 'high' : 'normal'),
    address: input.address ?? p?.address,
  };
}

function typeAndSubtype(action: AuditAction): { type: Coding; subtype: Coding[]; code: AuditEvent['action'] } {
  const rest = (code: string, a: AuditEvent['action']): { type: Coding; subtype: Coding[]; code: AuditEvent['action'] } => ({
    type: { system: EVENT_TYPE, code: 'rest', display: 'Restful Operation' },
    subtype: [{ system: RESTFUL, code }],
    code: a,
  });
  switch (action) {
    case 'read':
      return rest('read', 'R');
    case 'search':
      return rest('search-type', 'E');
    case 'create':
      return rest('create', 'C');
    case 'update':
      return rest('update', 'U');
    case 'delete':
      return rest('delete', 'D');
    case 'export':
      return { type: { system: DCM, code: '110106', display: 'Export' }, subtype: [], code: 'R' };
    case 'print':
      return { type: { system: DCM, code: '110106', display: 'Export' }, subtype: [{ system: CHARTROOM_SECURITY_SYSTEM, code: 'print', display: 'Print' }], code: 'R' };
    case 'login':
    case 'login-failed':
      return { type: { system: DCM, code: '110114', display: 'User Authentication' }, subtype: [{ system: DCM, code: '110122', display: 'Login' }], code: 'E' };
    case 'logout':
      return { type: { system: DCM, code: '110114', display: 'User Authentication' }, subtype: [{ system: DCM, code: '110123', display: 'Logout' }], code: 'E' };
    case 'privilege-change':
      return { type: { system: DCM, code: '110136', display: 'Security Roles Changed' }, subtype: [], code: 'U' };
    case 'break-glass':
      return { type: { system: DCM, code: '110113', display: 'Security Alert' }, subtype: [{ system: CHARTROOM_SECURITY_SYSTEM, code: 'break-glass', display: 'Emergency access (break-the-glass)' }], code: 'E' };
    default: {
      const never: never = action;
      throw new Error(`unknown audit action ${String(never)}`);
    }
  }
}

const OUTCOME_CODE: Record<AuditOutcome, AuditEvent['outcome']> = { success: '0', denied: '4', failed: '8' };

/** The FHIR AuditEvent of a staged event, recorded by `nodeId` as its `seq`-th event. */
export function toAuditEvent(e: StagedAudit, nodeId: string, seq: number): AuditEvent {
  const t = typeAndSubtype(e.action);
  const who: AuditEventAgent['who'] = e.practitionerId
    ? { reference: `Practitioner/${e.practitionerId}`, display: e.username }
    : e.userId || e.username
      ? { identifier: { system: USER_SYSTEM, value: e.userId ?? e.username }, display: e.username }
      : { display: e.kind === 'node' ? 'peer node' : `node ${nodeId}` };
  const agent: AuditEventAgent = {
    type: { coding: [{ system: PARTICIPATION, code: 'IRCP', display: 'information recipient' }] },
    who,
    requestor: true,
    purposeOfUse: [{ coding: [{ system: ACT_REASON, code: e.purposeOfUse }] }],
  };
  if (e.address) agent.network = { address: e.address, type: '2' };
  if (e.userId) agent.extension = [{ url: AUDIT_USER_URL, valueString: `${e.userId}${e.role ? `|${e.role}` : ''}${e.credentialId ? `|${e.credentialId}` : ''}` }];
  const entity: AuditEventEntity[] = e.patientIds.map((id) => ({
    what: { reference: `Patient/${id}` },
    type: { system: ENTITY_TYPE, code: '1', display: 'Person' },
    role: { system: OBJECT_ROLE, code: '1', display: 'Patient' },
  }));
  for (const r of e.resources) entity.push({ what: { reference: r }, type: { system: ENTITY_TYPE, code: '2', display: 'System Object' }, role: { system: OBJECT_ROLE, code: '4', display: 'Domain Resource' } });
  if (e.query !== undefined) entity.push({ type: { system: ENTITY_TYPE, code: '2', display: 'System Object' }, role: { system: OBJECT_ROLE, code: '24', display: 'Query' }, description: e.query });
  const event: AuditEvent = {
    resourceType: 'AuditEvent',
    id: `${nodeId}-${seq}`,
    type: t.type,
    action: t.code,
    recorded: new Date(e.time).toISOString(),
    outcome: OUTCOME_CODE[e.outcome],
    purposeOfEvent: [{ coding: [{ system: ACT_REASON, code: e.purposeOfUse }] }],
    agent: [agent],
    source: { site: nodeId, observer: { display: `Chartroom node ${nodeId}`, identifier: { value: nodeId } }, type: [{ system: SOURCE_TYPE, code: '4', display: 'Application Server' }] },
    extension: [{ url: AUDIT_SEVERITY_URL, valueCode: e.severity }],
  };
  if (t.subtype.length) event.subtype = t.subtype;
  if (e.description) event.outcomeDesc = e.description;
  if (entity.length) event.entity = entity;
  return event;
}

/** Where audit events go: `record` only stages (cheap, synchronous); the log writes in batches. */
export interface AuditRecorder {
  record(input: AuditInput): void;
}

/**
 * The stored, hashed form of an event: the staged fields plus its id (`node-seq`), compact
 * so that hashing and writing stay cheap; {@link auditEventOfRecord} renders the FHIR
 * AuditEvent from it, deterministically.
 */
export function auditRecordJson(e: StagedAudit, nodeId: string, seq: number): string {
  return canonicalJson({ id: `${nodeId}-${seq}`, ...e });
}

/** The FHIR AuditEvent of a stored record (see {@link auditRecordJson}). */
export function auditEventOfRecord(content: string, nodeId: string, seq: number): AuditEvent {
  const r = JSON.parse(content) as Partial<StagedAudit>;
  const staged: StagedAudit = {
    action: r.action ?? 'read',
    outcome: r.outcome ?? 'success',
    time: r.time ?? 0,
    userId: r.userId,
    username: r.username,
    role: r.role,
    practitionerId: r.practitionerId,
    kind: r.kind ?? 'system',
    credentialId: r.credentialId,
    patientIds: r.patientIds ?? [],
    resources: r.resources ?? [],
    query: r.query,
    description: r.description,
    purposeOfUse: r.purposeOfUse ?? 'TREAT',
    severity: r.severity ?? 'normal',
    address: r.address,
  };
  return toAuditEvent(staged, nodeId, seq);
}
