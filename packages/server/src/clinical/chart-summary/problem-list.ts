/**
 * Adding to and resolving the problem list, coded from the shipped ICD-10-CM: a code not
 * in it is refused (400), so every problem Chartroom writes is a valid billable code.
 * See https://hl7.org/fhir/R4/condition.html
 */
import type { Condition, Patient } from '@medplum/fhirtypes';
import { badRequest, notFound, outcomeError, parseDateRange } from '@chartroom/core';
import type { FhirRepository } from '../../store/fhir-repository.js';
import type { Clock } from '../../store/clock.js';
import { systemClock } from '../../store/clock.js';
import { ICD10CM_SYSTEM, icd10cm } from '../terminology/icd10cm.js';
import { patientName } from '../patients/patient-facts.js';
import { localDay } from '../schedule/local-time.js';

/** The problem list of patients over one repository. */
export class ProblemList {
  constructor(
    private readonly repo: FhirRepository,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Adds an active problem coded in ICD-10-CM. */
  async add(patientId: string, input: { code?: unknown; onset?: unknown; note?: unknown }, recorder?: string): Promise<Condition> {
    if (typeof input !== 'object' || input === null) throw badRequest('The body must be an object with an ICD-10-CM code');
    if (typeof input.code !== 'string' || !input.code.trim()) throw badRequest('code is required: an ICD-10-CM code such as F32.1', 'code');
    const entry = icd10cm().lookup(input.code.trim());
    if (!entry) throw badRequest(`code "${input.code}" is not a valid ICD-10-CM (FY2026) code; search GET /api/terminology/icd10?q=`, 'code');
    if (input.onset !== undefined && (typeof input.onset !== 'string' || !parseDateRange(input.onset) || !/^\d{4}(-\d{2}(-\d{2})?)?$/.test(input.onset))) {
      throw badRequest('onset must be a date (YYYY, YYYY-MM or YYYY-MM-DD)', 'onset');
    }
    if (typeof input.onset === 'string' && (parseDateRange(input.onset)?.low ?? 0) > this.clock.now()) throw badRequest('onset is in the future', 'onset');
    if (input.note !== undefined && typeof input.note !== 'string') throw badRequest('note must be text', 'note');
    const pv = await this.repo.readCurrent('Patient', patientId);
    if (!pv || pv.deleted) throw notFound(`Patient/${patientId} not found`);
    const patient = JSON.parse(pv.json) as Patient;
    const condition: Condition = {
      resourceType: 'Condition',
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
      verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }] },
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-category', code: 'problem-list-item', display: 'Problem List Item' }] }],
      code: { coding: [{ system: ICD10CM_SYSTEM, version: '2026', code: entry.code, display: entry.display }], text: entry.display },
      subject: { reference: `Patient/${patientId}`, display: patientName(patient) },
      ...(typeof input.onset === 'string' ? { onsetDateTime: input.onset } : {}),
      recordedDate: localDay(new Date(this.clock.now())),
      ...(recorder ? { recorder: { reference: `Practitioner/${recorder}` } } : {}),
      ...(typeof input.note === 'string' && input.note.trim() ? { note: [{ text: input.note.trim() }] } : {}),
    };
    return JSON.parse((await this.repo.create(condition)).json) as Condition;
  }

  /** Marks a problem resolved (or inactive). */
  async resolve(conditionId: string, input: { status?: unknown }): Promise<Condition> {
    const status = input?.status ?? 'resolved';
    if (status !== 'resolved' && status !== 'inactive' && status !== 'remission') throw badRequest('status must be resolved, inactive or remission', 'status');
    const v = await this.repo.readCurrent('Condition', conditionId);
    if (!v || v.deleted) throw notFound(`Condition/${conditionId} not found`);
    const c = JSON.parse(v.json) as Condition;
    if (c.clinicalStatus?.coding?.[0]?.code === status) throw outcomeError('conflict', `Condition/${conditionId} is already ${status}`);
    const next: Condition = {
      ...c,
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: status }] },
      ...(status === 'resolved' ? { abatementDateTime: localDay(new Date(this.clock.now())) } : {}),
    };
    delete next.meta;
    return JSON.parse((await this.repo.update(next, { ifMatch: v.rev })).version.json) as Condition;
  }
}
