/**
 * The medication checks as a CDS Hooks 2.0 service (https://cds-hooks.hl7.org/2.0/):
 * discovery, and `order-select` / `order-sign` calls with draft MedicationRequests in
 * `context.draftOrders`, the patient's medications and allergies from `prefetch` (or, for an
 * authenticated caller, looked up in this node's store). Answers cards: critical / warning /
 * info, the rule's source, and override reasons. Transport-free.
 */
import { randomUUID } from 'node:crypto';
import type { AllergyIntolerance, Bundle, MedicationRequest, Resource } from '@medplum/fhirtypes';
import { badRequest, checkMedications, loadShippedKnowledgeBase, notFound, outcomeError } from '@chartroom/core';
import type { KnowledgeBaseState, MedicationAlert, MedicationCheckResult, MedicationResource } from '@chartroom/core';
import type { FhirRepository } from '../../store/fhir-repository.js';
import { loadMedicationContext } from './medication-context.js';
import { MEDICATION_RULE_SYSTEM } from './medication-service.js';

export const CDS_SERVICE_IDS = { select: 'chartroom-medication-check-select', sign: 'chartroom-medication-check-sign' } as const;
const HOOK_OF: Record<string, 'order-select' | 'order-sign'> = { [CDS_SERVICE_IDS.select]: 'order-select', [CDS_SERVICE_IDS.sign]: 'order-sign' };

const PREFETCH = {
  patient: 'Patient/{{context.patientId}}',
  medications: 'MedicationRequest?patient={{context.patientId}}&status=active,on-hold',
  statements: 'MedicationStatement?patient={{context.patientId}}&status=active,intended,on-hold',
  allergies: 'AllergyIntolerance?patient={{context.patientId}}',
};

/** The discovery document (https://cds-hooks.hl7.org/2.0/#discovery). */
export function cdsDiscovery(): { services: Record<string, unknown>[] } {
  const description =
    'Drug-drug (ONC high-priority and non-interruptive lists, psychiatric and primary-care rules), drug-allergy (with cross-sensitivity) and duplicate-therapy checks of draft MedicationRequests against the patient\'s medications and allergies, from Chartroom\'s local, versioned knowledge base.';
  return {
    services: [
      { hook: 'order-select', id: CDS_SERVICE_IDS.select, title: 'Chartroom medication check (order select)', description, prefetch: PREFETCH, usageRequirements: 'Draft orders as MedicationRequest coded with RxNorm.' },
      { hook: 'order-sign', id: CDS_SERVICE_IDS.sign, title: 'Chartroom medication check (order sign)', description, prefetch: PREFETCH, usageRequirements: 'Draft orders as MedicationRequest coded with RxNorm.' },
    ],
  };
}

/** Override reasons offered on every card that may be overridden. */
export const OVERRIDE_REASONS = [
  { system: MEDICATION_RULE_SYSTEM, code: 'benefit-outweighs-risk', display: 'Benefit outweighs risk; will monitor' },
  { system: MEDICATION_RULE_SYSTEM, code: 'tolerated-before', display: 'Patient has tolerated this combination before' },
  { system: MEDICATION_RULE_SYSTEM, code: 'dose-adjusted', display: 'Dose adjusted for the interaction' },
  { system: MEDICATION_RULE_SYSTEM, code: 'not-accurate', display: 'Alert not accurate for this patient (e.g. allergy record is wrong)' },
];

export interface CdsCard {
  uuid: string;
  summary: string;
  detail?: string;
  indicator: 'info' | 'warning' | 'critical';
  source: { label: string; topic?: { system: string; code: string; display: string } };
  overrideReasons?: typeof OVERRIDE_REASONS;
}

const INDICATOR: Record<MedicationAlert['severity'], CdsCard['indicator']> = { contraindicated: 'critical', major: 'critical', moderate: 'warning', info: 'info' };
const clip = (s: string): string => (s.length <= 140 ? s : `${s.slice(0, 139)}…`);

/** Cards for a check result: one per alert, one per item not checked, one if checking is unavailable. */
export function cardsOf(result: MedicationCheckResult): CdsCard[] {
  const label = `Chartroom interaction knowledge base${result.kbVersion ? ` ${result.kbVersion}` : ''}`;
  if (result.status === 'unavailable') {
    return [{ uuid: randomUUID(), summary: 'Medication checking unavailable: nothing was checked', detail: result.summary, indicator: 'critical', source: { label }, overrideReasons: OVERRIDE_REASONS }];
  }
  const cards: CdsCard[] = result.alerts.map((a) => {
    const drugs = a.items.map((i) => `${i.display} (${i.role === 'draft' ? 'new order' : i.role === 'active' ? 'current' : 'allergy'})`).join(' + ');
    return {
      uuid: randomUUID(),
      summary: clip(`${a.severity === 'contraindicated' ? 'Contraindicated' : a.severity[0]?.toUpperCase() + a.severity.slice(1)}: ${a.title}`),
      detail: `**${drugs}**\n\n${a.explanation}\n\nSource: ${a.source}\n\nRule \`${a.ruleId}\`, knowledge base ${a.kbVersion}.`,
      indicator: INDICATOR[a.severity],
      source: { label, topic: { system: MEDICATION_RULE_SYSTEM, code: a.ruleId, display: a.title } },
      ...(a.severity !== 'info' ? { overrideReasons: OVERRIDE_REASONS } : {}),
    };
  });
  for (const n of result.notChecked) {
    cards.push({ uuid: randomUUID(), summary: clip(`Not checked: ${n.display}`), detail: n.reason, indicator: 'warning', source: { label } });
  }
  return cards;
}

