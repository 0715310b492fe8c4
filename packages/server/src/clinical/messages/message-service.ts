/**
 * Patient messages as FHIR Communications (https://hl7.org/fhir/R4/communication.html),
 * part of the patient's chart (`subject`): a thread starts with a message (its `topic` is
 * the subject line), replies point at the message answered (`inResponseTo`) and at the
 * thread's first message (`partOf`). Open messages are `in-progress`; marking a thread
 * handled completes all of its messages and notes who and when.
 */
import type { Communication, Patient, Practitioner, Reference } from '@medplum/fhirtypes';
import { badRequest, notFound } from '@chartroom/core';
import type { FhirRepository } from '../../store/fhir-repository.js';
import type { Clock } from '../../store/clock.js';
import { systemClock } from '../../store/clock.js';
import { searchResources } from '../labs/search-resources.js';
import { printName } from '../letters/letter-context.js';

export const MESSAGE_CATEGORY_SYSTEM = 'https://chartroom.dev/fhir/CodeSystem/communication-category';
const CATEGORY = { coding: [{ system: MESSAGE_CATEGORY_SYSTEM, code: 'patient-message', display: 'Patient message' }], text: 'Patient message' };

/** Which way a message went. */
export type Direction = 'to-patient' | 'from-patient';

export interface MessageView {
  id: string;
  direction: Direction;
  from?: string;
  to?: string;
  text: string;
  sent?: string;
  inResponseTo?: string;
}

export interface ThreadView {
  id: string;
  patient: string;
  subject: string;
  status: 'open' | 'handled';
  handledBy?: string;
  handledAt?: string;
  lastAt?: string;
  messages: MessageView[];
}

/** Who is writing: a clinician's Practitioner id and a display name (username) for others. */
export interface MessageActor {
  practitionerId?: string;
  display?: string;
}

const ID = /^[A-Za-z0-9\-.]{1,64}$/;
const MAX_TEXT = 10_000;

function textOf(c: Communication): string {
  return c.payload?.map((p) => p.contentString ?? '').join('\n') ?? '';
}

function directionOf(c: Communication): Direction {
  return c.sender?.reference?.startsWith('Patient/') ? 'from-patient' : 'to-patient';
}

