/**
 * Writes a demo patient's visits: the Encounter, vital signs, laboratory results with
 * believable trends (HbA1c falling on metformin, lithium rising with an NSAID, INR on
 * warfarin), questionnaire scores, and now and then a signed note.
 */
import type { DocumentReference, Encounter, Organization, Patient, Practitioner, Reference, Resource } from '@medplum/fhirtypes';
import { SNOMED } from './allergy-catalog.js';
import type { Prescription } from './clinical-profile.js';
import { ANXIETY, DEPRESSION, NSAIDS } from './clinical-profile.js';
import { CONDITIONS, ICD10CM } from './condition-catalog.js';
import type { ConditionKey } from './condition-catalog.js';
import { addDays, atMinutes, dayStart, localDate, localDateTime } from './demo-time.js';
import type { FeaturedPatient } from './featured-patients.js';
import { DRUGS } from './medication-catalog.js';
import type { DrugKey } from './medication-catalog.js';
import { bloodPressure, quantityObservation, scoreObservation } from './observation-builder.js';
import type { ObservationContext, RangeOverride } from './observation-builder.js';
import type { ObservationKey } from './observation-catalog.js';
import { LOINC } from './observation-catalog.js';
import type { DemoContext } from './demo-context.js';
import type { Prng } from './prng.js';
import type { Visit } from './visit-plan.js';

const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const CONFIDENTIALITY = 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality';

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

/** Average height in cm of a child of `age` years (rough growth curve), adult height beyond 18. */
function heightAt(age: number, adult: number): number {
  if (age >= 18) return adult;
  const child = age < 2 ? 50 + age * 18 : 86 + (age - 2) * 6.2;
  return age < 12 ? child : child + ((adult - (86 + 10 * 6.2)) * (age - 12)) / 6;
}

/** What the chart writer knows about the patient. */
export interface ChartInput {
  index: number;
  subject: Reference<Patient>;
  key: (k: string) => string;
  age: number;
  gender: string;
  conditions: ConditionKey[];
  prescriptions: Prescription[];
  onsetDaysAgo: Map<ConditionKey, number>;
  historyDays: number;
  featured: FeaturedPatient | undefined;
  display: string;
}

const ENCOUNTER_TYPES = {
  new: { code: '185349003', display: 'Encounter for check up (procedure)', text: 'New patient visit' },
  annual: { code: '185349003', display: 'Encounter for check up (procedure)', text: 'Annual physical' },
  followup: { code: '390906007', display: 'Follow-up encounter', text: 'Follow-up visit' },
  acute: { code: '185345009', display: 'Encounter for symptom', text: 'Sick visit' },
  inr: { code: '390906007', display: 'Follow-up encounter', text: 'Anticoagulation check' },
  psychiatry: { code: '390906007', display: 'Follow-up encounter', text: 'Psychiatric medication management' },
  therapy: { code: '390906007', display: 'Follow-up encounter', text: 'Psychotherapy session' },
} as const;

/** Per-patient state while writing the visits: baselines and when each lab was last drawn. */
export class ChartWriter {
  private visitNo = 0;
  private readonly lastLab = new Map<string, number>();
  private readonly adultHeight: number;
  private readonly baseWeight: number;
  private readonly baseSystolic: number;
  private readonly heartRate: number;
  private readonly lipids: { total: number; hdl: number; tg: number };
  private readonly creatinine: number;
  private readonly a1cStart: number;
  private readonly a1cTarget: number;
  private readonly phqStart: number;
  private readonly gadStart: number;
  private notes = 0;

