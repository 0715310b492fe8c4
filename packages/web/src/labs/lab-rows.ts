/** Lab results of a chart grouped per analyte (LOINC code), newest first, with flags and ranges. */
import { codeIn, conceptText, quantityText } from '../api/fhir-format';
import type { Observation, ReferenceRange } from '../api/fhir-types';
import { obsDate } from '../chart/chart.resource';

export interface LabSeries {
  code: string;
  name: string;
  latest: Observation;
  results: Observation[];
}

/** Is the result outside its range (interpretation H, L, A, HH, LL…)? */
export function abnormalFlag(o: Observation): string | undefined {
  const f = codeIn(o.interpretation?.[0]);
  return f && f !== 'N' ? f : undefined;
}

/** "0.6–1.2 mmol/L". */
export function rangeText(r: ReferenceRange | undefined): string {
  if (!r) return '';
  if (r.text) return r.text;
  const unit = r.low?.unit ?? r.high?.unit ?? '';
  if (r.low?.value !== undefined && r.high?.value !== undefined) return `${r.low.value}–${r.high.value} ${unit}`.trim();
  if (r.low?.value !== undefined) return `≥ ${quantityText(r.low)}`;
  if (r.high?.value !== undefined) return `≤ ${quantityText(r.high)}`;
  return '';
}

/** Groups laboratory observations per code. */
export function labSeries(observations: Observation[]): LabSeries[] {
  const map = new Map<string, LabSeries>();
  for (const o of observations) {
    if (!o.category?.some((c) => codeIn(c) === 'laboratory') || o.valueQuantity?.value === undefined) continue;
    const code = codeIn(o.code) ?? conceptText(o.code);
    const s = map.get(code);
    if (s) s.results.push(o);
    else map.set(code, { code, name: conceptText(o.code), latest: o, results: [o] });
  }
  for (const s of map.values()) s.results.sort((a, b) => (obsDate(b) ?? '').localeCompare(obsDate(a) ?? ''));
  for (const s of map.values()) s.latest = s.results[0] ?? s.latest;
  return [...map.values()].sort((a, b) => (obsDate(b.latest) ?? '').localeCompare(obsDate(a.latest) ?? ''));
}
