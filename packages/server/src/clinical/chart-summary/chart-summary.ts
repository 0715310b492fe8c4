/**
 * The chart summary: everything a clinician needs on opening a chart, in one call and a
 * handful of indexed queries: demographics and coverage, active problems (ICD-10-CM),
 * allergies, active medications, latest vital signs, recent abnormal lab results, the last
 * notes, upcoming appointments, and open sync conflicts.
 * See https://hl7.org/fhir/R4/patient-operation-everything.html for the compartment idea.
 */
import type {
  Account,
  AllergyIntolerance,
  Appointment,
  Condition,
  Coverage,
  DocumentReference,
  MedicationRequest,
  MedicationStatement,
  Observation,
  Patient,
  Resource,
} from '@medplum/fhirtypes';
import { notFound } from '@chartroom/core';
import type { Principal } from '@chartroom/core';
import type { FhirRepository } from '../../store/fhir-repository.js';
import type { Clock } from '../../store/clock.js';
import { systemClock } from '../../store/clock.js';
import { accountBalance, coverageInForce, patientMrn, patientName, patientPhone, summarizeCoverage } from '../patients/patient-facts.js';
import type { CoverageSummary } from '../patients/patient-facts.js';
import { PREFERRED_PHARMACY_URL } from '../patients/patient-registration.js';
import { frontDeskStatus } from '../schedule/appointment-rules.js';
import { appointmentActors } from '../schedule/appointment-service.js';
import { isNoteDocument, isPsychotherapyNote, noteSummary } from '../notes/note-model.js';
import { DOCUMENT_CATEGORY_SYSTEM } from '../documents/document-service.js';
import { datedRows, earliestFirst, newestFirst, pick, resourcesByKey } from './chart-rows.js';
import type { NoteSummary } from '../notes/note-model.js';

export interface SummaryProblem {
  id: string;
  code: string | undefined;
  system: string | undefined;
  display: string | undefined;
  onset: string | undefined;
  status: string | undefined;
}

export interface SummaryAllergy {
  id: string;
  substance: string | undefined;
  code: string | undefined;
  criticality: string | undefined;
  reactions: string[];
}

export interface SummaryMedication {
  id: string;
  resourceType: 'MedicationRequest' | 'MedicationStatement';
  name: string | undefined;
  rxnorm: string | undefined;
  dosage: string | undefined;
  since: string | undefined;
  prescriber: string | undefined;
}

export interface SummaryObservation {
  id: string;
  code: string | undefined;
  display: string | undefined;
  value: number | string | undefined;
  unit: string | undefined;
  effective: string | undefined;
  interpretation: string | undefined;
  referenceRange: string | undefined;
  components?: { code: string | undefined; display: string | undefined; value: number | undefined; unit: string | undefined }[];
}

export interface ChartSummary {
  patient: {
    id: string;
    name: string;
    birthDate: string | undefined;
    age: number | undefined;
    gender: string | undefined;
    mrn: string | undefined;
    phone: string | undefined;
    language: string | undefined;
    preferredPharmacy: string | undefined;
    contacts: { name: string | undefined; relationship: string | undefined; phone: string | undefined }[];
    versionId: string | undefined;
  };
  coverage: CoverageSummary | null;
  balance: number;
  problems: SummaryProblem[];
  allergies: SummaryAllergy[];
  medications: SummaryMedication[];
  vitals: SummaryObservation[];
  abnormalLabs: SummaryObservation[];
  notes: NoteSummary[];
  upcomingAppointments: { id: string; start: string | undefined; status: string; type: string | undefined; practitioner: string | undefined }[];
  /** Resources of this chart in conflict after sync (more than one live revision), to resolve in the conflict inbox (`GET /api/conflicts`). */
  conflicts: { resourceType: string; id: string; leaves: number }[];
}

/** Notes read for "last notes": five are shown, after others' psychotherapy notes are left out. */
const NOTES_READ = 20;
const ABNORMAL = new Set(['H', 'L', 'HH', 'LL', 'A', 'AA', 'HU', 'LU', '>', '<']);
const INACTIVE = new Set(['inactive', 'resolved', 'remission', 'refuted', 'entered-in-error']);

