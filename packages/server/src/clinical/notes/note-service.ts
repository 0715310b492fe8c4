/**
 * Clinical notes, transport-free: start a draft from a template (smart fields filled from
 * the chart), edit it, sign it (locked for good: author, signer and time recorded), then
 * correct it only by an addendum or, on the patient's request, an amendment that is
 * accepted or denied — both outcomes recorded and appended to the note, as ONC
 * §170.315(d)(4) asks. Editing a signed note, or signing or editing someone else's note,
 * is refused and changes nothing. See note-model.ts for how a note is stored.
 */
import type { DocumentReference, Patient, Practitioner, Task } from '@medplum/fhirtypes';
import { PSYCHIATRY_LABEL, badRequest, notFound, outcomeError, parseSearchRequest } from '@chartroom/core';
import type { OutcomeError } from '@chartroom/core';
import type { FhirRepository } from '../../store/fhir-repository.js';
import type { Clock } from '../../store/clock.js';
import { systemClock } from '../../store/clock.js';
import { lockFor } from '../../fhir/keyed-lock.js';
import { ChartSummaryService } from '../chart-summary/chart-summary.js';
import { patientName } from '../patients/patient-facts.js';
import { displayName } from '../schedule/appointment-service.js';
import { localDateTime, localDay } from '../schedule/local-time.js';
import { SECTIONS_CONTENT_TYPE, SIGNED_AT_URL, isNoteDocument, isPsychotherapyNote, isSigned, noteSummary, noteView } from './note-model.js';
import type { NoteSection, NoteSummary, NoteView } from './note-model.js';
import { NoteTemplates, fillSmartFields } from './note-templates.js';
import { b64, buildNoteDocument, renderNoteText } from './note-document.js';
import type { NoteDocumentInput } from './note-document.js';
import type { NoteTemplate } from './note-templates.js';

const forbidden = (message: string): OutcomeError => outcomeError('forbidden', message);

/** Who is writing: the clinician behind the request. */
export interface NoteActor {
  practitionerId: string | undefined;
}

export const AMENDMENT_TASK_SYSTEM = 'https://chartroom.dev/fhir/CodeSystem/task-kind';

/** A note with its addenda and amendment requests. */
export interface NoteDetail extends NoteView {
  addenda: NoteView[];
  amendments: AmendmentView[];
}

export interface AmendmentView {
  id: string;
  status: 'requested' | 'accepted' | 'denied';
  request: string | undefined;
  requestedBy: string | undefined;
  requestedOn: string | undefined;
  decidedOn: string | undefined;
  decidedBy: string | undefined;
  reason: string | undefined;
  record: string | undefined;
}

function sectionsInput(value: unknown, template: NoteTemplate | undefined, current: NoteSection[] | undefined): NoteSection[] | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badRequest('sections must be an object of section key → text', 'sections');
  const base = current ?? template?.sections.map((s) => ({ key: s.key, title: s.title, text: s.text ?? '' })) ?? [];
  const out = base.map((s) => ({ ...s }));
  for (const [key, text] of Object.entries(value as Record<string, unknown>)) {
    if (typeof text !== 'string') throw badRequest(`sections.${key} must be text`, `sections.${key}`);
    if (text.length > 100_000) throw badRequest(`sections.${key} is longer than 100,000 characters`, `sections.${key}`);
    const s = out.find((x) => x.key === key);
    if (!s) throw badRequest(`sections.${key} is not a section of this note (${out.map((x) => x.key).join(', ')})`, `sections.${key}`);
    s.text = text;
  }
  return out;
}

/** Notes over one repository. */
export class NoteService {
  readonly templates: NoteTemplates;
  private readonly charts: ChartSummaryService;

  constructor(
    private readonly repo: FhirRepository,
    private readonly clock: Clock = systemClock,
  ) {
    this.templates = new NoteTemplates(repo);
    this.charts = new ChartSummaryService(repo, clock);
  }

  private async clinician(actor: NoteActor): Promise<{ reference: string; display: string }> {
    if (!actor.practitionerId) throw forbidden('Only a clinician (a user linked to a Practitioner) can write or sign notes');
    const v = await this.repo.readCurrent('Practitioner', actor.practitionerId);
    if (!v || v.deleted) throw forbidden(`Practitioner/${actor.practitionerId} is not a known clinician`);
    return { reference: `Practitioner/${actor.practitionerId}`, display: displayName(JSON.parse(v.json) as Practitioner) };
  }

