/**
 * Builds Observations with UCUM quantities, reference ranges and interpretation flags
 * (https://hl7.org/fhir/R4/observation.html, flags from v3-ObservationInterpretation).
 */
import type { CodeableConcept, Coding, Encounter, Observation, ObservationReferenceRange, Organization, Patient, Practitioner, Quantity, Reference } from '@medplum/fhirtypes';
import { LOINC, OBSERVATIONS, UCUM } from './observation-catalog.js';
import type { ObservationKey, ObservationKind } from './observation-catalog.js';

const INTERPRETATION = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';
const CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';
const RANGE_MEANING = 'http://terminology.hl7.org/CodeSystem/referencerange-meaning';

const FLAGS = {
  HH: 'Critical high',
  H: 'High',
  N: 'Normal',
  L: 'Low',
  LL: 'Critical low',
} as const;
export type Flag = keyof typeof FLAGS;

/** A range other than the catalog's (e.g. INR 2–3 on warfarin), with its meaning. */
export interface RangeOverride {
  low: number;
  high: number;
  meaning: 'therapeutic' | 'normal';
}

function round(value: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}

function quantity(kind: ObservationKind, value: number): Quantity {
  return { value: round(value, kind.decimals), unit: kind.unit, system: UCUM, code: kind.ucum };
}

/** The flag for a value: outside the critical limits, outside the range, or normal. */
export function flagOf(kind: ObservationKind, value: number, range?: RangeOverride): Flag | undefined {
  const low = range ? range.low : kind.low;
  const high = range ? range.high : kind.high;
  if (low === undefined && high === undefined) return undefined;
  const v = round(value, kind.decimals);
  if (kind.criticalHigh !== undefined && v > kind.criticalHigh) return 'HH';
  if (kind.criticalLow !== undefined && v < kind.criticalLow) return 'LL';
  if (high !== undefined && v > high) return 'H';
  if (low !== undefined && v < low) return 'L';
  return 'N';
}

function interpretation(flag: Flag | undefined): CodeableConcept[] | undefined {
  return flag ? [{ coding: [{ system: INTERPRETATION, code: flag, display: FLAGS[flag] }], text: FLAGS[flag] }] : undefined;
}

function referenceRange(kind: ObservationKind, range?: RangeOverride): ObservationReferenceRange[] | undefined {
  const low = range ? range.low : kind.low;
  const high = range ? range.high : kind.high;
  if (low === undefined && high === undefined) return undefined;
  const meaning = range?.meaning ?? (kind.therapeutic ? 'therapeutic' : 'normal');
  const out: ObservationReferenceRange = { type: { coding: [{ system: RANGE_MEANING, code: meaning }] } };
  if (low !== undefined) out.low = quantity(kind, low);
  if (high !== undefined) out.high = quantity(kind, high);
  return [out];
}

export function codeOf(kind: ObservationKind): CodeableConcept {
  return { coding: [{ system: LOINC, code: kind.loinc, display: kind.name }], text: kind.name };
}

function category(kind: ObservationKind): CodeableConcept[] {
  const display: Record<ObservationKind['category'], string> = { 'vital-signs': 'Vital Signs', laboratory: 'Laboratory', survey: 'Survey' };
  const coding: Coding = { system: CATEGORY, code: kind.category, display: display[kind.category] };
  return [{ coding: [coding] }];
}

/** Where and when an observation was made. */
export interface ObservationContext {
  id: string;
  subject: Reference<Patient>;
  encounter: Reference<Encounter>;
  effective: string;
  performer: Reference<Practitioner | Organization>;
}

/** A measured value (vital sign or lab result) with range and flag. */
export function quantityObservation(key: ObservationKey, value: number, ctx: ObservationContext, range?: RangeOverride): Observation {
  const kind = OBSERVATIONS[key];
  const obs: Observation = {
    resourceType: 'Observation',
    id: ctx.id,
    status: 'final',
    category: category(kind),
    code: codeOf(kind),
    subject: ctx.subject,
    encounter: ctx.encounter,
    effectiveDateTime: ctx.effective,
    performer: [ctx.performer],
    valueQuantity: quantity(kind, value),
  };
  const flag = flagOf(kind, value, range);
  const interp = interpretation(flag);
  if (interp) obs.interpretation = interp;
  const rr = referenceRange(kind, range);
  if (rr) obs.referenceRange = rr;
  return obs;
}

/** A questionnaire total score (PHQ-9, GAD-7). */
export function scoreObservation(key: 'phq9' | 'gad7', score: number, ctx: ObservationContext): Observation {
  const kind = OBSERVATIONS[key];
  return {
    resourceType: 'Observation',
    id: ctx.id,
    status: 'final',
    category: category(kind),
    code: codeOf(kind),
    subject: ctx.subject,
    encounter: ctx.encounter,
    effectiveDateTime: ctx.effective,
    performer: [ctx.performer],
    valueInteger: Math.round(score),
  };
}

/** A blood pressure panel with systolic and diastolic components, each flagged. */
export function bloodPressure(systolic: number, diastolic: number, ctx: ObservationContext): Observation {
  const panel = OBSERVATIONS.bpPanel;
  const component = (key: 'systolic' | 'diastolic', value: number): NonNullable<Observation['component']>[number] => {
    const kind = OBSERVATIONS[key];
    const c: NonNullable<Observation['component']>[number] = { code: codeOf(kind), valueQuantity: quantity(kind, value) };
    const interp = interpretation(flagOf(kind, value));
    if (interp) c.interpretation = interp;
    const rr = referenceRange(kind);
    if (rr) c.referenceRange = rr;
    return c;
  };
  return {
    resourceType: 'Observation',
    id: ctx.id,
    status: 'final',
    category: category(panel),
    code: codeOf(panel),
    subject: ctx.subject,
    encounter: ctx.encounter,
    effectiveDateTime: ctx.effective,
    performer: [ctx.performer],
    component: [component('systolic', systolic), component('diastolic', diastolic)],
  };
}