function ageOn(birthDate: string | undefined, now: Date): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(birthDate ?? '');
  if (!m) return undefined;
  let age = now.getFullYear() - Number(m[1]);
  const month = now.getMonth() + 1;
  if (month < Number(m[2]) || (month === Number(m[2]) && now.getDate() < Number(m[3]))) age--;
  return age;
}

function observationView(o: Observation): SummaryObservation {
  const coding = o.code.coding?.[0];
  const range = o.referenceRange?.[0];
  return {
    id: o.id ?? '',
    code: coding?.code,
    display: o.code.text ?? coding?.display,
    value: o.valueQuantity?.value ?? o.valueString ?? o.valueCodeableConcept?.text ?? o.valueInteger,
    unit: o.valueQuantity?.unit ?? o.valueQuantity?.code,
    effective: o.effectiveDateTime ?? o.effectivePeriod?.start ?? o.issued,
    interpretation: o.interpretation?.[0]?.coding?.[0]?.code,
    referenceRange: range?.text ?? (range?.low || range?.high ? `${range.low?.value ?? ''}–${range.high?.value ?? ''}` : undefined),
    ...(o.component?.length
      ? {
          components: o.component.map((c) => ({
            code: c.code.coding?.[0]?.code,
            display: c.code.text ?? c.code.coding?.[0]?.display,
            value: c.valueQuantity?.value,
            unit: c.valueQuantity?.unit ?? c.valueQuantity?.code,
          })),
        }
      : {}),
  };
}

