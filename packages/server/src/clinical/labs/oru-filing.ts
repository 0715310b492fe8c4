/**
 * Files HL7 v2 ORU^R01 results into the chart: each message becomes DiagnosticReports (one
 * per OBR) and Observations (one per OBX) for the patient found by MRN (PID-3), with ranges,
 * unit checks and flags (result-assessment.ts), and a review task for the responsible
 * clinician when anything is abnormal.
 *
 * All-or-nothing per message: a message with any segment error stores nothing and is
 * answered with the list of errors; the other messages of a file are filed on their own.
 * Ids are derived from the sender and the filler order number, so a message sent twice is
 * recognised (same control id: a duplicate, nothing written) and a correction (same order,
 * new control id) writes new versions of the same resources and reopens the review.
 */
import { createHash } from 'node:crypto';
import type { CodeableConcept, DiagnosticReport, Observation, Patient, Practitioner, Reference, Resource } from '@medplum/fhirtypes';
import type { FhirRepository } from '../../store/fhir-repository.js';
import type { Clock } from '../../store/clock.js';
import { systemClock } from '../../store/clock.js';
import { normalizeString } from '@chartroom/core';
import { parseOru, splitHl7Messages } from './hl7-oru.js';
import type { CodedValue, Hl7SegmentError, OruMessage, OruObservation, OruOrder } from './hl7-oru.js';
import { assessQuantity, refusesNegative, ucumQuantity } from './result-assessment.js';
import { interpretationOf, isAbnormalFlag, isCriticalFlag } from './result-flags.js';
import { escapeSearchValue, searchResources } from './search-resources.js';
import { responsibleClinician, reviewTask } from './review-task.js';

const IDENTIFIER_ORDER = 'urn:chartroom:hl7v2:filler-order';
const IDENTIFIER_MESSAGE = 'urn:chartroom:hl7v2:message-control-id';
const CATEGORY_LAB: CodeableConcept = {
  coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory', display: 'Laboratory' }],
};
const REPORT_CATEGORY_LAB: CodeableConcept = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'LAB', display: 'Laboratory' }] };

const OBSERVATION_STATUS: Record<string, Observation['status']> = {
  F: 'final',
  C: 'corrected',
  P: 'preliminary',
  R: 'preliminary',
  I: 'registered',
  S: 'preliminary',
  X: 'cancelled',
  W: 'entered-in-error',
  D: 'entered-in-error',
  U: 'final',
  O: 'registered',
  A: 'amended',
  N: 'unknown',
};
const REPORT_STATUS: Record<string, DiagnosticReport['status']> = {
  F: 'final',
  C: 'corrected',
  P: 'preliminary',
  R: 'preliminary',
  I: 'registered',
  S: 'partial',
  X: 'cancelled',
  A: 'partial',
  O: 'registered',
  W: 'entered-in-error',
  D: 'entered-in-error',
  U: 'final',
  N: 'unknown',
};

/** What became of one message. */
export interface OruFiling {
  status: 'filed' | 'duplicate' | 'rejected';
  controlId?: string;
  /** Line of the file the message starts on (file imports). */
  line?: number;
  errors: Hl7SegmentError[];
  patient?: string;
  reports: string[];
  observations: string[];
  /** Resources written, by type. */
  written: Record<string, number>;
  /** The review task opened (abnormal results only). */
  task?: string;
  /** The parsed message, for the ACK. */
  parsed?: ReturnType<typeof parseOru>;
}

export interface OruFilingOptions {
  clock?: Clock;
  /** Time zone of HL7 date/times without an offset (`-0500`); default the node's. */
  tzOffset?: string;
}

/** The node's UTC offset now, as HL7 writes it (`-0500`). */
export function localTzOffset(at = new Date()): string {
  const off = -at.getTimezoneOffset();
  const a = Math.abs(off);
  return `${off >= 0 ? '+' : '-'}${String(Math.floor(a / 60)).padStart(2, '0')}${String(a % 60).padStart(2, '0')}`;
}

