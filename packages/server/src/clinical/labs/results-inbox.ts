/**
 * The results inbox: abnormal results waiting for the responsible clinician's
 * acknowledgement (open review tasks, review-task.ts), and the acknowledgement itself,
 * recorded on the task (completed, who, when) and by a Provenance
 * (https://hl7.org/fhir/R4/provenance.html).
 */
import type { DiagnosticReport, Observation, Practitioner, Provenance, Reference, Resource, Task } from '@medplum/fhirtypes';
import { conflict, notFound, badRequest } from '@chartroom/core';
import type { FhirRepository } from '../../store/fhir-repository.js';
import type { Clock } from '../../store/clock.js';
import { systemClock } from '../../store/clock.js';
import { CHARTROOM_TASK_SYSTEM, REVIEW_RESULT, reviewTaskId } from './review-task.js';
import { flagCodeOf, isAbnormalFlag, isCriticalFlag } from './result-flags.js';
import { searchResources } from './search-resources.js';

/** One result line of an inbox item. */
export interface InboxResult {
  observationId: string;
  code?: string;
  display: string;
  value?: number | string;
  comparator?: string;
  unit?: string;
  flag?: string;
  range?: { low?: number; high?: number; text?: string };
  effective?: string;
}

/** One result waiting for acknowledgement. */
export interface InboxItem {
  /** The result's id (DiagnosticReport or Observation): what `POST /api/results/:id/acknowledge` takes. */
  id: string;
  resultType: 'DiagnosticReport' | 'Observation';
  taskId: string;
  patient: { id: string; display?: string };
  owner?: { id: string; display?: string };
  title: string;
  description?: string;
  critical: boolean;
  priority: string;
  /** When the result arrived (the task was opened). */
  received?: string;
  issued?: string;
  effective?: string;
  /** Abnormal results first, then the rest of the report. */
  results: InboxResult[];
}

/** Who acknowledges: a Practitioner id when the user is one, and a display for the record. */
export interface Acknowledger {
  practitionerId?: string;
  display?: string;
}

const ID = /^[A-Za-z0-9\-.]{1,64}$/;

function resultLine(o: Observation): InboxResult {
  const coding = o.code.coding?.[0];
  const line: InboxResult = { observationId: o.id as string, display: o.code.text ?? coding?.display ?? coding?.code ?? 'Result' };
  if (coding?.code) line.code = coding.code;
  if (o.valueQuantity?.value !== undefined) {
    line.value = o.valueQuantity.value;
    if (o.valueQuantity.comparator) line.comparator = o.valueQuantity.comparator;
    if (o.valueQuantity.unit ?? o.valueQuantity.code) line.unit = o.valueQuantity.unit ?? o.valueQuantity.code;
  } else if (o.valueString !== undefined) line.value = o.valueString;
  else if (o.valueCodeableConcept) line.value = o.valueCodeableConcept.text ?? o.valueCodeableConcept.coding?.[0]?.display ?? o.valueCodeableConcept.coding?.[0]?.code ?? '';
  const flag = flagCodeOf(o.interpretation);
  if (flag) line.flag = flag;
  const rr = o.referenceRange?.[0];
  if (rr) {
    line.range = {};
    if (rr.low?.value !== undefined) line.range.low = rr.low.value;
    if (rr.high?.value !== undefined) line.range.high = rr.high.value;
    if (rr.text) line.range.text = rr.text;
  }
  if (o.effectiveDateTime) line.effective = o.effectiveDateTime;
  return line;
}

function idOf(ref: Reference | undefined, type: string): string | undefined {
  const r = ref?.reference;
  return r?.startsWith(`${type}/`) ? r.slice(type.length + 1) : undefined;
}

export interface InboxQuery {
  /** The clinician whose inbox it is; undefined lists every open result (the practice's inbox). */
  practitioner?: string;
  /** At most this many items (default 200). */
  limit?: number;
}