/** Builds chart summaries over one repository. */
export class ChartSummaryService {
  constructor(
    private readonly repo: FhirRepository,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Current resources in the patient's compartment of the listed (small) types, one query. */
  private async compartment(patientId: string, types: string[]): Promise<Resource[]> {
    const rows = await this.repo.dialect.db
      .selectFrom('sp_reference as s')
      .innerJoin('resources as r', 'r.rk', 's.rk')
      .select(['r.rk', 'r.content'])
      .where('s.target_id', '=', patientId)
      .where('s.target_type', '=', 'Patient')
      .where('s.type', 'in', types)
      .where('s.code', 'in', ['patient', 'subject', 'beneficiary'])
      .where('r.deleted', '=', 0)
      .execute();
    const seen = new Set<number>();
    const out: Resource[] = [];
    for (const r of rows) {
      if (seen.has(r.rk)) continue;
      seen.add(r.rk);
      out.push(JSON.parse(r.content) as Resource);
    }
    return out;
  }

  /** The chart's resources in sync conflict: few practice-wide, found through the partial index on `conflicts > 0`. */
  private async conflicts(patientId: string): Promise<ChartSummary['conflicts']> {
    // Resources in conflict anywhere (the partial index on `conflicts > 0`; usually none), then
    // those of this chart among them.
    const open = await this.repo.dialect.db.selectFrom('resources').select(['rk', 'type', 'id', 'conflicts']).where('conflicts', '>', 0).limit(5000).execute();
    if (!open.length) return [];
    const mine = new Set<number>(open.filter((r) => r.type === 'Patient' && r.id === patientId).map((r) => r.rk));
    const refs = await this.repo.dialect.db
      .selectFrom('sp_reference')
      .select('rk')
      .where('rk', 'in', open.map((r) => r.rk))
      .where('target_id', '=', patientId)
      .where('target_type', '=', 'Patient')
      .execute();
    for (const r of refs) mine.add(r.rk);
    return open
      .filter((r) => mine.has(r.rk))
      .sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : a.id < b.id ? -1 : 1))
      .slice(0, 100)
      .map((r) => ({ resourceType: r.type, id: r.id, leaves: Number(r.conflicts) }));
  }

  /** The summary of one patient's chart; 404 for an unknown patient. */
  async summary(patientId: string, principal?: Principal): Promise<ChartSummary> {
    const now = this.clock.now();
    const yearAgo = now - 365 * 86_400_000;
    // The patient and the chart's lists at once (one round trip each, side by side on PostgreSQL).
    const [v, list, [obsRows = [], docRows = [], apptRows = []], conflicts] = await Promise.all([
      this.repo.readCurrent('Patient', patientId),
      this.compartment(patientId, ['Condition', 'AllergyIntolerance', 'MedicationRequest', 'MedicationStatement', 'Coverage', 'Account']),
      datedRows(this.repo, patientId, [
        { type: 'Observation', refCode: 'subject', category: { values: ['vital-signs', 'laboratory'] } },
        { type: 'DocumentReference', refCode: 'subject', category: { system: DOCUMENT_CATEGORY_SYSTEM } },
        { type: 'Appointment', refCode: 'actor', category: undefined },
      ]),
      this.conflicts(patientId),
    ]);
    if (!v || v.deleted) throw notFound(`Patient/${patientId} not found`);
    const patient = JSON.parse(v.json) as Patient;
    // The newest vital signs and the last year's labs, the newest notes (not uploaded documents
    // or letters) and the next appointments: picked from the index rows, then read by key.
    obsRows.sort(newestFirst);
    const vitalKeys = obsRows.filter((r) => r.category === 'vital-signs').slice(0, 40).map((r) => r.rk);
    const labKeys = obsRows.filter((r) => r.category === 'laboratory' && r.high !== undefined && r.high >= yearAgo).slice(0, 200).map((r) => r.rk);
    const noteKeys = docRows.filter((r) => r.category === undefined).sort(newestFirst).slice(0, NOTES_READ).map((r) => r.rk);
    const apptKeys = apptRows.filter((r) => r.high !== undefined && r.high >= now).sort(earliestFirst).slice(0, 10).map((r) => r.rk);
    const loaded = await resourcesByKey(this.repo, [...vitalKeys, ...labKeys, ...noteKeys, ...apptKeys]);
    const vitals = pick<Observation>(loaded, vitalKeys);
    const labs = pick<Observation>(loaded, labKeys);
    const notes = pick<DocumentReference>(loaded, noteKeys);
    const appts = pick<Appointment>(loaded, apptKeys);

    const problems: SummaryProblem[] = [];
    const allergies: SummaryAllergy[] = [];
    const medications: SummaryMedication[] = [];
    const coverages: Coverage[] = [];
    let balance = 0;
    for (const r of list) {
      switch (r.resourceType) {
        case 'Condition': {
          const c = r as Condition;
          const status = c.clinicalStatus?.coding?.[0]?.code;
          if (INACTIVE.has(status ?? '') || c.verificationStatus?.coding?.some((x) => x.code === 'entered-in-error' || x.code === 'refuted')) break;
          const coding = c.code?.coding?.find((x) => /icd-10/i.test(x.system ?? '')) ?? c.code?.coding?.[0];
          problems.push({ id: c.id ?? '', code: coding?.code, system: coding?.system, display: c.code?.text ?? coding?.display, onset: c.onsetDateTime ?? c.onsetPeriod?.start, status });
          break;
        }
        case 'AllergyIntolerance': {
          const a = r as AllergyIntolerance;
          if (INACTIVE.has(a.clinicalStatus?.coding?.[0]?.code ?? '') || a.verificationStatus?.coding?.some((x) => x.code === 'entered-in-error' || x.code === 'refuted')) break;
          allergies.push({
            id: a.id ?? '',
            substance: a.code?.text ?? a.code?.coding?.[0]?.display,
            code: a.code?.coding?.[0]?.code,
            criticality: a.criticality,
            reactions: (a.reaction ?? []).flatMap((x) => x.manifestation.map((m) => m.text ?? m.coding?.[0]?.display ?? '')).filter(Boolean),
          });
          break;
        }
        case 'MedicationRequest': {
          const m = r as MedicationRequest;
          if (m.status !== 'active' && m.status !== 'on-hold') break;
          if (m.intent !== 'order' && m.intent !== 'original-order' && m.intent !== 'instance-order' && m.intent !== 'plan') break;
          medications.push({
            id: m.id ?? '',
            resourceType: 'MedicationRequest',
            name: m.medicationCodeableConcept?.text ?? m.medicationCodeableConcept?.coding?.[0]?.display ?? m.medicationReference?.display,
            rxnorm: m.medicationCodeableConcept?.coding?.find((x) => x.system === 'http://www.nlm.nih.gov/research/umls/rxnorm')?.code,
            dosage: m.dosageInstruction?.[0]?.text,
            since: m.authoredOn,
            prescriber: m.requester?.display,
          });
          break;
        }
        case 'MedicationStatement': {
          const m = r as MedicationStatement;
          if (m.status !== 'active' && m.status !== 'intended') break;
          medications.push({
            id: m.id ?? '',
            resourceType: 'MedicationStatement',
            name: m.medicationCodeableConcept?.text ?? m.medicationCodeableConcept?.coding?.[0]?.display ?? m.medicationReference?.display,
            rxnorm: m.medicationCodeableConcept?.coding?.find((x) => x.system === 'http://www.nlm.nih.gov/research/umls/rxnorm')?.code,
            dosage: m.dosage?.[0]?.text,
            since: m.effectiveDateTime ?? m.effectivePeriod?.start ?? m.dateAsserted,
            prescriber: m.informationSource?.display,
          });
          break;
        }
        case 'Coverage':
          coverages.push(r as Coverage);
          break;
        case 'Account':
          balance += accountBalance(r as Account);
          break;
        default:
          break;
      }
    }
    problems.sort((a, b) => (a.display ?? '').localeCompare(b.display ?? ''));
    medications.sort((a, b) => (a.name ?? '').localeCompare(b.name ?? ''));

    // Latest vital sign per code (the search is newest first).
    const latest = new Map<string, SummaryObservation>();
    for (const o of vitals) {
      if (o.status === 'entered-in-error' || o.status === 'cancelled') continue;
      const key = o.code.coding?.[0]?.code ?? o.code.text ?? '';
      if (!latest.has(key)) latest.set(key, observationView(o));
    }
    const abnormalLabs = labs
      .filter((o) => o.status !== 'entered-in-error' && o.status !== 'cancelled' && o.interpretation?.some((i) => i.coding?.some((c) => ABNORMAL.has(c.code ?? ''))))
      .slice(0, 10)
      .map(observationView);
    const visibleNotes = notes.filter((d) => isNoteDocument(d) && (!isPsychotherapyNote(d) || !principal || d.author?.some((a) => a.reference === `Practitioner/${principal.practitionerId ?? ''}`)));
    const p = patient.name?.[0];
    const language = patient.communication?.find((c) => c.preferred) ?? patient.communication?.[0];
    const pharmacy = patient.extension?.find((e) => e.url === PREFERRED_PHARMACY_URL)?.valueReference;
    const cov = coverageInForce(coverages, now);
    return {
      patient: {
        id: patientId,
        name: patientName(patient),
        birthDate: patient.birthDate,
        age: ageOn(patient.birthDate, new Date(now)),
        gender: patient.gender,
        mrn: patientMrn(patient),
        phone: patientPhone(patient),
        language: language ? (language.language.text ?? language.language.coding?.[0]?.display ?? language.language.coding?.[0]?.code) : undefined,
        preferredPharmacy: pharmacy?.display ?? pharmacy?.reference,
        contacts: (patient.contact ?? []).map((c) => ({ name: c.name?.text ?? [c.name?.given?.join(' '), c.name?.family].filter(Boolean).join(' '), relationship: c.relationship?.[0]?.text ?? c.relationship?.[0]?.coding?.[0]?.display, phone: c.telecom?.find((t) => t.system === 'phone')?.value })),
        versionId: patient.meta?.versionId,
      },
      coverage: cov ? summarizeCoverage(cov) : null,
      balance,
      problems,
      allergies,
      medications,
      vitals: [...latest.values()],
      abnormalLabs,
      notes: visibleNotes.slice(0, 5).map(noteSummary),
      upcomingAppointments: appts
        .filter((a) => !['cancelled', 'noshow', 'entered-in-error', 'fulfilled'].includes(a.status) && (p ? appointmentActors(a).patientId === patientId : true))
        .slice(0, 5)
        .map((a) => ({
          id: a.id ?? '',
          start: a.start,
          status: frontDeskStatus(a),
          type: a.appointmentType?.text ?? a.appointmentType?.coding?.[0]?.display,
          practitioner: a.participant?.find((x) => x.actor?.reference?.startsWith('Practitioner/'))?.actor?.display,
        })),
      conflicts,
    };
  }
}
