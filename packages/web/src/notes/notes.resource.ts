/** Notes: templates (GET /api/note-templates), drafts (POST /api/patients/:id/notes, PUT /api/notes/:id), sign and addendum. */
import { apiRequest } from '../api/api-client';
import type { Attachment, DocumentReference } from '../api/fhir-types';

export interface NoteTemplate {
  id: string;
  name: string;
  text: string;
}

/** Built-in templates, used when the server offers none. Smart fields are `{{name}}`. */
export const BUILT_IN_TEMPLATES: NoteTemplate[] = [
  { id: 'builtin-soap', name: 'Progress note (SOAP)', text: 'Subjective:\n\nObjective:\nVitals: {{vitals}}\n\nAssessment:\nProblems: {{problems}}\n\nPlan:\nMedications: {{medications}}\n' },
  { id: 'builtin-psych', name: 'Psychiatric follow-up', text: 'Interval history:\n\nMental status exam:\n\nRisk assessment:\n\nMedications: {{medications}}\nAllergies: {{allergies}}\n\nPlan:\n' },
  { id: 'builtin-blank', name: 'Blank note', text: '' },
];

/** Reads the template list answer tolerantly ({templates: […]}, a list, or a Bundle of Questionnaires/… is not expected). */
function readTemplates(body: unknown): NoteTemplate[] {
  const list = Array.isArray(body) ? body : ((body as { templates?: unknown[] } | undefined)?.templates ?? []);
  return list
    .map((t) => {
      const o = (t ?? {}) as Record<string, unknown>;
      const id = typeof o.id === 'string' ? o.id : undefined;
      const text = [o.text, o.body, o.content].find((x) => typeof x === 'string') as string | undefined;
      const sections = Array.isArray(o.sections) ? (o.sections as { title?: string; heading?: string; text?: string; prompt?: string }[]).map((s) => `${s.title ?? s.heading ?? ''}:\n${s.text ?? s.prompt ?? ''}\n`).join('\n') : undefined;
      return id ? { id, name: String(o.name ?? o.title ?? id), text: text ?? sections ?? '' } : undefined;
    })
    .filter((t): t is NoteTemplate => !!t);
}

/** The templates the server offers (or the built-in ones, saying which). */
export async function loadTemplates(signal: AbortSignal): Promise<{ templates: NoteTemplate[]; builtIn: boolean }> {
  try {
    const t = readTemplates(await apiRequest<unknown>('/api/note-templates', { signal, what: 'Loading note templates' }));
    return t.length ? { templates: t, builtIn: false } : { templates: BUILT_IN_TEMPLATES, builtIn: true };
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    return { templates: BUILT_IN_TEMPLATES, builtIn: true };
  }
}

/** Fills `{{field}}` smart fields from the chart (unknown fields stay as they are). */
export function fillSmartFields(text: string, values: Record<string, string>): string {
  return text.replace(/\{\{\s*([\w.-]+)\s*\}\}/g, (m, k: string) => values[k] ?? m);
}

export interface SavedNote {
  id: string;
  status?: string;
}

function idOf(body: unknown): SavedNote {
  const o = (body ?? {}) as Record<string, unknown>;
  const inner = (o.note ?? o.document ?? o) as Record<string, unknown>;
  const id = inner.id;
  if (typeof id !== 'string') throw new Error('The server saved the note but did not say its id');
  return { id, status: typeof inner.status === 'string' ? inner.status : undefined };
}

/** Creates a draft note. */
export async function createDraft(patientId: string, note: { title: string; text: string; templateId?: string }): Promise<SavedNote> {
  return idOf(await apiRequest(`/api/patients/${encodeURIComponent(patientId)}/notes`, { method: 'POST', body: note, what: 'Saving the draft' }));
}

/** Saves a draft's text. */
export async function saveDraft(id: string, note: { title: string; text: string }): Promise<void> {
  await apiRequest(`/api/notes/${encodeURIComponent(id)}`, { method: 'PUT', body: note, what: 'Saving the draft' });
}

/** Signs a note (it is locked from then on). */
export async function signNote(id: string): Promise<void> {
  await apiRequest(`/api/notes/${encodeURIComponent(id)}/sign`, { method: 'POST', body: {}, what: 'Signing the note' });
}

/** Adds an addendum to a signed note. */
export async function addAddendum(id: string, text: string): Promise<void> {
  await apiRequest(`/api/notes/${encodeURIComponent(id)}/addendum`, { method: 'POST', body: { text }, what: 'Saving the addendum' });
}

/** The text of a note document (inline base64 text attachments). */
export function noteText(d: DocumentReference): string {
  return (d.content ?? [])
    .map((c) => c.attachment)
    .filter((a): a is Attachment => !!a?.data && (!a.contentType || a.contentType.startsWith('text/')))
    .map((a) => new TextDecoder().decode(Uint8Array.from(atob(a.data ?? ''), (ch) => ch.charCodeAt(0))))
    .join('\n\n');
}

/** Is the note signed (final, or authenticated)? */
export function isSigned(d: DocumentReference): boolean {
  return d.docStatus === 'final' || d.docStatus === 'amended' || !!d.authenticator;
}
