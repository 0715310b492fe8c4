/**
 * Ranges, unit checks and flags for one numeric lab result: the range the lab sent, else
 * the shipped LOINC table's (converted to the result's unit by UCUM when commensurable),
 * the critical limits of the table, and the flag. Problems are returned as notes, never
 * dropped silently.
 */
import type { ObservationReferenceRange, Quantity } from '@medplum/fhirtypes';
import { loincRange } from './loinc-ranges.js';
import type { LoincRange } from './loinc-ranges.js';
import { convertUnit, ucumProblem } from './ucum-units.js';
import { flagFor, worseFlag } from './result-flags.js';
import type { Flag, Limits } from './result-flags.js';

export const UCUM_SYSTEM = 'http://unitsofmeasure.org';
const RANGE_MEANING = 'http://terminology.hl7.org/CodeSystem/referencerange-meaning';

/** A range as the lab sent it (OBX-7 or Observation.referenceRange). */
export interface GivenRange {
  low?: number;
  high?: number;
  text?: string;
}

export interface AssessInput {
  /** LOINC code, when the result is coded in LOINC. */
  loinc?: string;
  value: number;
  /** The result's unit (UCUM expected). */
  unit: string;
  range?: GivenRange;
  /** The lab's own flag, when it sent one. */
  flag?: Flag;
}

export interface Assessment {
  referenceRange?: ObservationReferenceRange[];
  flag?: Flag;
  /** Where the range came from. */
  rangeSource: 'message' | 'loinc-table' | 'none';
  /** Unit and range problems, written to Observation.note. */
  notes: string[];
}

/** A quantity in UCUM (the code only when the unit is valid UCUM). */
export function ucumQuantity(value: number, unit: string): Quantity {
  const q: Quantity = { value };
  if (unit) {
    q.unit = unit;
    if (!ucumProblem(unit)) {
      q.system = UCUM_SYSTEM;
      q.code = unit;
    }
  }
  return q;
}

/** Rounds a converted limit to 6 significant digits (no binary noise like 0.30000000000000004). */
function tidy(n: number): number {
  return Number(n.toPrecision(6));
}

/** The table's limits in `unit`, or why they cannot be used. */
function tableLimits(entry: LoincRange, unit: string): { limits: Limits } | { problem: string } {
  const raw: Limits = { low: entry.low, high: entry.high, criticalLow: entry.criticalLow, criticalHigh: entry.criticalHigh };
  if (!entry.unit || entry.unit === unit) return { limits: raw };
  const limits: Limits = {};
  for (const k of ['low', 'high', 'criticalLow', 'criticalHigh'] as const) {
    const v = raw[k];
    if (v === undefined) continue;
    const c = convertUnit(v, entry.unit, unit);
    if (c === undefined) return { problem: `the unit "${unit}" is not commensurable with the reference table's "${entry.unit}" for LOINC ${entry.loinc}: no default range applied` };
    limits[k] = tidy(c);
  }
  return { limits };
}

/**
 * The lowest a value of this code may be: negative results are refused for codes whose
 * shipped normal range starts at zero or above (concentrations, counts, activities).
 */
export function refusesNegative(loinc: string | undefined): boolean {
  const entry = loinc ? loincRange(loinc) : undefined;
  return entry?.low !== undefined && entry.low >= 0;
}

/** Assesses one numeric result (see the module comment). */
export function assessQuantity(input: AssessInput): Assessment {
  const notes: string[] = [];
  const unitProblem = input.unit ? ucumProblem(input.unit) : 'no unit';
  if (unitProblem) notes.push(`Unit check: ${input.unit ? `"${input.unit}" is not a UCUM unit (${unitProblem})` : 'the result has no unit'}.`);
  const entry = input.loinc ? loincRange(input.loinc) : undefined;
  let table: Limits = {};
  if (entry && !unitProblem) {
    const t = tableLimits(entry, input.unit);
    if ('problem' in t) notes.push(`Unit check: ${t.problem}.`);
    else table = t.limits;
  } else if (entry && unitProblem && (entry.low !== undefined || entry.high !== undefined)) {
    notes.push(`No default range applied: the unit cannot be compared with the reference table's "${entry.unit}".`);
  }
  const given = input.range && (input.range.low !== undefined || input.range.high !== undefined) ? input.range : undefined;
  const normal: Limits & { text?: string } = given ?? { low: table.low, high: table.high };
  const rangeSource: Assessment['rangeSource'] = given ? 'message' : normal.low !== undefined || normal.high !== undefined ? 'loinc-table' : 'none';
  const limits: Limits = { low: normal.low, high: normal.high, criticalLow: table.criticalLow, criticalHigh: table.criticalHigh };
  const computed = flagFor(input.value, limits);
  // The lab's flag stands; our critical limits can only make it more severe.
  const critical = computed === 'HH' || computed === 'LL' ? computed : undefined;
  const flag = input.flag ? worseFlag(input.flag, critical) : computed;
  const out: Assessment = { rangeSource, notes };
  if (flag) out.flag = flag;
  if (rangeSource !== 'none') {
    const rr: ObservationReferenceRange = { type: { coding: [{ system: RANGE_MEANING, code: 'normal', display: 'Normal Range' }] } };
    if (normal.low !== undefined) rr.low = ucumQuantity(normal.low, input.unit);
    if (normal.high !== undefined) rr.high = ucumQuantity(normal.high, input.unit);
    rr.text = rangeSource === 'message' ? (given?.text ?? 'from the laboratory') : `Chartroom default for LOINC ${input.loinc ?? ''} (not from the laboratory)`;
    out.referenceRange = [rr];
  }
  return out;
}

/** Parses a v2 reference range (OBX-7): `3.5-5.0`, `3.5 - 5.0`, `<5`, `<=5`, `>10`, `>= 10`. */
export function parseRangeText(text: string): GivenRange | undefined {
  const t = text.trim();
  if (!t) return undefined;
  const n = '([+-]?\\d+(?:\\.\\d+)?)';
  let m = new RegExp(`^${n}\\s*(?:-|–|to)\\s*${n}$`).exec(t);
  if (m) return { low: Number(m[1]), high: Number(m[2]), text: t };
  m = new RegExp(`^<=?\\s*${n}$`).exec(t);
  if (m) return { high: Number(m[1]), text: t };
  m = new RegExp(`^>=?\\s*${n}$`).exec(t);
  if (m) return { low: Number(m[1]), text: t };
  return { text: t };
}