  private async loadDoc(id: string): Promise<DocumentReference> {
    const v = await this.repo.readCurrent('DocumentReference', id);
    if (!v || v.deleted) throw notFound(`Note ${id} not found`);
    return JSON.parse(v.json) as DocumentReference;
  }

  private checkReadable(d: DocumentReference, actor: NoteActor | undefined): void {
    if (actor && isPsychotherapyNote(d) && !d.author?.some((a) => a.reference === `Practitioner/${actor.practitionerId ?? ''}`)) {
      throw forbidden('A psychotherapy note is readable by its author only');
    }
  }

  private build(opts: Omit<NoteDocumentInput, 'at'>): DocumentReference {
    return buildNoteDocument({ ...opts, at: localDateTime(new Date(this.clock.now())) });
  }

  private withSignature(d: DocumentReference, signer: { reference: string; display: string }): DocumentReference {
    const at = localDateTime(new Date(this.clock.now()));
    const view = noteView(d);
    const patient = d.subject?.display ?? '';
    const next: DocumentReference = {
      ...d,
      docStatus: 'final',
      authenticator: signer,
      date: at,
      extension: [...(d.extension ?? []).filter((e) => e.url !== SIGNED_AT_URL), { url: SIGNED_AT_URL, valueDateTime: at }],
      content: d.content.map((c) =>
        (c.attachment.contentType ?? '').startsWith('text/plain') ? { attachment: { ...c.attachment, data: b64(renderNoteText(view.title, patient, view.sections, { by: signer.display, at })) } } : c,
      ),
    };
    delete next.meta?.versionId;
    delete next.meta?.lastUpdated;
    return next;
  }

  /**
   * Starts a draft note for a patient: from a template (`template` or `templateId`; smart
   * fields filled from the chart, `sections` overriding section texts), or as free `text`.
   */
  async create(
    patientId: string,
    input: { template?: unknown; templateId?: unknown; title?: unknown; sections?: unknown; text?: unknown; encounter?: unknown },
    actor: NoteActor,
  ): Promise<NoteView> {
    if (typeof input !== 'object' || input === null) throw badRequest('The body must be an object with a template (or text)');
    const author = await this.clinician(actor);
    const pv = await this.repo.readCurrent('Patient', patientId);
    if (!pv || pv.deleted) throw notFound(`Patient/${patientId} not found`);
    const templateId = input.template ?? input.templateId;
    if (templateId === undefined && input.text === undefined) throw badRequest('template is required: a note template id (or send the note as text)', 'template');
    const template = templateId === undefined ? undefined : await this.templates.get(templateId, input.template !== undefined ? 'template' : 'templateId');
    if (input.title !== undefined && (typeof input.title !== 'string' || !input.title.trim() || input.title.length > 200)) throw badRequest('title must be text of at most 200 characters', 'title');
    if (input.text !== undefined && (typeof input.text !== 'string' || input.text.length > 100_000)) throw badRequest('text must be text of at most 100,000 characters', 'text');
    if (input.encounter !== undefined && (typeof input.encounter !== 'string' || !/^[A-Za-z0-9\-.]{1,64}$/.test(input.encounter))) throw badRequest('encounter must be an Encounter id', 'encounter');
    let sections: NoteSection[];
    if (typeof input.text === 'string') {
      if (input.sections !== undefined) throw badRequest('send either sections or text, not both', 'text');
      sections = [{ key: 'text', title: 'Note', text: input.text }];
    } else {
      const chart = await this.charts.summary(patientId);
      const today = localDay(new Date(this.clock.now()));
      const filled = (template?.sections ?? []).map((s) => ({ key: s.key, title: s.title, text: fillSmartFields(s.text ?? '', chart, today) }));
      sections = sectionsInput(input.sections, undefined, filled) ?? filled;
    }
    const patient = JSON.parse(pv.json) as Patient;
    const doc = this.build({
      patient: { reference: `Patient/${patientId}`, display: patientName(patient) },
      author,
      title: typeof input.title === 'string' ? input.title.trim() : (template?.title ?? 'Note'),
      template,
      kind: 'note',
      sections,
      psychotherapy: template?.psychotherapy ?? false,
      psychiatry: template?.id === 'psychiatric-evaluation' || template?.id === 'medication-management',
      signed: false,
      ...(typeof input.encounter === 'string' ? { encounter: input.encounter } : {}),
    });
    return noteView(JSON.parse((await this.repo.create(doc)).json) as DocumentReference);
  }