  constructor(
    private readonly ctx: DemoContext,
    private readonly rng: Prng,
    private readonly p: ChartInput,
  ) {
    const male = p.gender === 'male';
    this.adultHeight = male ? rng.normal(176, 7) : rng.normal(163, 6.5);
    const bmi = p.conditions.includes('obesity') ? rng.normal(34, 3) : rng.normal(p.age < 18 ? 17.5 : 25.5, 3);
    this.baseWeight = bmi * (this.adultHeight / 100) ** 2;
    this.baseSystolic = p.conditions.includes('hypertension') ? rng.normal(152, 8) : rng.normal(112 + Math.max(0, p.age - 30) * 0.3, 8);
    this.heartRate = rng.normal(74, 7) + (this.has('clozapine') ? 14 : 0);
    this.lipids = { total: rng.normal(p.conditions.includes('hyperlipidemia') ? 245 : 195, 25), hdl: rng.normal(male ? 47 : 57, 10), tg: rng.normal(140, 40) };
    this.creatinine = (male ? rng.normal(1.0, 0.12) : rng.normal(0.8, 0.1)) + (p.conditions.includes('ckd3') ? 0.8 : 0);
    this.a1cStart = p.featured?.conditions.includes('diabetesHyper') ? 9.4 : rng.normal(9, 0.6);
    this.a1cTarget = p.featured?.conditions.includes('diabetesHyper') ? 7.1 : rng.normal(7.2, 0.35);
    this.phqStart = rng.normal(17, 2.5);
    this.gadStart = rng.normal(15, 2);
  }

  private has(drug: DrugKey): Prescription | undefined {
    return this.p.prescriptions.find((x) => x.drug === drug);
  }

  private hasCondition(...keys: ConditionKey[]): boolean {
    return keys.some((k) => this.p.conditions.includes(k));
  }

  /** Days since a drug was started at the time of a visit (negative: not yet). */
  private onDrugFor(drug: DrugKey, daysAgo: number): number {
    const rx = this.has(drug);
    return rx ? rx.startedDaysAgo - daysAgo : -1;
  }

  private due(name: string, daysAgo: number, every: number): boolean {
    const last = this.lastLab.get(name);
    if (last !== undefined && last - daysAgo < every) return false;
    this.lastLab.set(name, daysAgo);
    return true;
  }

