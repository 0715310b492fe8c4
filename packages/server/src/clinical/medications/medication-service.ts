/**
 * Prescribing (transport-free): checks at the moment of prescribing and on demand, prescribe,
 * renew, change, discontinue with a reason, and medication reconciliation. An alert that is
 * contraindicated (or a check that could not run) blocks the order unless the prescriber
 * overrides it with a reason; each override is recorded as a DetectedIssue that the
 * MedicationRequest references (`detectedIssue`), and audited when an audit log is given.
 */
import { randomUUID } from 'node:crypto';
import type { DetectedIssue, MedicationRequest, MedicationStatement, Patient, Practitioner, Quantity, Reference } from '@medplum/fhirtypes';
import { OutcomeError, badRequest, checkMedications, loadShippedKnowledgeBase, notFound, searchDrugs } from '@chartroom/core';
import { splitSaltWords } from './salt-names.js';
import type { DrugMatch, KnowledgeBaseState, MedicationAlert, MedicationCheckResult, Principal } from '@chartroom/core';
import type { FhirRepository } from '../../store/fhir-repository.js';
import type { Clock } from '../../store/clock.js';
import { systemClock } from '../../store/clock.js';
import { loadMedicationContext } from './medication-context.js';
import { CHECKED_WITH_URL, validatePrescription } from './prescription-input.js';
import { renderPrescriptionPdf } from './prescription-pdf.js';

/** The rule id to override when the knowledge base is unavailable. */
export const CHECKING_UNAVAILABLE_RULE = 'checking-unavailable';
/** Code system of Chartroom's medication rule ids (DetectedIssue.code, CDS card topics). */
export const MEDICATION_RULE_SYSTEM = 'https://chartroom.dev/fhir/CodeSystem/medication-rule';

/** What the service records in the audit trail (structurally the security module's AuditRecorder). */
export interface MedicationAuditSink {
  record(input: {
    action: 'create' | 'update' | 'read' | 'print';
    principal?: Principal | undefined;
    patientIds?: readonly string[];
    resources?: readonly string[];
    description?: string;
    severity?: 'normal' | 'high';
  }): void;
}

export interface MedicationServiceOptions {
  clock?: Clock | undefined;
  /** The knowledge base (default: the one shipped with Chartroom). */
  knowledgeBase?: (() => Promise<KnowledgeBaseState>) | undefined;
  audit?: MedicationAuditSink | undefined;
}

export interface Override {
  ruleId: string;
  reason: string;
}

export interface PrescribeInput {
  medicationRequest?: unknown;
  overrides?: unknown;
}

export interface PrescribeResult {
  medicationRequest: MedicationRequest;
  check: MedicationCheckResult;
  detectedIssues: DetectedIssue[];
  /** The order this one replaced (renew, change), with its new status. */
  replaced?: MedicationRequest;
}

export interface ReconcileItem {
  reference: string;
  action: 'continue' | 'stop';
  reason?: string;
}

const SEVERITY_TO_ISSUE: Record<MedicationAlert['severity'], DetectedIssue['severity']> = { contraindicated: 'high', major: 'high', moderate: 'moderate', info: 'low' };

function parseOverrides(raw: unknown): Override[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw badRequest('overrides must be a list of {ruleId, reason}', 'overrides');
  return raw.map((o: unknown, i) => {
    const x = (typeof o === 'object' && o !== null ? o : {}) as Record<string, unknown>;
    if (typeof x.ruleId !== 'string' || !x.ruleId) throw badRequest('Each override names the ruleId it overrides', `overrides[${i}].ruleId`);
    if (typeof x.reason !== 'string' || x.reason.trim().length < 3) throw badRequest(`Overriding ${x.ruleId} needs a reason`, `overrides[${i}].reason`);
    return { ruleId: x.ruleId, reason: x.reason.trim() };
  });
}

function requesterOf(principal: Principal | undefined): Reference<Practitioner> | undefined {
  return principal?.practitionerId ? { reference: `Practitioner/${principal.practitionerId}`, ...(principal.username ? { display: principal.username } : {}) } : undefined;
}