  /** Edits a draft: only its author, and never once signed. */
  async update(id: string, input: { sections?: unknown; text?: unknown; title?: unknown; ifMatch?: unknown }, actor: NoteActor): Promise<NoteView> {
    if (typeof input !== 'object' || input === null) throw badRequest('The body must be an object with sections');
    return lockFor(this.repo).run([`note:${id}`], async () => {
      const d = await this.loadDoc(id);
      this.checkReadable(d, actor);
      if (isSigned(d)) throw outcomeError('conflict', `Note ${id} is signed and locked; write an addendum instead`);
      if (!actor.practitionerId || !d.author?.some((a) => a.reference === `Practitioner/${actor.practitionerId ?? ''}`)) {
        throw forbidden(`Note ${id} is a draft of ${d.author?.[0]?.display ?? 'another clinician'}; only its author can edit it`);
      }
      if (input.ifMatch !== undefined && input.ifMatch !== d.meta?.versionId) {
        throw outcomeError('preconditionFailed', `Note ${id} changed since version ${String(input.ifMatch)} (now ${d.meta?.versionId ?? '?'}); reload it`);
      }
      if (input.title !== undefined && (typeof input.title !== 'string' || !input.title.trim() || input.title.length > 200)) throw badRequest('title must be text of at most 200 characters', 'title');
      const view = noteView(d);
      if (input.text !== undefined && (typeof input.text !== 'string' || input.text.length > 100_000)) throw badRequest('text must be text of at most 100,000 characters', 'text');
      if (input.text !== undefined && input.sections !== undefined) throw badRequest('send either sections or text, not both', 'text');
      const sections = typeof input.text === 'string' ? [{ key: 'text', title: 'Note', text: input.text }] : (sectionsInput(input.sections, undefined, view.sections) ?? view.sections);
      const title = typeof input.title === 'string' ? input.title.trim() : view.title;
      const next: DocumentReference = {
        ...d,
        type: { ...d.type, text: title },
        description: `${title} for ${d.subject?.display ?? ''}`,
        date: localDateTime(new Date(this.clock.now())),
        content: [
          { attachment: { contentType: 'text/plain; charset=utf-8', language: 'en', title, data: b64(renderNoteText(title, d.subject?.display ?? '', sections)) } },
          { attachment: { contentType: SECTIONS_CONTENT_TYPE, title: 'sections', data: b64(JSON.stringify({ template: view.templateId, sections })) } },
        ],
      };
      delete next.meta?.versionId;
      delete next.meta?.lastUpdated;
      const { version } = await this.repo.update(next, { ifMatch: d.meta?.versionId });
      return noteView(JSON.parse(version.json) as DocumentReference);
    });
  }

  /** Signs a draft: only its author; the note is locked from then on. */
  async sign(id: string, actor: NoteActor): Promise<NoteView> {
    const signer = await this.clinician(actor);
    return lockFor(this.repo).run([`note:${id}`], async () => {
      const d = await this.loadDoc(id);
      this.checkReadable(d, actor);
      if (isSigned(d)) throw outcomeError('conflict', `Note ${id} is already signed (by ${d.authenticator?.display ?? '?'})`);
      if (!d.author?.some((a) => a.reference === signer.reference)) {
        throw forbidden(`Note ${id} was written by ${d.author?.[0]?.display ?? 'another clinician'}; only its author can sign it`);
      }
      const { version } = await this.repo.update(this.withSignature(d, signer), { ifMatch: d.meta?.versionId });
      return noteView(JSON.parse(version.json) as DocumentReference);
    });
  }

