/**
 * Abnormal flags of lab results: codes of the v3 ObservationInterpretation system
 * (https://hl7.org/fhir/R4/v3/ObservationInterpretation/cs.html), which HL7 v2 table 0078
 * (OBX-8) shares for the flags used here.
 */
import type { CodeableConcept } from '@medplum/fhirtypes';

export const INTERPRETATION_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';

/** Flags Chartroom writes and reads, with their display. */
export const FLAG_DISPLAY = {
  LL: 'Critical low',
  L: 'Low',
  N: 'Normal',
  H: 'High',
  HH: 'Critical high',
  A: 'Abnormal',
  AA: 'Critical abnormal',
  LU: 'Significantly low',
  HU: 'Significantly high',
} as const;
export type Flag = keyof typeof FLAG_DISPLAY;

/** True for a known flag code. */
export function isFlag(code: string): code is Flag {
  return Object.hasOwn(FLAG_DISPLAY, code);
}

/** Flags that put a result in the inbox. */
export function isAbnormalFlag(code: string | undefined): boolean {
  return code !== undefined && isFlag(code) && code !== 'N';
}

/** Critical (panic) flags. */
export function isCriticalFlag(code: string | undefined): boolean {
  return code === 'LL' || code === 'HH' || code === 'AA';
}

/** The interpretation element for a flag. */
export function interpretationOf(flag: Flag): CodeableConcept[] {
  return [{ coding: [{ system: INTERPRETATION_SYSTEM, code: flag, display: FLAG_DISPLAY[flag] }], text: FLAG_DISPLAY[flag] }];
}

/** The first ObservationInterpretation code of an interpretation element. */
export function flagCodeOf(interpretation: CodeableConcept[] | undefined): string | undefined {
  for (const c of interpretation ?? []) {
    for (const coding of c.coding ?? []) {
      if (coding.code && (coding.system === INTERPRETATION_SYSTEM || coding.system === undefined || /0078$/.test(coding.system))) return coding.code;
    }
  }
  return undefined;
}

/** Limits of a range, any of them absent. */
export interface Limits {
  low?: number;
  high?: number;
  criticalLow?: number;
  criticalHigh?: number;
}

/** The flag of a value against limits (critical first); undefined when there are none. */
export function flagFor(value: number, limits: Limits): Flag | undefined {
  if (limits.criticalHigh !== undefined && value > limits.criticalHigh) return 'HH';
  if (limits.criticalLow !== undefined && value < limits.criticalLow) return 'LL';
  if (limits.low === undefined && limits.high === undefined) return undefined;
  if (limits.high !== undefined && value > limits.high) return 'H';
  if (limits.low !== undefined && value < limits.low) return 'L';
  return 'N';
}

/** Severity order, to escalate a lab's flag when our critical limits are crossed. */
const SEVERITY: Record<Flag, number> = { N: 0, A: 1, L: 1, H: 1, LU: 2, HU: 2, LL: 3, HH: 3, AA: 3 };

/** The more severe of two flags (the first when equal). */
export function worseFlag(a: Flag | undefined, b: Flag | undefined): Flag | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return SEVERITY[b] > SEVERITY[a] ? b : a;
}