export class MedicationService {
  private readonly clock: Clock;
  private readonly kb: () => Promise<KnowledgeBaseState>;

  constructor(
    private readonly repo: FhirRepository,
    private readonly options: MedicationServiceOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.kb = options.knowledgeBase ?? loadShippedKnowledgeBase;
  }

  /** Drug look-up for prescribing (`GET /api/drugs?q=`). */
  async searchDrugs(q: string | undefined, limit = 20): Promise<{ kbVersion?: string; drugs: (DrugMatch & { salt?: string })[]; unavailable?: string }> {
    const state = await this.kb();
    if (!state.ok) return { drugs: [], unavailable: state.error };
    const n = Math.min(Math.max(limit, 1), 100);
    const drugs: (DrugMatch & { salt?: string })[] = searchDrugs(state.kb, q ?? '', n);
    // "lithium carb": the list names ingredients, so a salt word is matched by its ingredient.
    const split = drugs.length < n ? splitSaltWords(q ?? '') : undefined;
    if (split) {
      const seen = new Set(drugs.map((d) => d.rxcui));
      for (const d of searchDrugs(state.kb, split.rest, n)) {
        if (drugs.length >= n) break;
        if (!seen.has(d.rxcui)) drugs.push({ ...d, salt: split.salts.join(' ') });
      }
    }
    return { kbVersion: state.kb.version, drugs };
  }

  /** Checks draft orders for a patient, or (with none) the patient's whole current list. */
  async check(patientId: string, drafts: unknown[]): Promise<MedicationCheckResult> {
    const state = await this.kb();
    const ctx = await loadMedicationContext(this.repo, patientId);
    const orders = drafts.map((d, i) => {
      try {
        return validatePrescription(d, patientId, state);
      } catch (err) {
        if (err instanceof OutcomeError && drafts.length > 1) throw badRequest(`draft ${i}: ${err.message}`, err.outcome.issue[0]?.expression);
        throw err;
      }
    });
    return checkMedications({ drafts: orders, active: ctx.medications, allergies: ctx.allergies }, state);
  }

  /** Prescribes a new order after checking it. */
  async prescribe(patientId: string, input: PrescribeInput, principal?: Principal): Promise<PrescribeResult> {
    if (typeof input !== 'object' || input === null) throw badRequest('The body is {medicationRequest, overrides?}');
    return this.writeOrder(patientId, input.medicationRequest, parseOverrides(input.overrides), principal);
  }

  /** Renews an order: a new order with the same drug and directions (quantity/refills may change); the old one completes. */
  async renew(id: string, input: { quantity?: unknown; refills?: unknown; overrides?: unknown }, principal?: Principal): Promise<PrescribeResult> {
    const old = await this.readOrder(id);
    if (old.status !== 'active' && old.status !== 'completed' && old.status !== 'on-hold') throw badRequest(`MedicationRequest/${id} is ${old.status}; only active, on-hold or completed orders can be renewed`);
    const next: MedicationRequest = {
      resourceType: 'MedicationRequest',
      status: 'active',
      intent: 'order',
      subject: old.subject,
      ...(old.medicationCodeableConcept ? { medicationCodeableConcept: old.medicationCodeableConcept } : {}),
      ...(old.dosageInstruction ? { dosageInstruction: old.dosageInstruction } : {}),
      ...(old.reasonReference ? { reasonReference: old.reasonReference } : {}),
      ...(old.reasonCode ? { reasonCode: old.reasonCode } : {}),
      ...(old.category ? { category: old.category } : {}),
      dispenseRequest: { ...old.dispenseRequest },
    };
    if (input.quantity !== undefined) next.dispenseRequest = { ...next.dispenseRequest, quantity: input.quantity as Quantity };
    if (input.refills !== undefined) next.dispenseRequest = { ...next.dispenseRequest, numberOfRepeatsAllowed: input.refills as number };
    return this.writeOrder(this.patientOf(old), next, parseOverrides(input.overrides), principal, { old, status: old.status === 'active' ? 'completed' : old.status, why: 'Renewed' });
  }