  /** Appends a signed addendum to a signed note (a new DocumentReference that `appends` it). */
  async addendum(id: string, input: { text?: unknown }, actor: NoteActor): Promise<NoteView> {
    if (typeof input !== 'object' || input === null || typeof input.text !== 'string' || !input.text.trim()) throw badRequest('text is required: the addendum', 'text');
    if (input.text.length > 100_000) throw badRequest('text is longer than 100,000 characters', 'text');
    const author = await this.clinician(actor);
    const d = await this.loadDoc(id);
    this.checkReadable(d, actor);
    if (!isSigned(d)) throw outcomeError('conflict', `Note ${id} is still a draft; edit it instead of adding an addendum`);
    if (d.relatesTo?.some((r) => r.code === 'appends')) throw outcomeError('conflict', `Note ${id} is itself an addendum or amendment record; add the addendum to the original note`);
    const view = noteView(d);
    const doc = this.build({
      patient: { reference: d.subject?.reference ?? '', display: d.subject?.display ?? '' },
      author,
      title: `Addendum to ${view.title}`,
      template: undefined,
      kind: 'addendum',
      sections: [{ key: 'addendum', title: `Addendum to ${view.title} of ${view.signedAt ?? view.date ?? ''}`, text: input.text.trim() }],
      psychotherapy: view.psychotherapy,
      psychiatry: d.meta?.security?.some((s) => s.code === PSYCHIATRY_LABEL.code) ?? false,
      signed: true,
      appends: id,
    });
    return noteView(JSON.parse((await this.repo.create(doc)).json) as DocumentReference);
  }

  /** A note with its addenda and amendment requests. */
  async get(id: string, actor?: NoteActor): Promise<NoteDetail> {
    const d = await this.loadDoc(id);
    this.checkReadable(d, actor);
    const [related, tasks] = await Promise.all([
      this.repo.search(parseSearchRequest('DocumentReference', { relatesto: `DocumentReference/${id}`, _count: '200', _sort: 'date' })),
      this.repo.search(parseSearchRequest('Task', { focus: `DocumentReference/${id}`, _count: '200' })),
    ]);
    const addenda = related.matches.map((v) => noteView(JSON.parse(v.json) as DocumentReference));
    return { ...noteView(d), addenda, amendments: tasks.matches.map((v) => this.amendmentView(JSON.parse(v.json) as Task)) };
  }

  /** A patient's notes, newest first (uploaded documents, letters and psychotherapy notes of others left out). */
  async list(patientId: string, actor?: NoteActor): Promise<NoteSummary[]> {
    const res = await this.repo.search(parseSearchRequest('DocumentReference', { subject: `Patient/${patientId}`, _sort: '-date', _count: '200' }));
    return res.matches
      .map((v) => JSON.parse(v.json) as DocumentReference)
      .filter(isNoteDocument)
      .filter((d) => !actor || !isPsychotherapyNote(d) || d.author?.some((a) => a.reference === `Practitioner/${actor.practitionerId ?? ''}`))
      .map(noteSummary);
  }

