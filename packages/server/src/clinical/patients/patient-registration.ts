/**
 * Registration and demographics, transport-free. A new patient who looks like one already
 * registered (same birth date with a similar name, or the same phone number) is refused
 * with a 409 listing the candidates (as contained Patients and one issue each) unless the
 * caller confirms with `confirmDuplicate: true`. Edits are new versions of the Patient, so
 * the history keeps every earlier demographic. Coverage, contacts, preferred pharmacy and
 * preferred language are part of the same form. See https://hl7.org/fhir/R4/patient.html
 */
import { randomBytes } from 'node:crypto';
import type { Coverage, Patient, Resource } from '@medplum/fhirtypes';
import { OutcomeError, badRequest, normalizeString, notFound, parseDateRange } from '@chartroom/core';
import type { FhirRepository } from '../../store/fhir-repository.js';
import type { Clock } from '../../store/clock.js';
import { systemClock } from '../../store/clock.js';
import { lockFor } from '../../fhir/keyed-lock.js';
import { patientMrn, patientName } from './patient-facts.js';
import { loadByKeys, patientKeysByBirthDate, patientKeysByPhone, phoneDigits } from './patient-search.js';

/** Chartroom's MRN system for patients registered here. */
export const CHARTROOM_MRN_SYSTEM = 'https://chartroom.dev/fhir/mrn';
export const PREFERRED_PHARMACY_URL = 'https://chartroom.dev/fhir/StructureDefinition/preferred-pharmacy';
const GENDERS = ['male', 'female', 'other', 'unknown'] as const;

/** The registration form. */
export interface RegistrationInput {
  family?: unknown;
  given?: unknown;
  birthDate?: unknown;
  gender?: unknown;
  phone?: unknown;
  email?: unknown;
  address?: { line?: unknown; city?: unknown; state?: unknown; postalCode?: unknown };
  /** BCP-47 code (e.g. `es`) with an optional display. */
  language?: { code?: unknown; display?: unknown } | string;
  contacts?: { name?: unknown; relationship?: unknown; phone?: unknown }[];
  preferredPharmacy?: { organization?: unknown; name?: unknown; phone?: unknown };
  coverage?: { payor?: unknown; payorName?: unknown; memberId?: unknown; plan?: unknown; copay?: unknown };
  mrn?: unknown;
  confirmDuplicate?: unknown;
}

/** A registered patient who may be the same person. */
export interface DuplicateCandidate {
  patient: Patient;
  reasons: string[];
}

function text(v: unknown, field: string, opts: { required?: boolean; max?: number } = {}): string | undefined {
  if (v === undefined || v === null || (typeof v === 'string' && !v.trim())) {
    if (opts.required) throw badRequest(`${field} is required`, field);
    return undefined;
  }
  if (typeof v !== 'string') throw badRequest(`${field} must be text`, field);
  if (v.length > (opts.max ?? 200)) throw badRequest(`${field} is at most ${opts.max ?? 200} characters`, field);
  return v.trim();
}

function phone(v: unknown, field: string): string | undefined {
  const p = text(v, field, { max: 40 });
  if (p !== undefined && (phoneDigits(p).length < 7 || !/^[+\d\s().-]+$/.test(p))) throw badRequest(`${field} must be a phone number (at least 7 digits)`, field);
  return p;
}

/** Edit distance, for "similar name" (small strings only). */
function distance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0] as number;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j] as number;
      dp[j] = Math.min((dp[j] as number) + 1, (dp[j - 1] as number) + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length] as number;
}

function similar(a: string, b: string): boolean {
  if (!a || !b) return false;
  if (a === b || a.startsWith(b) || b.startsWith(a)) return true;
  return distance(a, b) <= (Math.min(a.length, b.length) <= 4 ? 1 : 2);
}

/** True when two names look like the same person's (family and first given similar, or swapped). */
export function similarNames(a: { family: string; given: string }, b: { family: string; given: string }): boolean {
  const [af, ag, bf, bg] = [a.family, a.given, b.family, b.given].map((x) => normalizeString(x).replace(/[^a-z0-9 ]/g, ''));
  const firstOf = (g: string | undefined): string => (g ?? '').split(' ')[0] ?? '';
  const [ag1, bg1] = [firstOf(ag), firstOf(bg)];
  return (similar(af ?? '', bf ?? '') && similar(ag1, bg1)) || (similar(af ?? '', bg1) && similar(ag1, bf ?? ''));
}

