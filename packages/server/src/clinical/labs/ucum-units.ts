/**
 * UCUM unit checks and conversions for lab results (https://ucum.org), through the NLM's
 * maintained implementation `@lhncbc/ucum-lhc`.
 */
import ucum from '@lhncbc/ucum-lhc';

const utils = ucum.UcumLhcUtils.getInstance();
const validity = new Map<string, string | undefined>();

/** Undefined when `unit` is a valid UCUM code; otherwise why it is not. */
export function ucumProblem(unit: string): string | undefined {
  if (validity.has(unit)) return validity.get(unit);
  let problem: string | undefined;
  if (!unit.trim()) problem = 'no unit';
  else {
    const r = utils.validateUnitString(unit);
    problem = r.status === 'valid' ? undefined : r.msg.join('; ') || `"${unit}" is not a valid UCUM unit`;
  }
  validity.set(unit, problem);
  return problem;
}

/**
 * `value` in `from` expressed in `to`; undefined when the units are not commensurable
 * (e.g. mmol/L and mg/dL, which need a molecular weight) or not valid UCUM.
 */
export function convertUnit(value: number, from: string, to: string): number | undefined {
  if (from === to) return value;
  if (ucumProblem(from) || ucumProblem(to)) return undefined;
  const r = utils.convertUnitTo(from, value, to);
  return r.status === 'succeeded' && typeof r.toVal === 'number' && Number.isFinite(r.toVal) ? r.toVal : undefined;
}
