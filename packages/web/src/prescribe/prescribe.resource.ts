/**
 * Prescribing: drug search (GET /api/drugs?q=), the interaction and allergy check
 * (POST /api/patients/:id/medication-check) and the prescription (POST /api/patients/:id/prescriptions).
 */
import { apiRequest } from '../api/api-client';
import type { MedicationRequest } from '../api/fhir-types';

export const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

export interface Drug {
  code: string;
  name: string;
  detail?: string;
}

/** Reads the drug search answer ({drugs|results: […]}, a list, or a Bundle of Medications). */
export function readDrugs(body: unknown): Drug[] {
  const o = (body ?? {}) as Record<string, unknown>;
  let list: unknown[] = Array.isArray(body) ? body : ((o.drugs ?? o.results ?? o.items ?? []) as unknown[]);
  if (o.resourceType === 'Bundle') list = ((o.entry ?? []) as { resource?: unknown }[]).map((e) => e.resource);
  return list
    .map((d): Drug | undefined => {
      const x = (d ?? {}) as Record<string, unknown>;
      const coding = (x.code as { coding?: { code?: string; display?: string }[] } | undefined)?.coding?.[0];
      const code = [x.rxcui, x.rxnorm, typeof x.code === 'string' ? x.code : undefined, coding?.code, x.id].find((v) => typeof v === 'string') as string | undefined;
      const name = [x.name, x.display, x.text, coding?.display, x.term].find((v) => typeof v === 'string') as string | undefined;
      const classes = Array.isArray(x.classes) ? (x.classes as { name?: string }[]).map((c) => c.name).filter((n): n is string => !!n) : [];
      const detail = [x.strength, x.form, x.doseForm, x.ingredient, ...classes].filter((v) => typeof v === 'string').join(' · ');
      return code && name ? { code, name, detail: detail || undefined } : undefined;
    })
    .filter((d): d is Drug => !!d);
}

/** Searches drugs by name. */
export async function searchDrugs(q: string, signal: AbortSignal): Promise<Drug[]> {
  const body = await apiRequest<unknown>(`/api/drugs?q=${encodeURIComponent(q)}`, { signal, what: 'Searching drugs' });
  const unavailable = (body as { unavailable?: unknown } | undefined)?.unavailable;
  if (typeof unavailable === 'string') throw new Error(`Drug list unavailable: ${unavailable}`);
  return readDrugs(body);
}

export type AlertSeverity = 'contraindicated' | 'major' | 'moderate' | 'minor' | 'info';

export interface MedAlert {
  ruleId: string;
  kind: string;
  severity: AlertSeverity;
  summary: string;
  explanation?: string;
  source?: string;
  /** Prescribing needs a reason to override this alert. */
  needsReason: boolean;
}

function severityOf(v: unknown): AlertSeverity {
  const s = String(v ?? '').toLowerCase();
  if (/contra|critical|severe|high/.test(s)) return 'contraindicated';
  if (/major|serious|warning/.test(s)) return 'major';
  if (/moderate|medium/.test(s)) return 'moderate';
  if (/minor|low/.test(s)) return 'minor';
  return 'info';
}

function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return text(o.label ?? o.name ?? o.title ?? o.text ?? o.display);
  }
  return undefined;
}

/** Reads a medication-check answer ({alerts|issues|cards: […]}); undefined if it has no list at all. */
export function readAlerts(body: unknown): MedAlert[] | undefined {
  const o = (body ?? {}) as Record<string, unknown>;
  const list = Array.isArray(body) ? body : ((o.alerts ?? o.issues ?? o.cards ?? o.warnings) as unknown[] | undefined);
  if (!Array.isArray(list)) return undefined;
  return list.map((a, i) => {
    const x = (a ?? {}) as Record<string, unknown>;
    const severity = severityOf(x.severity ?? x.indicator ?? x.level);
    const flag = [x.overrideReasonRequired, x.requiresOverride, x.overrideRequired].find((v) => typeof v === 'boolean') as boolean | undefined;
    const needs = flag ?? severity === 'contraindicated';
    return {
      ruleId: String(x.ruleId ?? x.id ?? x.uuid ?? `alert-${i}`),
      kind: String(x.kind ?? x.type ?? x.category ?? 'alert'),
      severity,
      summary: text(x.summary ?? x.title ?? x.message) ?? 'Alert',
      explanation: text(x.explanation ?? x.detail ?? x.description),
      source: text(x.source ?? x.reference ?? x.evidence),
      needsReason: needs,
    };
  });
}

export interface CheckResult {
  alerts: MedAlert[];
  /** Items that could not be checked ("not checked: …"), when the check was partial. */
  notChecked: string[];
}

/** Runs the interaction and allergy check on a draft prescription; throws when nothing could be checked. */
export async function checkMedication(patientId: string, draft: MedicationRequest, signal: AbortSignal): Promise<CheckResult> {
  const body = await apiRequest<unknown>(`/api/patients/${encodeURIComponent(patientId)}/medication-check`, { method: 'POST', body: { medicationRequest: draft }, signal, what: 'Checking interactions and allergies' });
  const o = (body ?? {}) as Record<string, unknown>;
  const notChecked = Array.isArray(o.notChecked) ? (o.notChecked as Record<string, unknown>[]).map((n) => `${text(n.display) ?? 'item'}: ${text(n.reason) ?? 'not checked'}`) : [];
  if (o.status === 'unavailable' || o.available === false) throw new Error(notChecked.join('; ') || text(o.message) || 'the server says checking is unavailable');
  const alerts = readAlerts(body);
  if (!alerts) throw new Error('the check answered without a list of alerts');
  return { alerts, notChecked };
}

/** Sends the prescription with the reasons for overridden alerts. */
export async function prescribe(patientId: string, medicationRequest: MedicationRequest, overrides: { ruleId: string; reason: string }[]): Promise<void> {
  await apiRequest(`/api/patients/${encodeURIComponent(patientId)}/prescriptions`, { method: 'POST', body: { medicationRequest, overrides }, what: 'Prescribing' });
}