/** The open results, most urgent then newest first. */
export async function resultsInbox(repo: FhirRepository, query: InboxQuery = {}): Promise<InboxItem[]> {
  if (query.practitioner !== undefined && !ID.test(query.practitioner)) throw badRequest(`"${query.practitioner}" is not a Practitioner id`, 'practitioner');
  const q: Record<string, string | string[]> = {
    code: `${CHARTROOM_TASK_SYSTEM}|${REVIEW_RESULT}`,
    status: 'requested',
    _sort: '-authored-on',
    _include: 'Task:focus',
    '_include:iterate': 'DiagnosticReport:result',
  };
  if (query.practitioner !== undefined) q.owner = `Practitioner/${query.practitioner}`;
  const { matches, included } = await searchResources<Task>(repo, 'Task', q, query.limit ?? 200);
  const byRef = new Map<string, Resource>(included.map((r) => [`${r.resourceType}/${r.id}`, r]));
  const items: InboxItem[] = [];
  for (const task of matches) {
    const focusRef = task.focus?.reference ?? '';
    const focus = byRef.get(focusRef);
    if (!focus || (focus.resourceType !== 'DiagnosticReport' && focus.resourceType !== 'Observation')) continue;
    const observations =
      focus.resourceType === 'Observation'
        ? [focus]
        : ((focus.result ?? []).map((r) => byRef.get(r.reference ?? '')).filter((o): o is Observation => o?.resourceType === 'Observation'));
    const lines = observations.map(resultLine);
    lines.sort((a, b) => Number(isAbnormalFlag(b.flag)) - Number(isAbnormalFlag(a.flag)));
    const patientId = idOf(task.for, 'Patient') ?? '';
    const item: InboxItem = {
      id: focus.id as string,
      resultType: focus.resourceType,
      taskId: task.id as string,
      patient: { id: patientId, ...(task.for?.display ? { display: task.for.display } : {}) },
      title: focus.code.text ?? focus.code.coding?.[0]?.display ?? focus.code.coding?.[0]?.code ?? 'Result',
      critical: lines.some((l) => isCriticalFlag(l.flag)),
      priority: task.priority ?? 'routine',
      results: lines,
    };
    const owner = idOf(task.owner, 'Practitioner');
    if (owner) item.owner = { id: owner, ...(task.owner?.display ? { display: task.owner.display } : {}) };
    if (task.description) item.description = task.description;
    if (task.authoredOn) item.received = task.authoredOn;
    if (focus.issued) item.issued = focus.issued;
    if (focus.effectiveDateTime) item.effective = focus.effectiveDateTime;
    items.push(item);
  }
  items.sort((a, b) => Number(b.critical) - Number(a.critical) || (b.received ?? '').localeCompare(a.received ?? ''));
  return items;
}

export interface AcknowledgeResult {
  task: Task;
  provenance: Provenance;
}

/**
 * Acknowledges a result (its DiagnosticReport or Observation id): completes its review
 * task and records who and when in a Provenance, in one transaction. 404 when the result
 * has no review; 409 when it was already acknowledged (saying by whom and when).
 */
export async function acknowledgeResult(repo: FhirRepository, resultId: string, by: Acknowledger, options: { clock?: Clock; note?: string } = {}): Promise<AcknowledgeResult> {
  if (!ID.test(resultId)) throw badRequest(`"${resultId}" is not a result id`, 'id');
  if (by.practitionerId !== undefined && !ID.test(by.practitionerId)) throw badRequest(`"${by.practitionerId}" is not a Practitioner id`, 'practitioner');
  const now = new Date((options.clock ?? systemClock).now()).toISOString();
  return repo.withTransaction(async (tx) => {
    let task: Task | undefined;
    let focus: string | undefined;
    for (const type of ['DiagnosticReport', 'Observation'] as const) {
      const v = await tx.readCurrent('Task', reviewTaskId(`${type}/${resultId}`));
      if (v && !v.deleted) {
        task = JSON.parse(v.json) as Task;
        focus = `${type}/${resultId}`;
        break;
      }
    }
    if (!task || !focus) throw notFound(`Result ${resultId} is not in the results inbox (no review was opened for it)`);
    if (task.status === 'completed') {
      throw conflict(`Result ${resultId} was already acknowledged${task.executionPeriod?.end ? ` at ${task.executionPeriod.end}` : ''}${task.output?.[0]?.valueReference?.display ? ` by ${task.output[0].valueReference.display}` : ''}`);
    }
    const who: Reference<Practitioner> = by.practitionerId
      ? { reference: `Practitioner/${by.practitionerId}`, ...(by.display ? { display: by.display } : {}) }
      : { display: by.display ?? 'this node' };
    if (by.practitionerId) await tx.read('Practitioner', by.practitionerId);
    const done: Task = {
      ...task,
      status: 'completed',
      lastModified: now,
      executionPeriod: { ...task.executionPeriod, end: now },
      output: [{ type: { text: 'acknowledged-by' }, valueReference: who }],
    };
    if (options.note) done.note = [...(task.note ?? []), { text: options.note, time: now, ...(by.practitionerId ? { authorReference: { reference: `Practitioner/${by.practitionerId}` } } : {}) }];
    const saved = await tx.update(done);
    const provenance: Provenance = {
      resourceType: 'Provenance',
      target: [{ reference: `Task/${task.id}/_history/${saved.version.rev}` }, { reference: focus }],
      recorded: now,
      activity: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-DataOperation', code: 'UPDATE', display: 'revise' }], text: 'Result acknowledged' },
      agent: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/provenance-participant-type', code: 'verifier', display: 'Verifier' }] }, who }],
    };
    const p = await tx.create(provenance);
    return { task: JSON.parse(saved.version.json) as Task, provenance: JSON.parse(p.json) as Provenance };
  });
}

/** For callers that file results themselves: whether a report or observation needs review. */
export function needsReview(resource: DiagnosticReport | Observation, observations: Observation[]): boolean {
  if (resource.resourceType === 'Observation') return isAbnormalFlag(flagCodeOf(resource.interpretation));
  return observations.some((o) => isAbnormalFlag(flagCodeOf(o.interpretation)));
}