function messageView(c: Communication): MessageView {
  const v: MessageView = { id: c.id as string, direction: directionOf(c), text: textOf(c) };
  const from = c.sender?.display ?? c.sender?.reference;
  const to = c.recipient?.[0]?.display ?? c.recipient?.[0]?.reference;
  if (from) v.from = from;
  if (to) v.to = to;
  if (c.sent) v.sent = c.sent;
  const parent = c.inResponseTo?.[0]?.reference?.replace(/^Communication\//, '');
  if (parent) v.inResponseTo = parent;
  return v;
}

function rootOf(c: Communication): string {
  return c.partOf?.[0]?.reference?.replace(/^Communication\//, '') ?? (c.id as string);
}

/** Writes, answers, lists and closes patient messages. */
export class MessageService {
  private readonly clock: Clock;

  constructor(
    private readonly repo: FhirRepository,
    options: { clock?: Clock } = {},
  ) {
    this.clock = options.clock ?? systemClock;
  }

  private async patient(id: string): Promise<Patient> {
    if (!ID.test(id)) throw badRequest(`"${id}" is not a patient id`);
    const v = await this.repo.readCurrent('Patient', id);
    if (!v || v.deleted) throw notFound(`Patient/${id} not found`);
    return JSON.parse(v.json) as Patient;
  }

  private async staff(actor: MessageActor): Promise<Reference<Practitioner>> {
    if (actor.practitionerId) {
      if (!ID.test(actor.practitionerId)) throw badRequest(`"${actor.practitionerId}" is not a Practitioner id`);
      const p = JSON.parse((await this.repo.read('Practitioner', actor.practitionerId)).json) as Practitioner;
      return { reference: `Practitioner/${actor.practitionerId}`, display: printName(p.name) };
    }
    return { display: actor.display ?? 'the practice' };
  }

  private parse(input: unknown, needSubject: boolean): { text: string; subject?: string; direction: Direction } {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) throw badRequest('The body must be a JSON object with text');
    const b = input as Record<string, unknown>;
    if (typeof b.text !== 'string' || !b.text.trim()) throw badRequest('text is required (the message)', 'text');
    if (b.text.length > MAX_TEXT) throw badRequest(`text must be at most ${MAX_TEXT} characters`, 'text');
    const direction = b.direction ?? 'to-patient';
    if (direction !== 'to-patient' && direction !== 'from-patient') throw badRequest('direction must be to-patient or from-patient', 'direction');
    const out: { text: string; subject?: string; direction: Direction } = { text: b.text, direction };
    if (b.subject !== undefined) {
      if (typeof b.subject !== 'string' || b.subject.length > 200) throw badRequest('subject must be text of at most 200 characters', 'subject');
      if (b.subject.trim()) out.subject = b.subject.trim();
    }
    if (needSubject && !out.subject) throw badRequest('subject is required for a new message', 'subject');
    return out;
  }

  private async build(patient: Patient, m: { text: string; subject?: string; direction: Direction }, actor: MessageActor): Promise<Communication> {
    const patientRef: Reference<Patient> = { reference: `Patient/${patient.id}`, display: printName(patient.name) };
    const staff = await this.staff(actor);
    const c: Communication = {
      resourceType: 'Communication',
      status: 'in-progress',
      category: [CATEGORY],
      subject: patientRef,
      sent: new Date(this.clock.now()).toISOString(),
      sender: m.direction === 'from-patient' ? patientRef : staff,
      recipient: [m.direction === 'from-patient' ? staff : patientRef],
      payload: [{ contentString: m.text }],
    };
    if (m.subject) c.topic = { text: m.subject };
    return c;
  }

  /** Starts a thread. */
  async write(patientId: string, input: unknown, actor: MessageActor): Promise<ThreadView> {
    const m = this.parse(input, true);
    const patient = await this.patient(patientId);
    const saved = await this.repo.create(await this.build(patient, m, actor));
    return this.thread(patientId, saved.id);
  }

  private async message(patientId: string, id: string): Promise<Communication> {
    if (!ID.test(id)) throw badRequest(`"${id}" is not a message id`);
    const v = await this.repo.readCurrent('Communication', id);
    const c = v && !v.deleted ? (JSON.parse(v.json) as Communication) : undefined;
    if (!c || c.subject?.reference !== `Patient/${patientId}` || !c.category?.some((x) => x.coding?.some((y) => y.system === MESSAGE_CATEGORY_SYSTEM))) {
      throw notFound(`Message ${id} not found for Patient/${patientId}`);
    }
    return c;
  }

  /** Answers a message; the thread is open again until handled. */
  async reply(patientId: string, messageId: string, input: unknown, actor: MessageActor): Promise<ThreadView> {
    const m = this.parse(input, false);
    const patient = await this.patient(patientId);
    const parent = await this.message(patientId, messageId);
    const root = rootOf(parent);
    const c = await this.build(patient, { ...m, subject: m.subject ?? (await this.message(patientId, root)).topic?.text ?? '' }, actor);
    c.inResponseTo = [{ reference: `Communication/${parent.id}` }];
    c.partOf = [{ reference: `Communication/${root}` }];
    if (!c.topic?.text) delete c.topic;
    await this.repo.create(c);
    return this.thread(patientId, root);
  }

  /** Marks every message of the thread handled (completed), noting who and when. */
  async markHandled(patientId: string, messageId: string, actor: MessageActor): Promise<ThreadView> {
    await this.patient(patientId);
    const root = rootOf(await this.message(patientId, messageId));
    const staff = await this.staff(actor);
    const now = new Date(this.clock.now()).toISOString();
    await this.repo.withTransaction(async (tx) => {
      const scoped = new MessageService(tx, { clock: this.clock });
      for (const c of await scoped.threadMessages(patientId, root)) {
        if (c.status === 'completed') continue;
        const note = { time: now, text: 'Marked handled', ...(staff.reference ? { authorReference: staff } : { authorString: staff.display ?? 'the practice' }) };
        await tx.update({ ...c, status: 'completed', received: c.received ?? now, note: [...(c.note ?? []), note] } satisfies Communication);
      }
    });
    return this.thread(patientId, root);
  }

  private async threadMessages(patientId: string, root: string): Promise<Communication[]> {
    const first = await this.message(patientId, root);
    const { matches } = await searchResources<Communication>(this.repo, 'Communication', { 'part-of': `Communication/${root}`, _sort: 'sent' }, 1000);
    return [first, ...matches.filter((c) => c.subject?.reference === `Patient/${patientId}`)];
  }

  private view(patientId: string, messages: Communication[]): ThreadView {
    const first = messages[0] as Communication;
    const sorted = [...messages].sort((a, b) => (a.sent ?? '').localeCompare(b.sent ?? ''));
    const handled = messages.every((c) => c.status === 'completed');
    const t: ThreadView = {
      id: first.id as string,
      patient: patientId,
      subject: first.topic?.text ?? '',
      status: handled ? 'handled' : 'open',
      messages: sorted.map(messageView),
    };
    const last = sorted[sorted.length - 1]?.sent;
    if (last) t.lastAt = last;
    if (handled) {
      const note = sorted.flatMap((c) => c.note ?? []).filter((n) => n.text === 'Marked handled').sort((a, b) => (a.time ?? '').localeCompare(b.time ?? '')).pop();
      if (note?.time) t.handledAt = note.time;
      const by = note?.authorReference?.display ?? note?.authorString;
      if (by) t.handledBy = by;
    }
    return t;
  }

  /** One thread (any of its messages' ids). */
  async thread(patientId: string, messageId: string): Promise<ThreadView> {
    const root = rootOf(await this.message(patientId, messageId));
    return this.view(patientId, await this.threadMessages(patientId, root));
  }

  /** A patient's threads, newest activity first; `status` filters open or handled ones. */
  async list(patientId: string, status?: string): Promise<ThreadView[]> {
    if (status !== undefined && status !== 'open' && status !== 'handled') throw badRequest('status must be open or handled', 'status');
    await this.patient(patientId);
    const { matches } = await searchResources<Communication>(this.repo, 'Communication', { subject: `Patient/${patientId}`, category: `${MESSAGE_CATEGORY_SYSTEM}|patient-message` }, 5000);
    const threads = new Map<string, Communication[]>();
    for (const c of matches) {
      const root = rootOf(c);
      const list = threads.get(root) ?? [];
      if (root === c.id) list.unshift(c);
      else list.push(c);
      threads.set(root, list);
    }
    const views = [...threads.values()].filter((l) => l[0] && rootOf(l[0]) === l[0].id).map((l) => this.view(patientId, l));
    return views.filter((v) => !status || v.status === status).sort((a, b) => (b.lastAt ?? '').localeCompare(a.lastAt ?? ''));
  }
}