  /** Changes an order: a new order replaces it; the old one is stopped with the reason. */
  async change(id: string, input: { medicationRequest?: unknown; overrides?: unknown; reason?: unknown }, principal?: Principal): Promise<PrescribeResult> {
    const old = await this.readOrder(id);
    if (old.status !== 'active' && old.status !== 'on-hold') throw badRequest(`MedicationRequest/${id} is ${old.status}; only active or on-hold orders can be changed`);
    const reason = typeof input.reason === 'string' && input.reason.trim() ? input.reason.trim() : 'Changed';
    return this.writeOrder(this.patientOf(old), input.medicationRequest, parseOverrides(input.overrides), principal, { old, status: 'stopped', why: `Changed: ${reason}` });
  }

  /** Discontinues an order with a reason (required). */
  async discontinue(id: string, input: { reason?: unknown }, principal?: Principal): Promise<MedicationRequest> {
    if (typeof input.reason !== 'string' || input.reason.trim().length < 3) throw badRequest('Discontinuing needs a reason', 'reason');
    const old = await this.readOrder(id);
    if (old.status !== 'active' && old.status !== 'on-hold' && old.status !== 'draft') throw badRequest(`MedicationRequest/${id} is already ${old.status}`);
    const stopped: MedicationRequest = { ...old, status: 'stopped', statusReason: { text: input.reason.trim() } };
    delete stopped.meta;
    const v = await this.repo.update(stopped);
    this.options.audit?.record({ action: 'update', principal, patientIds: [this.patientOf(old)], resources: [`MedicationRequest/${id}`], description: `Discontinued: ${input.reason.trim()}` });
    return JSON.parse(v.version.json) as MedicationRequest;
  }

  /**
   * Medication reconciliation: each listed medication (an external MedicationStatement, or an
   * order) is marked continued or stopped. All or nothing: one bad item changes nothing.
   */
  async reconcile(patientId: string, input: { items?: unknown }, principal?: Principal): Promise<{ updated: (MedicationStatement | MedicationRequest)[] }> {
    await loadMedicationContext(this.repo, patientId);
    if (!Array.isArray(input.items) || input.items.length === 0) throw badRequest('items must list each medication with action continue or stop', 'items');
    const now = new Date(this.clock.now()).toISOString();
    const planned: (MedicationStatement | MedicationRequest)[] = [];
    const seen = new Set<string>();
    for (const [i, raw] of (input.items as unknown[]).entries()) {
      const item = (typeof raw === 'object' && raw !== null ? raw : {}) as Partial<ReconcileItem>;
      const m = /^(MedicationStatement|MedicationRequest)\/([A-Za-z0-9\-.]{1,64})$/.exec(String(item.reference ?? ''));
      if (!m) throw badRequest('reference must be MedicationStatement/<id> or MedicationRequest/<id>', `items[${i}].reference`);
      if (seen.has(m[0])) throw badRequest(`${m[0]} is listed twice`, `items[${i}].reference`);
      seen.add(m[0]);
      if (item.action !== 'continue' && item.action !== 'stop') throw badRequest('action must be continue or stop', `items[${i}].action`);
      const found = await this.repo.readCurrent(m[1] as string, m[2] as string);
      if (!found || found.deleted) throw badRequest(`${m[0]} not found`, `items[${i}].reference`);
      const r = JSON.parse(found.json) as MedicationStatement | MedicationRequest;
      if (r.subject?.reference !== `Patient/${patientId}`) throw badRequest(`${m[0]} belongs to another patient`, `items[${i}].reference`);
      const who = principal?.username ? ` by ${principal.username}` : '';
      const note = { text: `Reconciled ${now.slice(0, 10)}${who}: ${item.action === 'continue' ? 'continued' : 'stopped'}${item.reason ? ` (${item.reason})` : ''}`, time: now };
      const next = structuredClone(r);
      delete next.meta;
      next.note = [...(next.note ?? []), note];
      if (item.action === 'stop') {
        next.status = 'stopped';
        next.statusReason = next.resourceType === 'MedicationStatement' ? [{ text: item.reason ?? 'Stopped at reconciliation' }] : { text: item.reason ?? 'Stopped at reconciliation' };
      } else if (next.resourceType === 'MedicationStatement') {
        next.status = 'active';
      }
      planned.push(next);
    }
    const updated = await this.repo.withTransaction(async (tx) => {
      const out: (MedicationStatement | MedicationRequest)[] = [];
      for (const r of planned) out.push(JSON.parse((await tx.update(r)).version.json));
      return out;
    });
    this.options.audit?.record({ action: 'update', principal, patientIds: [patientId], resources: updated.map((r) => `${r.resourceType}/${r.id}`), description: 'Medication reconciliation' });
    return { updated };
  }

