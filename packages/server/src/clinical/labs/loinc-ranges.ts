/**
 * The shipped LOINC reference table (loinc-lab-ranges.tsv beside this file, built by
 * scripts/build-loinc-ranges.mjs): UCUM unit, normal range and critical limits per code.
 * These are one institution's defaults, used only when a result carries no range of its own.
 * LOINC codes and names © Regenstrief Institute, Inc. (loinc.org/terms-of-use).
 */
import { readFileSync } from 'node:fs';

/** One code of the table. */
export interface LoincRange {
  loinc: string;
  name: string;
  /** UCUM unit the limits are in ('' when the table gives none). */
  unit: string;
  low?: number;
  high?: number;
  criticalLow?: number;
  criticalHigh?: number;
}

let table: Map<string, LoincRange> | undefined;

const num = (s: string | undefined): number | undefined => (s === undefined || s === '' ? undefined : Number(s));

/** Parses the table's text (comment lines start with `#`, then a header line). */
export function parseLoincRanges(text: string): Map<string, LoincRange> {
  const out = new Map<string, LoincRange>();
  const lines = text.split('\n').filter((l) => l && !l.startsWith('#'));
  for (const line of lines.slice(1)) {
    const [loinc = '', unit = '', low, high, criticalLow, criticalHigh, name = ''] = line.split('\t');
    const r: LoincRange = { loinc, name, unit };
    const values = { low: num(low), high: num(high), criticalLow: num(criticalLow), criticalHigh: num(criticalHigh) };
    for (const [k, v] of Object.entries(values)) if (v !== undefined) r[k as keyof typeof values] = v;
    out.set(loinc, r);
  }
  return out;
}

/** The shipped table, read once. */
export function loincRanges(): Map<string, LoincRange> {
  table ??= parseLoincRanges(readFileSync(new URL('./loinc-lab-ranges.tsv', import.meta.url), 'utf8'));
  return table;
}

/** The table's entry for a LOINC code, if any. */
export function loincRange(code: string): LoincRange | undefined {
  return loincRanges().get(code);
}