  private amendmentView(t: Task): AmendmentView {
    const status = t.status === 'completed' ? 'accepted' : t.status === 'rejected' ? 'denied' : 'requested';
    return {
      id: t.id ?? '',
      status,
      request: t.description,
      requestedBy: t.requester?.display ?? t.requester?.reference,
      requestedOn: t.authoredOn,
      decidedOn: status === 'requested' ? undefined : t.lastModified,
      decidedBy: status === 'requested' ? undefined : (t.owner?.display ?? t.owner?.reference),
      reason: t.statusReason?.text,
      record: t.output?.[0]?.valueReference?.reference?.replace(/^DocumentReference\//, ''),
    };
  }

  /** Records a patient's request to amend a signed note (a Task focused on the note). */
  async requestAmendment(noteId: string, input: { request?: unknown; requestedBy?: unknown }, actor?: NoteActor): Promise<AmendmentView> {
    if (typeof input !== 'object' || input === null || typeof input.request !== 'string' || !input.request.trim()) throw badRequest('request is required: what the patient asks to change', 'request');
    if (input.requestedBy !== undefined && (typeof input.requestedBy !== 'string' || !input.requestedBy.trim())) throw badRequest('requestedBy must be text (who asked)', 'requestedBy');
    const d = await this.loadDoc(noteId);
    this.checkReadable(d, actor);
    if (!isSigned(d)) throw outcomeError('conflict', `Note ${noteId} is a draft; amendments apply to signed notes`);
    const now = localDateTime(new Date(this.clock.now()));
    const task: Task = {
      resourceType: 'Task',
      status: 'requested',
      intent: 'order',
      code: { coding: [{ system: AMENDMENT_TASK_SYSTEM, code: 'amendment-request', display: 'Patient request to amend the record' }] },
      description: input.request.trim(),
      focus: { reference: `DocumentReference/${noteId}` },
      for: { reference: d.subject?.reference ?? '', display: d.subject?.display },
      authoredOn: now,
      lastModified: now,
      requester: typeof input.requestedBy === 'string' ? { display: input.requestedBy.trim() } : { reference: d.subject?.reference ?? '', display: d.subject?.display },
      ...(d.author?.[0] ? { owner: d.author[0] } : {}),
      ...(d.meta?.security ? { meta: { security: d.meta.security } } : {}),
    };
    return this.amendmentView(JSON.parse((await this.repo.create(task)).json) as Task);
  }

  /**
   * Accepts or denies an amendment request. Either way a signed record is appended to the
   * note (the amendment text, or the request with the reason for denial), and the Task
   * keeps the decision, who made it and when.
   */
  async decideAmendment(taskId: string, input: { decision?: unknown; reason?: unknown; amendment?: unknown }, actor: NoteActor): Promise<AmendmentView> {
    if (typeof input !== 'object' || input === null) throw badRequest('The body must be an object with a decision');
    if (input.decision !== 'accepted' && input.decision !== 'denied') throw badRequest('decision must be accepted or denied', 'decision');
    const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
    const amendment = typeof input.amendment === 'string' ? input.amendment.trim() : '';
    if (input.decision === 'denied' && !reason) throw badRequest('reason is required to deny an amendment', 'reason');
    if (input.decision === 'accepted' && !amendment) throw badRequest('amendment is required: the corrected text to append', 'amendment');
    const author = await this.clinician(actor);
    return lockFor(this.repo).run([`amendment:${taskId}`], async () => {
      const tv = await this.repo.readCurrent('Task', taskId);
      const task = tv && !tv.deleted ? (JSON.parse(tv.json) as Task) : undefined;
      if (!task || !task.code?.coding?.some((c) => c.code === 'amendment-request')) throw notFound(`Amendment request ${taskId} not found`);
      if (task.status !== 'requested') throw outcomeError('conflict', `Amendment request ${taskId} was already ${task.status === 'completed' ? 'accepted' : 'denied'}`);
      const noteId = task.focus?.reference?.replace(/^DocumentReference\//, '') ?? '';
      const d = await this.loadDoc(noteId);
      this.checkReadable(d, actor);
      const view = noteView(d);
      const accepted = input.decision === 'accepted';
      const sections: NoteSection[] = accepted
        ? [
            { key: 'request', title: 'Patient request', text: task.description ?? '' },
            { key: 'amendment', title: 'Amendment (accepted)', text: amendment },
          ]
        : [
            { key: 'request', title: 'Patient request', text: task.description ?? '' },
            { key: 'denial', title: 'Request denied', text: reason },
          ];
      if (accepted && reason) sections.push({ key: 'note', title: 'Comment', text: reason });
      return this.repo.withTransaction(async (tx) => {
        const doc = this.build({
          patient: { reference: d.subject?.reference ?? '', display: d.subject?.display ?? '' },
          author,
          title: `${accepted ? 'Amendment' : 'Denied amendment request'} to ${view.title}`,
          template: undefined,
          kind: accepted ? 'amendment-accepted' : 'amendment-denied',
          sections,
          psychotherapy: view.psychotherapy,
          psychiatry: d.meta?.security?.some((s) => s.code === PSYCHIATRY_LABEL.code) ?? false,
          signed: true,
          appends: noteId,
        });
            const record = JSON.parse((await tx.create(doc)).json) as DocumentReference;
        const next: Task = {
          ...task,
          status: accepted ? 'completed' : 'rejected',
          businessStatus: { text: accepted ? 'accepted' : 'denied' },
          lastModified: localDateTime(new Date(this.clock.now())),
          owner: author,
          ...(reason ? { statusReason: { text: reason } } : {}),
          output: [{ type: { text: 'amendment record' }, valueReference: { reference: `DocumentReference/${record.id ?? ''}` } }],
        };
        delete next.meta?.versionId;
        delete next.meta?.lastUpdated;
        const { version } = await tx.update(next, { ifMatch: tv?.rev });
        return this.amendmentView(JSON.parse(version.json) as Task);
      });
    });
  }
}