  /** The printable prescription of an order (PDF bytes). */
  async prescriptionPdf(id: string, practiceName: string, principal?: Principal): Promise<Buffer> {
    const order = await this.readOrder(id);
    const patientId = this.patientOf(order);
    const patient = await this.repo.readCurrent('Patient', patientId);
    if (!patient || patient.deleted) throw notFound(`Patient/${patientId} not found`);
    const ref = order.requester?.reference ?? '';
    const prescriber = ref.startsWith('Practitioner/') ? await this.repo.readCurrent('Practitioner', ref.slice('Practitioner/'.length)) : undefined;
    const pdf = await renderPrescriptionPdf({
      order,
      patient: JSON.parse(patient.json) as Patient,
      prescriber: prescriber && !prescriber.deleted ? (JSON.parse(prescriber.json) as Practitioner) : undefined,
      practiceName,
      now: this.clock.now(),
    });
    this.options.audit?.record({ action: 'print', principal, patientIds: [patientId], resources: [`MedicationRequest/${id}`], description: 'Prescription printed' });
    return pdf;
  }

  /** One order (404 when unknown). */
  async readOrder(id: string): Promise<MedicationRequest> {
    const found = await this.repo.readCurrent('MedicationRequest', id);
    if (!found || found.deleted) throw notFound(`MedicationRequest/${id} not found`);
    return JSON.parse(found.json) as MedicationRequest;
  }

  private patientOf(mr: MedicationRequest): string {
    const ref = mr.subject?.reference ?? '';
    if (!ref.startsWith('Patient/')) throw badRequest(`MedicationRequest/${mr.id} has no patient subject`);
    return ref.slice('Patient/'.length);
  }

