/** The results inbox (GET /api/results-inbox) and acknowledging a result (POST /api/results/:id/acknowledge). */
import { apiRequest } from '../api/api-client';
import { conceptText, quantityText, refId } from '../api/fhir-format';
import type { Observation, Reference } from '../api/fhir-types';

export interface InboxResult {
  id: string;
  patientId?: string;
  patientName: string;
  test: string;
  value: string;
  flag?: string;
  range?: string;
  date?: string;
}

type Obj = Record<string, unknown>;
const s = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

/** Reads one inbox item (an Observation, or {id, patient, test, value, flag, date} in some spelling). */
function readItem(x: Obj): InboxResult | undefined {
  const obs = (x.resourceType === 'Observation' ? x : x.observation ?? x.resource) as Observation | undefined;
  const patient = (x.patient ?? {}) as Obj;
  const subject = (obs?.subject ?? x.subject) as Reference | undefined;
  const id = s(x.id) ?? obs?.id;
  if (!id) return undefined;
  return {
    id,
    patientId: s(patient.id) ?? s(x.patientId) ?? refId(subject),
    patientName: s(patient.name) ?? s(x.patientName) ?? subject?.display ?? 'Patient',
    test: s(x.test) ?? s(x.name) ?? s(x.display) ?? (obs ? conceptText(obs.code) : 'Result'),
    value: s(x.value) ?? (typeof x.value === 'object' && x.value ? quantityText(x.value as Obj) : '') ?? '',
    flag: s(x.flag) ?? s(x.interpretation) ?? (obs?.interpretation ? conceptText(obs.interpretation[0]) : undefined),
    range: s(x.range) ?? s(x.referenceRange) ?? obs?.referenceRange?.[0]?.text,
    date: s(x.date) ?? s(x.issued) ?? obs?.effectiveDateTime ?? obs?.issued,
  };
}

/** Reads the inbox answer. */
export function readInbox(body: unknown): InboxResult[] {
  const o = (body ?? {}) as Obj;
  let list: unknown[] = Array.isArray(body) ? body : ((o.results ?? o.items ?? o.inbox ?? []) as unknown[]);
  if (o.resourceType === 'Bundle') list = ((o.entry ?? []) as { resource?: unknown }[]).map((e) => e.resource);
  return list.map((x) => readItem((x ?? {}) as Obj)).filter((r): r is InboxResult => !!r);
}

/** Loads the unacknowledged results. */
export async function loadInbox(signal: AbortSignal): Promise<InboxResult[]> {
  return readInbox(await apiRequest<unknown>('/api/results-inbox', { signal, what: 'Loading the results inbox' }));
}

/** Acknowledges a result. */
export async function acknowledge(id: string): Promise<void> {
  await apiRequest(`/api/results/${encodeURIComponent(id)}/acknowledge`, { method: 'POST', body: {}, what: 'Acknowledging the result' });
}