/** Registration, duplicate checks and demographic edits over one repository. */
export class PatientRegistration {
  constructor(
    private readonly repo: FhirRepository,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Builds the Patient (and Coverage) a form describes; a 400 naming the first bad field. */
  buildPatient(input: RegistrationInput, base: Patient = { resourceType: 'Patient' }): { patient: Patient; coverage: Omit<Coverage, 'beneficiary'> | undefined } {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) throw badRequest('The body must be an object (family, given, birthDate, …)');
    const family = text(input.family, 'family', { required: true }) as string;
    const givenList = Array.isArray(input.given) ? input.given : [input.given];
    const given = givenList.map((g, i) => text(g, `given${Array.isArray(input.given) ? `[${i}]` : ''}`, { required: i === 0 })).filter((g): g is string => !!g);
    const birthDate = text(input.birthDate, 'birthDate', { required: true }) as string;
    const range = /^\d{4}-\d{2}-\d{2}$/.test(birthDate) ? parseDateRange(birthDate) : undefined;
    if (!range) throw badRequest(`birthDate must be a date YYYY-MM-DD; got ${JSON.stringify(birthDate)}`, 'birthDate');
    if (range.low > this.clock.now()) throw badRequest('birthDate is in the future', 'birthDate');
    if (range.low < Date.UTC(1880, 0, 1)) throw badRequest('birthDate is before 1880', 'birthDate');
    const gender = text(input.gender, 'gender');
    if (gender !== undefined && !GENDERS.includes(gender as (typeof GENDERS)[number])) throw badRequest(`gender must be one of ${GENDERS.join(', ')}`, 'gender');
    const tel = phone(input.phone, 'phone');
    const email = text(input.email, 'email');
    if (email !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) throw badRequest('email must be an e-mail address', 'email');
    const patient: Patient = { ...base, resourceType: 'Patient', active: base.active ?? true };
    const otherNames = (base.name ?? []).filter((n) => n.use !== 'official' && base.name?.[0] !== n);
    patient.name = [{ use: 'official', family, given }, ...otherNames];
    patient.birthDate = birthDate;
    if (gender) patient.gender = gender as Patient['gender'];
    else delete patient.gender;
    const telecom = (base.telecom ?? []).filter((t) => t.system !== 'phone' && t.system !== 'email');
    if (tel) telecom.unshift({ system: 'phone', value: tel, use: 'mobile' });
    if (email) telecom.push({ system: 'email', value: email, use: 'home' });
    if (telecom.length) patient.telecom = telecom;
    else delete patient.telecom;
    if (input.address !== undefined) {
      const a = input.address ?? {};
      const line = text(a.line, 'address.line');
      const address = { use: 'home' as const, ...(line ? { line: [line] } : {}), city: text(a.city, 'address.city'), state: text(a.state, 'address.state'), postalCode: text(a.postalCode, 'address.postalCode') };
      patient.address = [Object.fromEntries(Object.entries(address).filter(([, v]) => v !== undefined))];
    }
    if (input.language !== undefined) {
      const l = typeof input.language === 'string' ? { code: input.language } : (input.language ?? {});
      const code = text(l.code, 'language.code', { required: true, max: 35 }) as string;
      if (!/^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})*$/.test(code)) throw badRequest('language.code must be a BCP-47 language tag such as es or pt-BR', 'language.code');
      const display = text(l.display, 'language.display');
      patient.communication = [{ language: { coding: [{ system: 'urn:ietf:bcp:47', code, ...(display ? { display } : {}) }], ...(display ? { text: display } : {}) }, preferred: true }];
    }
    if (input.contacts !== undefined) {
      if (!Array.isArray(input.contacts)) throw badRequest('contacts must be a list', 'contacts');
      patient.contact = input.contacts.map((c, i) => {
        const name = text(c?.name, `contacts[${i}].name`, { required: true }) as string;
        const rel = text(c?.relationship, `contacts[${i}].relationship`);
        const cp = phone(c?.phone, `contacts[${i}].phone`);
        return { name: { text: name }, ...(rel ? { relationship: [{ text: rel }] } : {}), ...(cp ? { telecom: [{ system: 'phone' as const, value: cp }] } : {}) };
      });
    }
    const extension = (base.extension ?? []).filter((e) => e.url !== PREFERRED_PHARMACY_URL);
    if (input.preferredPharmacy !== undefined) {
      const ph = input.preferredPharmacy ?? {};
      const org = text(ph.organization, 'preferredPharmacy.organization');
      const name = text(ph.name, 'preferredPharmacy.name');
      if (!org && !name) throw badRequest('preferredPharmacy needs an organization id or a name', 'preferredPharmacy');
      if (org && !/^[A-Za-z0-9\-.]{1,64}$/.test(org.replace(/^Organization\//, ''))) throw badRequest('preferredPharmacy.organization must be an Organization id', 'preferredPharmacy.organization');
      extension.push({ url: PREFERRED_PHARMACY_URL, valueReference: { ...(org ? { reference: `Organization/${org.replace(/^Organization\//, '')}` } : {}), ...(name ? { display: name } : {}) } });
    }
    if (extension.length) patient.extension = extension;
    else delete patient.extension;
    const mrn = text(input.mrn, 'mrn', { max: 64 });
    if (mrn) {
      const others = (patient.identifier ?? []).filter((i) => !i.type?.coding?.some((c) => c.code === 'MR'));
      patient.identifier = [{ use: 'usual', type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }], text: 'MRN' }, system: CHARTROOM_MRN_SYSTEM, value: mrn }, ...others];
    }
    let coverage: Omit<Coverage, 'beneficiary'> | undefined;
    if (input.coverage !== undefined) coverage = this.buildCoverage(input.coverage ?? {});
    return { patient, coverage };
  }

  private buildCoverage(c: NonNullable<RegistrationInput['coverage']>): Omit<Coverage, 'beneficiary'> {
    const payorId = text(c.payor, 'coverage.payor');
    const payorName = text(c.payorName, 'coverage.payorName');
    if (!payorId && !payorName) throw badRequest('coverage needs payor (an Organization id) or payorName', 'coverage.payor');
    const memberId = text(c.memberId, 'coverage.memberId', { required: true, max: 64 }) as string;
    const plan = text(c.plan, 'coverage.plan');
    if (c.copay !== undefined && (typeof c.copay !== 'number' || !Number.isFinite(c.copay) || c.copay < 0 || c.copay > 10_000)) {
      throw badRequest('coverage.copay must be an amount from 0 to 10000', 'coverage.copay');
    }
    return {
      resourceType: 'Coverage',
      status: 'active',
      subscriberId: memberId,
      identifier: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MB', display: 'Member Number' }] }, value: memberId }],
      relationship: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/subscriber-relationship', code: 'self' }] },
      payor: [{ ...(payorId ? { reference: `Organization/${payorId.replace(/^Organization\//, '')}` } : {}), ...(payorName ? { display: payorName } : {}) }],
      ...(plan ? { class: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/coverage-class', code: 'plan' }] }, value: plan.replace(/\W+/g, '-').toUpperCase(), name: plan }] } : {}),
      ...(typeof c.copay === 'number'
        ? { costToBeneficiary: [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/coverage-copay-type', code: 'copay' }] }, valueMoney: { value: c.copay, currency: 'USD' } }] }
        : {}),
    };
  }

  /** Registered patients who may be the person described (same birth date and similar name, or same phone). */
  async duplicates(p: Patient, excludeId?: string): Promise<DuplicateCandidate[]> {
    const found = new Map<string, DuplicateCandidate>();
    const add = (patient: Patient, reason: string): void => {
      if (!patient.id || patient.id === excludeId || patient.active === false) return;
      const c = found.get(patient.id) ?? { patient, reasons: [] };
      if (!c.reasons.includes(reason)) c.reasons.push(reason);
      found.set(patient.id, c);
    };
    const n = p.name?.[0];
    const me = { family: n?.family ?? '', given: n?.given?.join(' ') ?? '' };
    const range = p.birthDate ? parseDateRange(p.birthDate) : undefined;
    if (range) {
      for (const other of await this.load(await patientKeysByBirthDate(this.repo, range, 200))) {
        const on = other.name?.[0];
        if (on && similarNames(me, { family: on.family ?? '', given: on.given?.join(' ') ?? '' })) add(other, 'same birth date and similar name');
      }
    }
    for (const t of p.telecom ?? []) {
      if (t.system !== 'phone' || !t.value) continue;
      const digits = phoneDigits(t.value);
      if (digits.length < 7) continue;
      for (const other of await this.load(await patientKeysByPhone(this.repo, digits, 50, true))) add(other, 'same phone number');
    }
    return [...found.values()];
  }

  private async load(rks: number[]): Promise<Patient[]> {
    if (!rks.length) return [];
    return loadByKeys(this.repo, rks);
  }

  private duplicateOutcome(candidates: DuplicateCandidate[]): OutcomeError {
    return new OutcomeError('conflict', {
      resourceType: 'OperationOutcome',
      contained: candidates.map((c) => c.patient) as Resource[],
      issue: candidates.map((c) => ({
        severity: 'error',
        code: 'duplicate',
        details: { coding: [{ system: 'https://chartroom.dev/fhir/CodeSystem/registration', code: 'possible-duplicate' }], text: c.reasons.join('; ') },
        diagnostics: `Possible duplicate of Patient/${c.patient.id ?? ''}: ${patientName(c.patient)}, born ${c.patient.birthDate ?? '?'}${patientMrn(c.patient) ? `, MRN ${patientMrn(c.patient) ?? ''}` : ''} (${c.reasons.join('; ')}). Send confirmDuplicate: true to register anyway.`,
        expression: [`Patient/${c.patient.id ?? ''}`],
      })),
    });
  }

  /** Registers a patient (with coverage); 409 with the candidates when it may be a duplicate. */
  async register(input: RegistrationInput): Promise<{ patient: Patient; coverage: Coverage | undefined; duplicatesConfirmed: string[] }> {
    const { patient, coverage } = this.buildPatient(input);
    if (input.confirmDuplicate !== undefined && typeof input.confirmDuplicate !== 'boolean') throw badRequest('confirmDuplicate must be true or false', 'confirmDuplicate');
    return lockFor(this.repo).run(['patient-registration'], async () => {
      const candidates = await this.duplicates(patient);
      if (candidates.length && input.confirmDuplicate !== true) throw this.duplicateOutcome(candidates);
      return this.repo.withTransaction(async (tx) => {
        if (!patientMrn(patient)) {
          const mrn = `C${randomBytes(4).toString('hex').toUpperCase()}`;
          patient.identifier = [{ use: 'usual', type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }], text: 'MRN' }, system: CHARTROOM_MRN_SYSTEM, value: mrn }, ...(patient.identifier ?? [])];
        }
        const created = JSON.parse((await tx.create(patient)).json) as Patient;
        let cov: Coverage | undefined;
        if (coverage) cov = JSON.parse((await tx.create({ ...coverage, beneficiary: { reference: `Patient/${created.id ?? ''}`, display: patientName(created) } })).json) as Coverage;
        return { patient: created, coverage: cov, duplicatesConfirmed: candidates.map((c) => c.patient.id ?? '') };
      });
    });
  }

  /** Edits demographics: a new version of the Patient (the history keeps the old one). */
  async update(id: string, input: RegistrationInput & { ifMatch?: unknown }): Promise<Patient> {
    const v = await this.repo.readCurrent('Patient', id);
    if (!v || v.deleted) throw notFound(`Patient/${id} not found`);
    const current = JSON.parse(v.json) as Patient;
    const { patient, coverage } = this.buildPatient(input, current);
    if (coverage) throw badRequest('coverage is changed with POST /api/patients/:id/coverage', 'coverage');
    delete patient.meta;
    const ifMatch = typeof input.ifMatch === 'string' ? input.ifMatch : v.rev;
    return JSON.parse((await this.repo.update(patient, { ifMatch })).version.json) as Patient;
  }

  /** Adds a coverage (insurer, member id, plan, copay); an earlier active one of the same payor is ended. */
  async addCoverage(id: string, input: NonNullable<RegistrationInput['coverage']>): Promise<Coverage> {
    const v = await this.repo.readCurrent('Patient', id);
    if (!v || v.deleted) throw notFound(`Patient/${id} not found`);
    const coverage = this.buildCoverage(input ?? {});
    const patient = JSON.parse(v.json) as Patient;
    const created = await this.repo.create({ ...coverage, beneficiary: { reference: `Patient/${id}`, display: patientName(patient) } });
    return JSON.parse(created.json) as Coverage;
  }
}