function hashId(prefix: string, key: string): string {
  return `${prefix}-${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
}

function concept(c: CodedValue): CodeableConcept {
  const cc: CodeableConcept = { coding: [{ code: c.code, ...(c.system ? { system: c.system } : {}), ...(c.display ? { display: c.display } : {}) }] };
  if (c.display) cc.text = c.display;
  return cc;
}

function nameOf(p: Patient): string {
  const n = p.name?.[0];
  return n?.text ?? [n?.given?.join(' '), n?.family].filter(Boolean).join(' ');
}

/** Finds the one patient with one of the PID-3 identifiers; errors name PID-3 or PID-5. */
async function findPatient(repo: FhirRepository, msg: OruMessage, pidPosition: number): Promise<{ patient: Patient } | { error: Hl7SegmentError }> {
  const found = new Map<string, Patient>();
  for (const id of msg.patient.identifiers) {
    const { matches } = await searchResources<Patient>(repo, 'Patient', { identifier: escapeSearchValue(id.value) }, 10);
    for (const p of matches) if (p.id) found.set(p.id, p);
  }
  const ids = msg.patient.identifiers.map((i) => i.value).join(', ');
  if (found.size === 0) {
    return { error: { segment: 'PID', position: pidPosition, field: 'PID-3', message: `no patient has the identifier ${ids}; nothing was filed`, code: '204' } };
  }
  if (found.size > 1) {
    return { error: { segment: 'PID', position: pidPosition, field: 'PID-3', message: `the identifier ${ids} matches ${found.size} patients; nothing was filed`, code: '204' } };
  }
  const patient = [...found.values()][0] as Patient;
  const family = msg.patient.family;
  if (family) {
    const want = normalizeString(family);
    const known = (patient.name ?? []).map((n) => normalizeString(n.family ?? ''));
    if (!known.includes(want)) {
      return {
        error: {
          segment: 'PID',
          position: pidPosition,
          field: 'PID-5',
          message: `the name "${family}" does not match the family name of the patient with identifier ${ids} (${nameOf(patient)}); nothing was filed`,
          code: '204',
        },
      };
    }
  }
  return { patient };
}

/** The ordering clinician, by identifier (NPI), or undefined. */
async function findPractitioner(repo: FhirRepository, order: OruOrder): Promise<Reference<Practitioner> | undefined> {
  const id = order.orderingProvider?.id;
  if (!id) return undefined;
  const { matches } = await searchResources<Practitioner>(repo, 'Practitioner', { identifier: escapeSearchValue(id) }, 2);
  const p = matches.length === 1 ? matches[0] : undefined;
  if (!p?.id) return undefined;
  const n = p.name?.[0];
  const display = n?.text ?? [n?.given?.join(' '), n?.family].filter(Boolean).join(' ');
  return { reference: `Practitioner/${p.id}`, ...(display ? { display } : {}) };
}

function observationOf(
  obx: OruObservation,
  ctx: { id: string; patient: Reference<Patient>; order: OruOrder; msg: OruMessage; issued: string | undefined; basedOnNotes: string[] },
): { obs: Observation; error?: Hl7SegmentError } {
  const obs: Observation = {
    resourceType: 'Observation',
    id: ctx.id,
    identifier: [{ system: IDENTIFIER_ORDER, value: `${ctx.msg.sendingFacility}|${ctx.order.fillerId || ctx.order.placerId}|${obx.setId}` }],
    status: OBSERVATION_STATUS[obx.status] ?? 'unknown',
    category: [CATEGORY_LAB],
    code: concept(obx.code),
    subject: ctx.patient,
  };
  if (obx.loinc && obx.code.system !== 'http://loinc.org') obs.code.coding?.push({ system: 'http://loinc.org', code: obx.loinc });
  const effective = obx.effective ?? ctx.order.effective;
  if (effective) obs.effectiveDateTime = effective;
  if (ctx.issued) obs.issued = ctx.issued;
  if (ctx.msg.sendingFacility) obs.performer = [{ display: ctx.msg.sendingFacility }];
  const notes = [...obx.notes];
  const v = obx.value;
  if (v?.kind === 'number') {
    if (v.value < 0 && refusesNegative(obx.loinc)) {
      return {
        obs,
        error: { segment: 'OBX', position: obx.position, field: 'OBX-5', message: `negative value ${v.value} for LOINC ${obx.loinc ?? ''}, which cannot be below zero`, code: '102' },
      };
    }
    obs.valueQuantity = ucumQuantity(v.value, obx.unit);
    if (v.comparator) obs.valueQuantity.comparator = v.comparator;
    const a = assessQuantity({ value: v.value, unit: obx.unit, ...(obx.loinc ? { loinc: obx.loinc } : {}), ...(obx.range ? { range: obx.range } : {}), ...(obx.flag ? { flag: obx.flag } : {}) });
    if (a.referenceRange) obs.referenceRange = a.referenceRange;
    if (a.flag) obs.interpretation = interpretationOf(a.flag);
    notes.push(...a.notes);
  } else {
    if (v?.kind === 'string') obs.valueString = v.value;
    if (v?.kind === 'coded') obs.valueCodeableConcept = concept(v.value);
    if (obx.flag) obs.interpretation = interpretationOf(obx.flag);
    if (obx.range?.text) obs.referenceRange = [{ text: obx.range.text }];
  }
  if (notes.length) obs.note = notes.map((text) => ({ text }));
  return { obs };
}

/**
 * Files one ORU^R01 message (see the module comment). Never throws for bad input: the
 * result says what was wrong, segment by segment.
 */
export async function fileOruMessage(repo: FhirRepository, text: string, options: OruFilingOptions = {}): Promise<OruFiling> {
  const clock = options.clock ?? systemClock;
  const parsed = parseOru(text, { tzOffset: options.tzOffset ?? localTzOffset() });
  const base: OruFiling = { status: 'rejected', errors: parsed.errors, reports: [], observations: [], written: {}, parsed, ...(parsed.controlId ? { controlId: parsed.controlId } : {}) };
  const msg = parsed.message;
  if (!msg) return base;
  const pidPosition = (parsed.hl7?.segments.findIndex((s) => s.name === 'PID') ?? 0) + 1;
  const who = await findPatient(repo, msg, pidPosition);
  if ('error' in who) return { ...base, errors: [who.error] };
  const patient = who.patient;
  const patientId = patient.id as string;
  const patientRef: Reference<Patient> = { reference: `Patient/${patientId}`, display: nameOf(patient) };
  const now = new Date(clock.now()).toISOString();

  const resources: Resource[] = [];
  const errors: Hl7SegmentError[] = [];
  const reports: { report: DiagnosticReport; abnormal: Observation[]; critical: boolean; owner?: Reference<Practitioner> }[] = [];
  let duplicates = 0;
  for (const order of msg.orders) {
    const orderKey = order.fillerId || order.placerId || `${msg.controlId}-${order.setId}`;
    const reportId = hashId('lab', `${msg.sendingFacility}|${orderKey}`);
    const existing = await repo.readCurrent('DiagnosticReport', reportId);
    if (existing && !existing.deleted) {
      const prev = JSON.parse(existing.json) as DiagnosticReport;
      if (prev.identifier?.some((i) => i.system === IDENTIFIER_MESSAGE && i.value === `${msg.sendingFacility}|${msg.controlId}`)) {
        duplicates++;
        continue;
      }
    }
    const issued = order.issued ?? msg.sent;
    const observations: Observation[] = [];
    for (const obx of order.observations) {
      const id = hashId('lab', `${msg.sendingFacility}|${orderKey}|${obx.setId || obx.position}|${obx.code.code}`);
      const r = observationOf(obx, { id, patient: patientRef, order, msg, issued, basedOnNotes: order.notes });
      if (r.error) errors.push(r.error);
      observations.push(r.obs);
    }
    const report: DiagnosticReport = {
      resourceType: 'DiagnosticReport',
      id: reportId,
      identifier: [
        { system: IDENTIFIER_ORDER, value: `${msg.sendingFacility}|${orderKey}` },
        { system: IDENTIFIER_MESSAGE, value: `${msg.sendingFacility}|${msg.controlId}` },
      ],
      status: REPORT_STATUS[order.status] ?? 'unknown',
      category: [REPORT_CATEGORY_LAB],
      code: concept(order.code),
      subject: patientRef,
      result: observations.map((o) => ({ reference: `Observation/${o.id}`, ...(o.code.text ? { display: o.code.text } : {}) })),
    };
    const effective = order.effective ?? observations.find((o) => o.effectiveDateTime)?.effectiveDateTime;
    if (effective) report.effectiveDateTime = effective;
    if (issued) report.issued = issued;
    if (msg.sendingFacility) report.performer = [{ display: msg.sendingFacility }];
    if (order.notes.length) report.conclusion = order.notes.join('\n');
    resources.push(...observations, report);
    const abnormal = observations.filter((o) => isAbnormalFlag(o.interpretation?.[0]?.coding?.[0]?.code));
    const critical = abnormal.some((o) => isCriticalFlag(o.interpretation?.[0]?.coding?.[0]?.code));
    const owner = (await findPractitioner(repo, order)) ?? responsibleClinician(patient);
    reports.push({ report, abnormal, critical, ...(owner ? { owner } : {}) });
  }
  if (errors.length) return { ...base, errors };
  if (resources.length === 0 && duplicates > 0) return { ...base, status: 'duplicate', errors: [], patient: patientId };

  let task: string | undefined;
  for (const r of reports) {
    if (r.abnormal.length === 0) continue;
    const title = r.report.code.text ?? r.report.code.coding?.[0]?.display ?? r.report.code.coding?.[0]?.code ?? 'Result';
    const what = r.abnormal.map((o) => `${o.code.text ?? o.code.coding?.[0]?.code} ${o.valueQuantity?.value ?? o.valueString ?? ''}${o.valueQuantity?.unit ? ` ${o.valueQuantity.unit}` : ''} (${o.interpretation?.[0]?.coding?.[0]?.code})`);
    const t = reviewTask({
      focus: `DiagnosticReport/${r.report.id}`,
      focusDisplay: title,
      patient: patientId,
      patientDisplay: patientRef.display,
      critical: r.critical,
      authoredOn: now,
      description: `${r.critical ? 'CRITICAL: ' : ''}${title}: ${what.join(', ')}`,
      ...(r.owner ? { owner: r.owner } : {}),
    });
    resources.push(t);
    task ??= t.id;
  }
  // One all-or-nothing write for the whole message.
  await repo.importMany(resources);
  const written: Record<string, number> = {};
  for (const r of resources) written[r.resourceType] = (written[r.resourceType] ?? 0) + 1;
  return {
    ...base,
    status: 'filed',
    errors: [],
    patient: patientId,
    reports: reports.map((r) => r.report.id as string),
    observations: resources.filter((r) => r.resourceType === 'Observation').map((r) => r.id as string),
    written,
    ...(task ? { task } : {}),
  };
}

/** What became of each message of a `.hl7` file. */
export interface Hl7FileFiling {
  messages: OruFiling[];
  /** Problems outside any message (text before the first MSH). */
  fileErrors: { line: number; message: string }[];
}

/** Messages of one file filed at once: their writes share commits (one disk flush for many). */
const FILING_WINDOW = 16;

/** The DiagnosticReport ids a message would write (none when it does not parse). */
function reportIdsOf(text: string, options: OruFilingOptions): string[] {
  const msg = parseOru(text, { tzOffset: options.tzOffset ?? localTzOffset() }).message;
  if (!msg) return [];
  return msg.orders.map((order) => hashId('lab', `${msg.sendingFacility}|${order.fillerId || order.placerId || `${msg.controlId}-${order.setId}`}`));
}

/**
 * Files every message of a `.hl7` file, each on its own (all-or-nothing per message). Up to
 * {@link FILING_WINDOW} messages are filed at once, so their writes join one group commit
 * instead of waiting for a disk flush each; a message naming an order (report) that an
 * earlier message still being filed also names waits for it, so corrections and repeats of
 * one order are filed in file order as before. A store failure stops the file: the messages
 * already started finish, no new one starts, and the error is raised.
 */
export async function fileHl7Text(repo: FhirRepository, text: string, options: OruFilingOptions = {}): Promise<Hl7FileFiling> {
  const { messages, errors } = splitHl7Messages(text);
  const out: OruFiling[] = new Array<OruFiling>(messages.length);
  const byReport = new Map<string, Promise<void>>();
  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  for (const [i, m] of messages.entries()) {
    const reports = reportIdsOf(m.text, options);
    await Promise.all(reports.map((r) => byReport.get(r)));
    while (running.size >= FILING_WINDOW) await Promise.race(running);
    if (failure) break;
    const filing: Promise<void> = fileOruMessage(repo, m.text, options)
      .then(
        ({ parsed: _parsed, ...f }) => {
          out[i] = { ...f, line: m.line };
        },
        (error: unknown) => {
          failure ??= { error };
        },
      )
      .finally(() => {
        running.delete(filing);
        for (const r of reports) if (byReport.get(r) === filing) byReport.delete(r);
      });
    running.add(filing);
    for (const r of reports) byReport.set(r, filing);
  }
  await Promise.all(running);
  if (failure) throw failure.error;
  if (messages.length === 0 && errors.length === 0) errors.push({ line: 1, message: 'no HL7 v2 message (no MSH segment) in the file' });
  return { messages: out, fileErrors: errors };
}