interface HookRequest {
  hook: string;
  hookInstance: string;
  context: { userId?: string; patientId: string; draftOrders: Bundle; selections?: string[] };
  prefetch?: Record<string, unknown>;
}

function parseHookRequest(serviceId: string, body: unknown): HookRequest {
  const hook = HOOK_OF[serviceId];
  if (!hook) throw notFound(`No CDS service "${serviceId}"; see GET /cds-services`);
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (b.hook !== hook) throw badRequest(`Service ${serviceId} answers the ${hook} hook, not ${String(b.hook)}`, 'hook');
  if (typeof b.hookInstance !== 'string' || !b.hookInstance) throw badRequest('hookInstance is required', 'hookInstance');
  const ctx = (typeof b.context === 'object' && b.context !== null ? b.context : {}) as Record<string, unknown>;
  if (typeof ctx.patientId !== 'string' || !/^[A-Za-z0-9\-.]{1,64}$/.test(ctx.patientId)) throw badRequest('context.patientId is required', 'context.patientId');
  const draft = ctx.draftOrders as Bundle | undefined;
  if (!draft || draft.resourceType !== 'Bundle' || (draft.entry !== undefined && !Array.isArray(draft.entry))) throw badRequest('context.draftOrders must be a Bundle of draft orders', 'context.draftOrders');
  if (ctx.selections !== undefined && (!Array.isArray(ctx.selections) || ctx.selections.some((s) => typeof s !== 'string'))) throw badRequest('context.selections must be a list of references', 'context.selections');
  if (b.prefetch !== undefined && (typeof b.prefetch !== 'object' || b.prefetch === null)) throw badRequest('prefetch must be an object', 'prefetch');
  return { hook, hookInstance: b.hookInstance, context: ctx as HookRequest['context'], ...(b.prefetch ? { prefetch: b.prefetch as Record<string, unknown> } : {}) };
}

/** Resources of a prefetched Bundle (or a single resource); undefined when the key is absent or null. */
function prefetched<T extends Resource>(prefetch: Record<string, unknown> | undefined, key: string, type: string): T[] | undefined {
  const v = prefetch?.[key];
  if (v === undefined || v === null) return undefined;
  const r = v as Resource;
  if (r.resourceType === 'Bundle') return ((r as Bundle).entry ?? []).map((e) => e.resource).filter((x): x is T => x?.resourceType === type);
  return r.resourceType === type ? [r as T] : [];
}

export interface CdsHooksServiceOptions {
  knowledgeBase?: (() => Promise<KnowledgeBaseState>) | undefined;
}

/** Runs a CDS Hooks call. `localLookup`: the caller is authenticated, so missing prefetch may be read from this node's store. */
export async function callCdsService(
  repo: FhirRepository,
  serviceId: string,
  body: unknown,
  opts: CdsHooksServiceOptions & { localLookup: boolean },
): Promise<{ cards: CdsCard[] }> {
  const req = parseHookRequest(serviceId, body);
  const entries = (req.context.draftOrders.entry ?? []).map((e) => e.resource).filter((r): r is MedicationRequest => r?.resourceType === 'MedicationRequest');
  const selections = new Set(req.context.selections ?? []);
  const isSelected = (r: MedicationRequest): boolean => (r.id ? selections.has(`MedicationRequest/${r.id}`) : false);
  // order-select: the selected orders are checked against everything else, other drafts included.
  const drafts = req.hook === 'order-select' && selections.size ? entries.filter(isSelected) : entries;
  const otherDrafts = req.hook === 'order-select' && selections.size ? entries.filter((r) => !isSelected(r)) : [];
  if (drafts.length === 0) return { cards: [] };

  const meds = prefetched<MedicationRequest>(req.prefetch, 'medications', 'MedicationRequest');
  const statements = prefetched<MedicationResource>(req.prefetch, 'statements', 'MedicationStatement') ?? [];
  const allergies = prefetched<AllergyIntolerance>(req.prefetch, 'allergies', 'AllergyIntolerance');
  let active: MedicationResource[];
  let allergyList: AllergyIntolerance[];
  if (meds !== undefined && allergies !== undefined) {
    active = [...meds, ...statements];
    allergyList = allergies;
  } else if (opts.localLookup) {
    const ctx = await loadMedicationContext(repo, req.context.patientId);
    active = ctx.medications;
    allergyList = ctx.allergies;
  } else {
    // CDS Hooks 2.0: a service that cannot get the data it needs answers 412.
    throw outcomeError('preconditionFailed', 'Prefetch "medications" and "allergies" are required (or call the authenticated /api/cds-services endpoint, which reads the chart)');
  }
  const state = await (opts.knowledgeBase ?? loadShippedKnowledgeBase)();
  const result = checkMedications({ drafts, active: [...active.filter((m) => m.status !== 'draft'), ...otherDrafts], allergies: allergyList }, state);
  return { cards: cardsOf(result) };
}
