/**
 * Results that arrive as FHIR (an Observation, a DiagnosticReport with its Observations in
 * a Bundle): checked like HL7 results (patient exists, no impossible negative values),
 * completed with ranges, unit checks and flags where the sender gave none, stored
 * all-or-nothing, and put in the responsible clinician's inbox when abnormal.
 */
import { randomUUID } from 'node:crypto';
import type { Bundle, DiagnosticReport, Observation, Patient, Reference, Resource } from '@medplum/fhirtypes';
import { badRequest } from '@chartroom/core';
import type { FhirRepository } from '../../store/fhir-repository.js';
import type { Clock } from '../../store/clock.js';
import { systemClock } from '../../store/clock.js';
import { assessQuantity, refusesNegative } from './result-assessment.js';
import { flagCodeOf, interpretationOf, isAbnormalFlag, isCriticalFlag, isFlag } from './result-flags.js';
import { responsibleClinician, reviewTask } from './review-task.js';

export interface FhirIntakeResult {
  reports: string[];
  observations: string[];
  tasks: string[];
}

const CATEGORY_LAB = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory', display: 'Laboratory' }] };

function entriesOf(body: unknown): { resource: Resource; fullUrl?: string; where: string }[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('The body must be an Observation, a DiagnosticReport or a Bundle of them');
  const r = body as Resource;
  if (r.resourceType === 'Bundle') {
    const b = r as Bundle;
    if (!['collection', 'transaction', 'batch', 'message'].includes(b.type)) throw badRequest(`Bundle type "${b.type}" cannot carry results`, 'Bundle.type');
    const entries = (b.entry ?? []).map((e, i) => {
      if (!e.resource) throw badRequest(`entry[${i}] has no resource`, `Bundle.entry[${i}]`);
      return { resource: e.resource, ...(e.fullUrl ? { fullUrl: e.fullUrl } : {}), where: `Bundle.entry[${i}].resource` };
    });
    if (entries.length === 0) throw badRequest('The Bundle has no results', 'Bundle.entry');
    return entries;
  }
  return [{ resource: r, where: r.resourceType ?? 'resource' }];
}

function patientIdOf(ref: Reference | undefined, where: string): string {
  const m = /^Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(ref?.reference ?? '');
  if (!m?.[1]) throw badRequest(`${where}.subject must reference a Patient (Patient/<id>)`, `${where}.subject`);
  return m[1];
}

/** Files FHIR results (see the module comment); 400 for bad input, nothing stored. */
export async function fileFhirResults(repo: FhirRepository, body: unknown, options: { clock?: Clock; newId?: () => string } = {}): Promise<FhirIntakeResult> {
  const newId = options.newId ?? randomUUID;
  const now = new Date((options.clock ?? systemClock).now()).toISOString();
  const entries = entriesOf(body);
  const ids = new Map<string, string>();
  const patients = new Map<string, Patient>();
  for (const e of entries) {
    if (e.resource.resourceType !== 'Observation' && e.resource.resourceType !== 'DiagnosticReport') {
      throw badRequest(`${e.where}: only Observation and DiagnosticReport resources are results (got ${e.resource.resourceType})`, e.where);
    }
    const id = newId();
    if (e.fullUrl) ids.set(e.fullUrl, id);
    ids.set(`${e.resource.resourceType}/${e.resource.id ?? id}`, id);
    e.resource = { ...e.resource, id } as Resource;
    const pid = patientIdOf((e.resource as Observation | DiagnosticReport).subject, e.where);
    if (!patients.has(pid)) {
      const v = await repo.readCurrent('Patient', pid);
      if (!v || v.deleted) throw badRequest(`${e.where}.subject: Patient/${pid} does not exist`, `${e.where}.subject`);
      patients.set(pid, JSON.parse(v.json) as Patient);
    }
  }
  const observations = new Map<string, Observation>();
  const reports: DiagnosticReport[] = [];
  for (const e of entries) {
    if (e.resource.resourceType === 'Observation') {
      const o = e.resource as Observation;
      const loinc = o.code?.coding?.find((c) => c.system === 'http://loinc.org')?.code;
      const q = o.valueQuantity;
      if (q?.value !== undefined) {
        if (q.value < 0 && refusesNegative(loinc)) throw badRequest(`${e.where}.valueQuantity.value: negative value ${q.value} for LOINC ${loinc ?? ''}, which cannot be below zero`, `${e.where}.valueQuantity.value`);
        const given = o.referenceRange?.[0];
        const flag = flagCodeOf(o.interpretation);
        const a = assessQuantity({
          value: q.value,
          unit: q.code ?? q.unit ?? '',
          ...(loinc ? { loinc } : {}),
          ...(given && (given.low || given.high) ? { range: { ...(given.low?.value !== undefined ? { low: given.low.value } : {}), ...(given.high?.value !== undefined ? { high: given.high.value } : {}) } } : {}),
          ...(flag && isFlag(flag) ? { flag } : {}),
        });
        if (!o.referenceRange && a.referenceRange) o.referenceRange = a.referenceRange;
        if (a.flag && a.flag !== flag) o.interpretation = interpretationOf(a.flag);
        if (a.notes.length) o.note = [...(o.note ?? []), ...a.notes.map((text) => ({ text }))];
      }
      o.category ??= [CATEGORY_LAB];
      observations.set(o.id as string, o);
    } else {
      const r = e.resource as DiagnosticReport;
      r.result = (r.result ?? []).map((ref, i) => {
        const target = ids.get(ref.reference ?? '');
        if (!target) throw badRequest(`${e.where}.result[${i}]: ${ref.reference ?? '(no reference)'} is not an Observation of this Bundle`, `${e.where}.result[${i}]`);
        return { ...ref, reference: `Observation/${target}` };
      });
      reports.push(r);
    }
  }
  const inReport = new Set(reports.flatMap((r) => (r.result ?? []).map((x) => x.reference)));
  const tasks: Resource[] = [];
  const open = (focus: Observation | DiagnosticReport, members: Observation[]): void => {
    const abnormal = members.filter((o) => isAbnormalFlag(flagCodeOf(o.interpretation)));
    if (abnormal.length === 0) return;
    const pid = patientIdOf(focus.subject, focus.resourceType);
    const patient = patients.get(pid) as Patient;
    const owner = responsibleClinician(patient);
    const title = focus.code.text ?? focus.code.coding?.[0]?.display ?? focus.code.coding?.[0]?.code ?? 'Result';
    const critical = abnormal.some((o) => isCriticalFlag(flagCodeOf(o.interpretation)));
    tasks.push(
      reviewTask({
        focus: `${focus.resourceType}/${focus.id}`,
        focusDisplay: title,
        patient: pid,
        critical,
        authoredOn: now,
        description: `${critical ? 'CRITICAL: ' : ''}${title}: ${abnormal.map((o) => `${o.code.text ?? o.code.coding?.[0]?.code} ${o.valueQuantity?.value ?? ''} ${o.valueQuantity?.unit ?? ''} (${flagCodeOf(o.interpretation)})`).join(', ')}`,
        ...(owner ? { owner } : {}),
      }),
    );
  };
  for (const r of reports) open(r, (r.result ?? []).map((x) => observations.get((x.reference ?? '').slice('Observation/'.length))).filter((o): o is Observation => !!o));
  for (const o of observations.values()) if (!inReport.has(`Observation/${o.id}`)) open(o, [o]);
  await repo.importMany([...observations.values(), ...reports, ...tasks]);
  return { reports: reports.map((r) => r.id as string), observations: [...observations.keys()], tasks: tasks.map((t) => t.id as string) };
}
