/**
 * A patient's results for one LOINC code as a series for plotting: points in one unit
 * (converted by UCUM where commensurable), each with its flag and range, and the range band
 * (from the shipped LOINC table, else the latest result's own range).
 */
import type { Observation, Patient } from '@medplum/fhirtypes';
import { badRequest } from '@chartroom/core';
import type { FhirRepository } from '../../store/fhir-repository.js';
import { loincRange } from './loinc-ranges.js';
import { convertUnit, ucumProblem } from './ucum-units.js';
import { flagCodeOf } from './result-flags.js';
import { readResource, searchResources } from './search-resources.js';

export interface TrendPoint {
  observationId: string;
  /** When the sample was taken (effective), else when reported. */
  date: string;
  value: number;
  comparator?: string;
  flag?: string;
  /** The range the result came with, in the series' unit. */
  low?: number;
  high?: number;
  /** The value and unit as reported, when converted. */
  reported?: { value: number; unit: string };
}

export interface LabTrend {
  patient: { id: string; display?: string };
  code: string;
  display: string;
  unit: string;
  /** The band to shade: normal (or therapeutic) range in `unit`. */
  range?: { low?: number; high?: number; source: 'loinc-table' | 'result' };
  points: TrendPoint[];
  /** Results that cannot be placed on the series (no number, or a unit that does not convert). */
  excluded: { observationId: string; date?: string; reason: string }[];
}

const LOINC_CODE = /^\d{1,7}-\d$/;

/** Six significant digits: conversions without binary noise. */
const tidy = (n: number): number => Number(n.toPrecision(6));

/** The trend of one LOINC code for a patient (404 for an unknown patient). */
export async function labTrend(repo: FhirRepository, patientId: string, code: string, options: { from?: string; to?: string } = {}): Promise<LabTrend> {
  if (!code) throw badRequest('code is required: a LOINC code such as 14334-7', 'code');
  if (!LOINC_CODE.test(code)) throw badRequest(`"${code}" is not a LOINC code (digits, a dash and a check digit, e.g. 14334-7)`, 'code');
  const patient = await readResource<Patient>(repo, 'Patient', patientId);
  const query: Record<string, string | string[]> = { patient: `Patient/${patientId}`, code: `http://loinc.org|${code}`, _sort: 'date' };
  const dates: string[] = [];
  if (options.from) dates.push(`ge${options.from}`);
  if (options.to) dates.push(`le${options.to}`);
  if (dates.length) query.date = dates;
  const { matches } = await searchResources<Observation>(repo, 'Observation', query);
  const results = matches.filter((o) => o.status !== 'entered-in-error' && o.status !== 'cancelled');
  const table = loincRange(code);
  const latestUnit = [...results].reverse().find((o) => o.valueQuantity?.code ?? o.valueQuantity?.unit)?.valueQuantity;
  const unit = table?.unit && !ucumProblem(table.unit) ? table.unit : (latestUnit?.code ?? latestUnit?.unit ?? '');
  const first = results.find((o) => o.code.coding?.some((c) => c.code === code));
  const display = table?.name ?? first?.code.text ?? first?.code.coding?.find((c) => c.code === code)?.display ?? code;
  const trend: LabTrend = {
    patient: { id: patientId, ...(patient.name?.[0] ? { display: patient.name[0].text ?? [patient.name[0].given?.join(' '), patient.name[0].family].filter(Boolean).join(' ') } : {}) },
    code,
    display,
    unit,
    points: [],
    excluded: [],
  };
  for (const o of results) {
    const date = o.effectiveDateTime ?? o.effectivePeriod?.start ?? o.effectiveInstant ?? o.issued;
    const q = o.valueQuantity;
    if (!date) {
      trend.excluded.push({ observationId: o.id as string, reason: 'no date' });
      continue;
    }
    if (q?.value === undefined) {
      trend.excluded.push({ observationId: o.id as string, date, reason: 'not a numeric result' });
      continue;
    }
    const from = q.code ?? q.unit ?? '';
    const value = from === unit ? q.value : convertUnit(q.value, from, unit);
    if (value === undefined) {
      trend.excluded.push({ observationId: o.id as string, date, reason: `unit "${from}" does not convert to "${unit}"` });
      continue;
    }
    const point: TrendPoint = { observationId: o.id as string, date, value: from === unit ? value : tidy(value) };
    if (q.comparator) point.comparator = q.comparator;
    const flag = flagCodeOf(o.interpretation);
    if (flag) point.flag = flag;
    const rr = o.referenceRange?.[0];
    const conv = (v: number | undefined, u: string | undefined): number | undefined => {
      if (v === undefined) return undefined;
      const c = convertUnit(v, u || from, unit);
      return c === undefined ? undefined : tidy(c);
    };
    const low = conv(rr?.low?.value, rr?.low?.code ?? rr?.low?.unit);
    const high = conv(rr?.high?.value, rr?.high?.code ?? rr?.high?.unit);
    if (low !== undefined) point.low = low;
    if (high !== undefined) point.high = high;
    if (from !== unit) point.reported = { value: q.value, unit: from };
    trend.points.push(point);
  }
  if (table && (table.low !== undefined || table.high !== undefined) && table.unit === unit) {
    trend.range = { source: 'loinc-table', ...(table.low !== undefined ? { low: table.low } : {}), ...(table.high !== undefined ? { high: table.high } : {}) };
  } else {
    const last = [...trend.points].reverse().find((p) => p.low !== undefined || p.high !== undefined);
    if (last) trend.range = { source: 'result', ...(last.low !== undefined ? { low: last.low } : {}), ...(last.high !== undefined ? { high: last.high } : {}) };
  }
  return trend;
}