  visit(v: Visit): Resource[] {
    const { rng, ctx, p } = this;
    const n = this.visitNo++;
    const clinician = ctx.practice.clinicians[v.by];
    let day = dayStart(ctx.now, -Math.round(v.daysAgo));
    while (day.getDay() === 0 || day.getDay() === 6) day = addDays(day, -1);
    const start = atMinutes(day, 8 * 60 + 30 + rng.int(0, 15) * 30);
    const minutes = v.kind === 'therapy' ? 50 : v.kind === 'new' || v.kind === 'annual' ? 40 : 20;
    const end = new Date(start.getTime() + minutes * 60_000);
    const daysAgo = (ctx.now.getTime() - start.getTime()) / 86_400_000;
    const virtual = (v.kind === 'therapy' || v.kind === 'psychiatry') && rng.chance(0.15);
    const type = ENCOUNTER_TYPES[v.kind];
    const encounterId = p.key(`Encounter/${n}`);
    const reasons = v.acute ? [v.acute] : v.kind === 'psychiatry' || v.kind === 'therapy' ? p.conditions.filter((c) => CONDITIONS[c].area === 'psychiatry') : [];
    const encounter: Encounter = {
      resourceType: 'Encounter',
      id: encounterId,
      status: 'finished',
      class: virtual
        ? { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'VR', display: 'virtual' }
        : { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB', display: 'ambulatory' },
      type: [{ coding: [{ system: SNOMED, code: type.code, display: type.display }], text: type.text }],
      subject: p.subject,
      participant: [{ individual: { reference: clinician.ref, display: clinician.display } }],
      period: { start: localDateTime(start), end: localDateTime(end) },
      serviceProvider: { reference: ctx.practice.organizationRef },
      ...(virtual ? {} : { location: [{ location: { reference: ctx.practice.locationRef } }] }),
      ...(reasons.length
        ? { reasonCode: reasons.map((c) => ({ coding: [{ system: ICD10CM, code: CONDITIONS[c].code, display: CONDITIONS[c].display }] })) }
        : {}),
    };
    const out: Resource[] = [encounter];
    const effective = localDateTime(start);
    let obsNo = 0;
    const obsCtx = (performer: Reference<Practitioner | Organization>): ObservationContext => ({
      id: p.key(`Observation/${n}/${obsNo++}`),
      subject: p.subject,
      encounter: { reference: `Encounter/${encounterId}` },
      effective,
      performer,
    });
    const byClinician = { reference: clinician.ref, display: clinician.display };
    const lab = { reference: ctx.practice.organizationRef };
    const add = (key: ObservationKey, value: number, range?: RangeOverride): void => {
      out.push(quantityObservation(key, value, obsCtx(lab), range));
    };
    const ageThen = p.age - daysAgo / 365.25;
    const years = daysAgo / 365.25;

    // Vital signs at primary care visits (and weight for drugs that change it).
    const primary = v.kind === 'new' || v.kind === 'annual' || v.kind === 'followup' || v.kind === 'acute';
    const height = heightAt(Math.max(0, ageThen), this.adultHeight);
    const weight =
      ageThen < 18 ? (this.baseWeight / (this.adultHeight / 100) ** 2) * (height / 100) ** 2 + rng.normal(0, 0.5) : this.baseWeight - years * rng.normal(0.4, 0.2) + rng.normal(0, 1.2);
    if (primary || v.kind === 'inr') {
      const treated = this.p.prescriptions.some((x) => x.condition === 'hypertension' && x.startedDaysAgo > daysAgo);
      const systolic = (treated ? this.baseSystolic - 18 : this.baseSystolic) + rng.normal(0, 7);
      out.push(bloodPressure(systolic, systolic * 0.6 + rng.normal(8, 5), obsCtx(byClinician)));
      out.push(quantityObservation('heartRate', this.heartRate + rng.normal(0, 6), obsCtx(byClinician)));
    }
    if (primary) {
      out.push(quantityObservation('weight', Math.max(8, weight), obsCtx(byClinician)));
      if (ageThen < 18 || v.kind === 'new') out.push(quantityObservation('height', height, obsCtx(byClinician)));
      out.push(quantityObservation('bmi', Math.max(8, weight) / (height / 100) ** 2, obsCtx(byClinician)));
    } else if (v.kind === 'psychiatry' && ['lithium', 'clozapine', 'olanzapine', 'quetiapine', 'valproate', 'risperidone'].some((d) => this.has(d as DrugKey))) {
      out.push(quantityObservation('weight', Math.max(8, weight), obsCtx(byClinician)));
    }

    // Laboratory tests when they are due.
    const annual = v.kind === 'annual' || v.kind === 'new';
    const lipidEvery = this.hasCondition('hyperlipidemia', 'diabetes', 'diabetesHyper') ? 300 : 700;
    if (annual && ageThen >= 18 && (ageThen >= 40 || this.hasCondition('hyperlipidemia')) && this.due('lipids', daysAgo, lipidEvery)) {
      const statin = ['atorvastatin', 'rosuvastatin', 'simvastatin'].some((d) => this.onDrugFor(d as DrugKey, daysAgo) > 30);
      const total = (statin ? this.lipids.total * 0.74 : this.lipids.total) + rng.normal(0, 12);
      const hdl = this.lipids.hdl + rng.normal(0, 4);
      const tg = Math.max(45, this.lipids.tg + rng.normal(0, 25));
      add('cholesterol', total);
      add('hdl', hdl);
      add('triglycerides', tg);
      add('ldl', Math.max(30, total - hdl - tg / 5));
    }
    if (primary && this.hasCondition('hypertension', 'diabetes', 'diabetesHyper', 'ckd3') && this.due('bmp', daysAgo, 300)) {
      add('creatinine', this.creatinine + years * -0.01 + rng.normal(0, 0.07));
      add('sodium', rng.normal(140, 2));
      add('potassium', rng.normal(4.2, 0.3));
      add('glucose', this.hasCondition('diabetes', 'diabetesHyper') ? 28.7 * this.a1c(daysAgo) - 46.7 + rng.normal(0, 12) : rng.normal(92, 9));
    }
    if (primary && this.hasCondition('diabetes', 'diabetesHyper') && this.due('a1c', daysAgo, 80)) add('hba1c', this.a1c(daysAgo));
    if (primary && this.hasCondition('prediabetes') && this.due('a1c', daysAgo, 300)) add('hba1c', rng.normal(6.0, 0.15));
    if (primary && this.hasCondition('hypothyroidism') && this.due('tsh', daysAgo, 300)) {
      add('tsh', this.onDrugFor('levothyroxine', daysAgo) > 42 ? Math.max(0.2, rng.normal(2.2, 0.9)) : rng.normal(8.5, 2));
    }
    if (this.has('warfarin') && (v.kind === 'inr' || primary) && this.onDrugFor('warfarin', daysAgo) > 7) {
      const nsaid = [...NSAIDS].some((d) => this.onDrugFor(d, daysAgo) > 3);
      add('inr', Math.max(1.1, rng.normal(2.5, 0.35) + (nsaid ? 0.9 : 0)), { low: 2, high: 3, meaning: 'therapeutic' });
    }
    const lithiumDays = this.onDrugFor('lithium', daysAgo);
    if (lithiumDays > 7 && (v.kind === 'psychiatry' || v.kind === 'followup') && (v.note !== undefined || this.due('lithium', daysAgo, 80))) {
      // NSAIDs, ACE inhibitors and thiazides raise lithium levels.
      const nsaid = [...NSAIDS].some((d) => this.onDrugFor(d, daysAgo) > 3);
      const raise = (nsaid ? 0.5 : 0) + (['lisinopril', 'hydrochlorothiazide'].some((d) => this.onDrugFor(d as DrugKey, daysAgo) > 5) ? 0.25 : 0);
      add('lithium', Math.max(0.3, (p.featured ? 0.9 : rng.normal(0.85, 0.13)) + raise + rng.normal(0, 0.04)));
      add('creatinine', this.creatinine + Math.min(0.3, lithiumDays / 3650) * 0.5 + rng.normal(0, 0.06));
      if (this.due('tsh', daysAgo, 300)) add('tsh', Math.max(0.3, rng.normal(2.2 + Math.min(2.5, lithiumDays / 1000), 0.8)));
    }
    if (this.onDrugFor('valproate', daysAgo) > 7 && v.kind === 'psychiatry' && this.due('valproate', daysAgo, 150)) {
      add('valproate', rng.normal(76, 16));
      add('alt', rng.normal(28, 9));
    }

    // Questionnaires at psychiatry and (every other) therapy visits.
    if (v.kind === 'psychiatry' || (v.kind === 'therapy' && n % 2 === 0)) {
      if (this.hasCondition(...DEPRESSION)) out.push(scoreObservation('phq9', this.score('phq', daysAgo, 27), obsCtx(byClinician)));
      if (this.hasCondition(...ANXIETY)) out.push(scoreObservation('gad7', this.score('gad', daysAgo, 21), obsCtx(byClinician)));
    }

    // Notes: the featured patient's, and now and then one at a recent visit.
    const noteText = v.note ?? (daysAgo < 60 && this.notes === 0 && rng.chance(v.kind === 'therapy' ? 0.25 : 0.06) ? this.noteText(v.kind) : undefined);
    if (noteText) {
      this.notes++;
      out.push(this.note(v, noteText, encounterId, start, end, clinician.ref, clinician.display));
    }
    return out;
  }

  private a1c(daysAgo: number): number {
    const onset = Math.max(...(['diabetes', 'diabetesHyper'] as const).map((c) => this.p.onsetDaysAgo.get(c) ?? 0));
    const since = Math.max(0, onset - daysAgo);
    return this.a1cTarget + (this.a1cStart - this.a1cTarget) * Math.exp(-since / 200) + this.rng.normal(0, 0.2);
  }

  private score(which: 'phq' | 'gad', daysAgo: number, max: number): number {
    const treated = this.p.prescriptions.filter((x) => x.by === 'psychiatrist').reduce((m, x) => Math.max(m, x.startedDaysAgo - daysAgo), -1);
    const startScore = which === 'phq' ? this.phqStart : this.gadStart;
    const floor = which === 'phq' ? 6 : 5;
    const value = treated <= 0 ? startScore : floor + (startScore - floor) * Math.exp(-treated / 90);
    return clamp(Math.round(value + this.rng.normal(0, 1.8)), 0, max);
  }

  private noteText(kind: Visit['kind']): string {
    const drugs = this.p.prescriptions.map((x) => DRUGS[x.drug].name).join(', ') || 'no regular medicines';
    const problems = this.p.conditions.filter((c) => CONDITIONS[c].area !== 'acute').map((c) => CONDITIONS[c].display.toLowerCase());
    if (kind === 'therapy') {
      return `Psychotherapy session. Worked on ${this.rng.pick(['sleep routine', 'avoidance at work', 'conflict with family', 'grief', 'self-criticism', 'panic cues'])}. Mood and safety reviewed; no thoughts of self-harm. Homework agreed; next session in two weeks.`;
    }
    if (kind === 'psychiatry') {
      return `Medication management. Problems: ${problems.join('; ') || 'none recorded'}. Current medicines: ${drugs}. Tolerating treatment, no new side effects. Continue current doses; follow up in 8 weeks.`;
    }
    return `Office visit. Problems: ${problems.join('; ') || 'none'}. Medicines: ${drugs}. Vital signs reviewed. Plan: continue current treatment, routine labs as due.`;
  }

  private note(v: Visit, text: string, encounterId: string, start: Date, end: Date, authorRef: string, authorName: string): DocumentReference {
    const sensitive = v.kind === 'therapy' ? { code: 'PSYTHPN', display: 'psychotherapy note information sensitivity' } : v.kind === 'psychiatry' ? { code: 'PSY', display: 'psychiatry disorder information sensitivity' } : undefined;
    const title = v.kind === 'therapy' ? 'Psychotherapy note' : v.kind === 'psychiatry' ? 'Psychiatric progress note' : 'Progress note';
    const signed = localDateTime(new Date(end.getTime() + 15 * 60_000));
    const doc: DocumentReference = {
      resourceType: 'DocumentReference',
      id: this.p.key(`DocumentReference/${encounterId}`),
      status: 'current',
      docStatus: 'final',
      type: { coding: [{ system: LOINC, code: '11506-3', display: 'Progress note' }], text: title },
      category: [{ coding: [{ system: 'http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category', code: 'clinical-note', display: 'Clinical Note' }] }],
      subject: this.p.subject,
      date: signed,
      author: [{ reference: authorRef, display: authorName }],
      authenticator: { reference: authorRef, display: authorName },
      custodian: { reference: this.ctx.practice.organizationRef },
      description: `${title} for ${this.p.display}`,
      content: [
        {
          attachment: {
            contentType: 'text/plain; charset=utf-8',
            language: 'en',
            data: Buffer.from(`${title}\n${this.p.display}, ${localDate(start)}\n\n${text}\n\nElectronically signed by ${authorName} at ${signed}.\n`, 'utf8').toString('base64'),
            title,
            creation: signed,
          },
        },
      ],
      context: { encounter: [{ reference: `Encounter/${encounterId}` }], period: { start: localDateTime(start), end: localDateTime(end) } },
    };
    if (sensitive) {
      doc.meta = {
        security: [
          { system: ACT_CODE, code: sensitive.code, display: sensitive.display },
          { system: CONFIDENTIALITY, code: 'R', display: 'restricted' },
        ],
      };
      doc.securityLabel = [{ coding: [{ system: ACT_CODE, code: sensitive.code, display: sensitive.display }] }];
    }
    return doc;
  }
}