  /** Validates, checks and (unless blocked) stores an order with its overrides, all in one transaction. */
  private async writeOrder(
    patientId: string,
    raw: unknown,
    overrides: Override[],
    principal: Principal | undefined,
    replacing?: { old: MedicationRequest; status: MedicationRequest['status']; why: string },
  ): Promise<PrescribeResult> {
    const state = await this.kb();
    const order = validatePrescription(raw, patientId, state);
    const ctx = await loadMedicationContext(this.repo, patientId);
    const active = replacing ? ctx.medications.filter((m) => !(m.resourceType === 'MedicationRequest' && m.id === replacing.old.id)) : ctx.medications;
    const check = checkMedications({ drafts: [order], active, allergies: ctx.allergies }, state);

    // What needs an override: contraindicated alerts, and any check that could not run.
    const blocking: { ruleId: string; title: string }[] = check.alerts.filter((a) => a.overrideReasonRequired).map((a) => ({ ruleId: a.ruleId, title: a.title }));
    if (check.status === 'unavailable') blocking.push({ ruleId: CHECKING_UNAVAILABLE_RULE, title: 'Interaction checking is unavailable' });
    const fired = new Set([...check.alerts.map((a) => a.ruleId), ...(check.status === 'unavailable' ? [CHECKING_UNAVAILABLE_RULE] : [])]);
    for (const [i, o] of overrides.entries()) {
      if (!fired.has(o.ruleId)) throw badRequest(`Override for ${o.ruleId}, which did not fire for this order (check again)`, `overrides[${i}].ruleId`);
    }
    const missing = blocking.filter((b) => !overrides.some((o) => o.ruleId === b.ruleId));
    if (missing.length) {
      throw new OutcomeError('conflict', {
        resourceType: 'OperationOutcome',
        issue: missing.map((b) => ({
          severity: 'error' as const,
          code: 'business-rule' as const,
          details: { coding: [{ system: MEDICATION_RULE_SYSTEM, code: b.ruleId }], text: b.title },
          diagnostics: `${b.title} (rule ${b.ruleId}): prescribing needs an override with a reason ({ruleId: "${b.ruleId}", reason}). ${check.summary}`,
        })),
      });
    }

    const now = new Date(this.clock.now()).toISOString();
    const requester = requesterOf(principal);
    const orderId = randomUUID();
    const issues: DetectedIssue[] = overrides.map((o): DetectedIssue => {
      const a = check.alerts.find((x) => x.ruleId === o.ruleId);
      const implicated: Reference[] = [{ reference: `MedicationRequest/${orderId}` }];
      for (const item of a?.items ?? []) if (item.role === 'active' && item.reference.includes('/')) implicated.push({ reference: item.reference, display: item.display });
      return {
        resourceType: 'DetectedIssue',
        id: randomUUID(),
        status: 'final',
        code: { coding: [{ system: MEDICATION_RULE_SYSTEM, code: o.ruleId, display: a?.title ?? 'Interaction checking unavailable' }], text: a?.title ?? 'Interaction checking unavailable' },
        severity: a ? SEVERITY_TO_ISSUE[a.severity] : 'high',
        patient: { reference: `Patient/${patientId}` },
        identifiedDateTime: now,
        ...(requester ? { author: requester } : {}),
        implicated,
        detail: a ? `${a.explanation} Source: ${a.source}. Knowledge base ${a.kbVersion}.` : check.summary,
        mitigation: [
          {
            action: { coding: [{ system: MEDICATION_RULE_SYSTEM, code: 'override', display: 'Prescriber override' }], text: `Override: ${o.reason}` },
            date: now,
            ...(requester ? { author: requester } : {}),
          },
        ],
      };
    });
    order.authoredOn = now;
    if (requester) order.requester = requester;
    if (issues.length) order.detectedIssue = issues.map((d) => ({ reference: `DetectedIssue/${d.id}`, display: d.code?.text }));
    if (check.kbVersion) order.extension = [...(order.extension ?? []), { url: CHECKED_WITH_URL, valueString: check.kbVersion }];
    if (replacing) order.priorPrescription = { reference: `MedicationRequest/${replacing.old.id}` };

    const written = await this.repo.withTransaction(async (tx) => {
      const stored: DetectedIssue[] = [];
      for (const d of issues) stored.push(JSON.parse((await tx.create(d, { id: d.id })).json) as DetectedIssue);
      const mr = JSON.parse((await tx.create(order, { id: orderId })).json) as MedicationRequest;
      let replaced: MedicationRequest | undefined;
      if (replacing) {
        const next: MedicationRequest = { ...replacing.old, status: replacing.status, statusReason: { text: replacing.why } };
        delete next.meta;
        replaced = JSON.parse((await tx.update(next)).version.json) as MedicationRequest;
      }
      return { mr, stored, replaced };
    });
    const resources = [`MedicationRequest/${orderId}`, ...issues.map((d) => `DetectedIssue/${d.id}`), ...(replacing ? [`MedicationRequest/${replacing.old.id}`] : [])];
    const overridden = overrides.map((o) => `${o.ruleId}: ${o.reason}`).join('; ');
    this.options.audit?.record({
      action: 'create',
      principal,
      patientIds: [patientId],
      resources,
      description: `${replacing ? replacing.why.split(':')[0] : 'Prescribed'}${overridden ? `; alerts overridden — ${overridden}` : ''}`,
      severity: overrides.length ? 'high' : 'normal',
    });
    return { medicationRequest: written.mr, check, detectedIssues: written.stored, ...(written.replaced ? { replaced: written.replaced } : {}) };
  }
}
