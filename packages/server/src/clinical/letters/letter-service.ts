/**
 * Letters: started from a template and filled from the chart, edited while a draft,
 * signed by their author (then locked), rendered to PDF with the practice's letterhead.
 * A letter is a DocumentReference (category `letter`, type = its template) whose first
 * content is the text; signing adds the PDF as a content-addressed Binary
 * (https://hl7.org/fhir/R4/documentreference.html).
 */
import { createHash } from 'node:crypto';
import type { Binary, DocumentReference, Organization, Patient, Practitioner } from '@medplum/fhirtypes';
import { badRequest, conflict, notFound, outcomeError } from '@chartroom/core';
import type { FhirRepository } from '../../store/fhir-repository.js';
import type { Clock } from '../../store/clock.js';
import { systemClock } from '../../store/clock.js';
import { DOCUMENT_CATEGORY_SYSTEM } from '../documents/document-service.js';
import { searchResources } from '../labs/search-resources.js';
import { LETTER_TEMPLATES, LETTER_TEMPLATE_SYSTEM, fillTemplate } from './letter-templates.js';
import type { LetterTemplate } from './letter-templates.js';
import { letterValues, printName } from './letter-context.js';
import { renderLetterPdf } from './letter-pdf.js';

export const RECIPIENT_EXTENSION = 'https://chartroom.dev/fhir/StructureDefinition/letter-recipient';

/** A letter as the app shows and edits it. */
export interface LetterView {
  id: string;
  patient: string;
  template: string;
  title: string;
  status: 'draft' | 'signed';
  recipient?: string;
  subject: string;
  body: string;
  author?: string;
  created?: string;
  signedBy?: string;
  signedAt?: string;
  version: string;
  pdf: string;
}

/** Who is writing or signing. */
export interface LetterActor {
  practitionerId?: string;
}

const ID = /^[A-Za-z0-9\-.]{1,64}$/;
const LIMITS = { subject: 300, recipient: 1000, body: 20_000 } as const;

function text(input: Record<string, unknown>, name: keyof typeof LIMITS): string | undefined {
  const v = input[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw badRequest(`${name} must be text`, name);
  if (v.length > LIMITS[name]) throw badRequest(`${name} must be at most ${LIMITS[name]} characters`, name);
  return v;
}

function isLetter(d: DocumentReference): boolean {
  return d.category?.some((c) => c.coding?.some((x) => x.system === DOCUMENT_CATEGORY_SYSTEM && x.code === 'letter')) ?? false;
}

function bodyOf(d: DocumentReference): string {
  const data = d.content.find((c) => c.attachment.contentType?.startsWith('text/plain'))?.attachment.data;
  return data ? Buffer.from(data, 'base64').toString('utf8') : '';
}

/** A DocumentReference letter as the app shows it. */
export function letterView(d: DocumentReference): LetterView {
  const signed = d.docStatus === 'final';
  const pdf = d.content.find((c) => c.attachment.contentType === 'application/pdf')?.attachment;
  const recipient = d.extension?.find((e) => e.url === RECIPIENT_EXTENSION)?.valueString;
  const view: LetterView = {
    id: d.id as string,
    patient: (d.subject?.reference ?? '').replace(/^Patient\//, ''),
    template: d.type?.coding?.find((c) => c.system === LETTER_TEMPLATE_SYSTEM)?.code ?? '',
    title: d.type?.text ?? 'Letter',
    status: signed ? 'signed' : 'draft',
    subject: d.description ?? '',
    body: bodyOf(d),
    version: d.meta?.versionId ?? '',
    pdf: `/api/letters/${d.id}/pdf`,
  };
  if (recipient) view.recipient = recipient;
  const author = d.author?.[0]?.reference?.replace(/^Practitioner\//, '');
  if (author) view.author = author;
  if (d.date) view.created = d.date;
  const signer = d.authenticator?.reference?.replace(/^Practitioner\//, '');
  if (signer) view.signedBy = signer;
  if (pdf?.creation) view.signedAt = pdf.creation;
  return view;
}

/** Starts, edits, signs and renders letters. */
export class LetterService {
  private readonly clock: Clock;

  constructor(
    private readonly repo: FhirRepository,
    private readonly practiceName: string,
    options: { clock?: Clock } = {},
  ) {
    this.clock = options.clock ?? systemClock;
  }

  /** The templates (id, title, whether a recipient is needed). */
  templates(): LetterTemplate[] {
    return Object.values(LETTER_TEMPLATES);
  }

  private async practitioner(id: string | undefined): Promise<Practitioner | undefined> {
    if (!id) return undefined;
    if (!ID.test(id)) throw badRequest(`"${id}" is not a Practitioner id`);
    return JSON.parse((await this.repo.read('Practitioner', id)).json) as Practitioner;
  }

  private today(): string {
    return new Date(this.clock.now()).toISOString().slice(0, 10);
  }

  /** Starts a draft from a template, filled from the patient's chart (body fields override). */
  async create(patientId: string, input: unknown, actor: LetterActor): Promise<LetterView> {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) throw badRequest('The body must be a JSON object with a template');
    const body = input as Record<string, unknown>;
    const templateId = body.template;
    if (typeof templateId !== 'string' || !Object.hasOwn(LETTER_TEMPLATES, templateId)) {
      throw badRequest(`template must be one of ${Object.keys(LETTER_TEMPLATES).join(', ')}`, 'template');
    }
    const template = LETTER_TEMPLATES[templateId] as LetterTemplate;
    if (!ID.test(patientId)) throw badRequest(`"${patientId}" is not a patient id`);
    const patientVersion = await this.repo.readCurrent('Patient', patientId);
    if (!patientVersion || patientVersion.deleted) throw notFound(`Patient/${patientId} not found`);
    const patient = JSON.parse(patientVersion.json) as Patient;
    const clinician = await this.practitioner(actor.practitionerId);
    const values = await letterValues(this.repo, patient, this.today(), clinician);
    const subject = text(body, 'subject') ?? fillTemplate(template.subject, values);
    const recipient = text(body, 'recipient');
    const letterBody = text(body, 'body') ?? fillTemplate(template.body, values);
    const doc: DocumentReference = {
      resourceType: 'DocumentReference',
      status: 'current',
      docStatus: 'preliminary',
      type: { coding: [{ system: LETTER_TEMPLATE_SYSTEM, code: template.id, display: template.title }], text: template.title },
      category: [{ coding: [{ system: DOCUMENT_CATEGORY_SYSTEM, code: 'letter', display: 'Letter' }], text: 'Letter' }],
      subject: { reference: `Patient/${patientId}`, display: values['patient.name'] },
      date: new Date(this.clock.now()).toISOString(),
      description: subject,
      content: [{ attachment: { contentType: 'text/plain; charset=utf-8', data: Buffer.from(letterBody, 'utf8').toString('base64'), title: subject } }],
    };
    if (recipient) doc.extension = [{ url: RECIPIENT_EXTENSION, valueString: recipient }];
    if (clinician) doc.author = [{ reference: `Practitioner/${clinician.id}`, display: printName(clinician.name) }];
    return letterView(JSON.parse((await this.repo.create(doc)).json) as DocumentReference);
  }

  private async load(id: string): Promise<DocumentReference> {
    if (!ID.test(id)) throw badRequest(`"${id}" is not a letter id`);
    const v = await this.repo.readCurrent('DocumentReference', id);
    if (!v) throw notFound(`Letter ${id} not found`);
    if (v.deleted) throw outcomeError('gone', `Letter ${id} was deleted`);
    const d = JSON.parse(v.json) as DocumentReference;
    if (!isLetter(d)) throw notFound(`DocumentReference/${id} is not a letter`);
    return d;
  }

  /** The letter (its DocumentReference), for access checks. */
  async document(id: string): Promise<DocumentReference> {
    return this.load(id);
  }

  /** A letter as the app shows it. */
  async get(id: string): Promise<LetterView> {
    return letterView(await this.load(id));
  }

  /** Edits a draft (recipient, subject, body); a signed letter is locked (409). */
  async update(id: string, input: unknown, opts: { ifMatch?: string } = {}): Promise<LetterView> {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) throw badRequest('The body must be a JSON object (recipient, subject, body)');
    const body = input as Record<string, unknown>;
    const unknown = Object.keys(body).filter((k) => !['recipient', 'subject', 'body', 'version'].includes(k));
    if (unknown.length) throw badRequest(`Unknown field(s): ${unknown.join(', ')} (a letter's recipient, subject and body can be edited)`, unknown[0]);
    const subject = text(body, 'subject');
    const recipient = text(body, 'recipient');
    const letterBody = text(body, 'body');
    if (subject !== undefined && !subject.trim()) throw badRequest('subject must not be empty', 'subject');
    return this.repo.withTransaction(async (tx) => {
      const d = await new LetterService(tx, this.practiceName, { clock: this.clock }).load(id);
      if (d.docStatus === 'final') throw conflict(`Letter ${id} is signed and cannot be edited`);
      const version = opts.ifMatch ?? (typeof body.version === 'string' ? body.version : undefined);
      const next: DocumentReference = { ...d };
      if (subject !== undefined) next.description = subject;
      if (recipient !== undefined) next.extension = recipient ? [{ url: RECIPIENT_EXTENSION, valueString: recipient }] : undefined;
      if (letterBody !== undefined || subject !== undefined) {
        const text0 = letterBody ?? bodyOf(d);
        next.content = [{ attachment: { contentType: 'text/plain; charset=utf-8', data: Buffer.from(text0, 'utf8').toString('base64'), title: next.description ?? '' } }];
      }
      if (!next.extension) delete next.extension;
      const saved = await tx.update(next, version ? { ifMatch: version } : {});
      return letterView(JSON.parse(saved.version.json) as DocumentReference);
    });
  }

  /** The practice's letterhead lines (address, phone, email) from its Organization. */
  private async letterhead(): Promise<string[]> {
    const { matches } = await searchResources<Organization>(this.repo, 'Organization', { type: 'http://terminology.hl7.org/CodeSystem/organization-type|prov' }, 20);
    const org = matches.find((o) => o.name === this.practiceName) ?? matches[0];
    if (!org) return [];
    const a = org.address?.[0];
    const lines: string[] = [];
    if (a) lines.push([...(a.line ?? []), [a.city, a.state].filter(Boolean).join(', '), a.postalCode].filter(Boolean).join(' · '));
    const phone = org.telecom?.find((t) => t.system === 'phone')?.value;
    const email = org.telecom?.find((t) => t.system === 'email')?.value;
    const contact = [phone ? `Tel. ${phone}` : '', email ?? ''].filter(Boolean).join(' · ');
    if (contact) lines.push(contact);
    return lines;
  }

  private async render(d: DocumentReference, signer: { name: string; credentials?: string; signedAt: string } | undefined, createdAt: number): Promise<Buffer> {
    const view = letterView(d);
    const patientVersion = await this.repo.readCurrent('Patient', view.patient);
    const patient = patientVersion && !patientVersion.deleted ? (JSON.parse(patientVersion.json) as Patient) : undefined;
    const patientLine = patient ? `Patient: ${printName(patient.name)}${patient.birthDate ? `, born ${patient.birthDate}` : ''}${patient.identifier?.[0]?.value ? `, MRN ${patient.identifier[0].value}` : ''}` : '';
    return renderLetterPdf({
      practiceName: this.practiceName,
      letterhead: await this.letterhead(),
      date: (signer?.signedAt ?? new Date(createdAt).toISOString()).slice(0, 10),
      ...(view.recipient ? { recipient: view.recipient } : {}),
      subject: view.subject,
      body: view.body,
      patientLine,
      ...(signer ? { signer } : {}),
      draft: !signer,
      createdAt,
    });
  }

  /**
   * Signs a draft: only its author may (a letter without an author is signed by whoever
   * signs it), and only a clinician with a Practitioner record. The PDF is rendered and
   * stored with the letter; from then on the letter is locked.
   */
  async sign(id: string, actor: LetterActor): Promise<LetterView> {
    if (!actor.practitionerId) throw outcomeError('forbidden', 'Only a clinician (a user linked to a Practitioner) can sign a letter');
    const signer = await this.practitioner(actor.practitionerId);
    const now = this.clock.now();
    const signedAt = new Date(now).toISOString();
    return this.repo.withTransaction(async (tx) => {
      const scoped = new LetterService(tx, this.practiceName, { clock: this.clock });
      const d = await scoped.load(id);
      if (d.docStatus === 'final') throw conflict(`Letter ${id} was already signed${d.authenticator?.display ? ` by ${d.authenticator.display}` : ''}`);
      const author = d.author?.[0]?.reference;
      if (author && author !== `Practitioner/${actor.practitionerId}`) throw outcomeError('forbidden', `Only the letter's author (${d.author?.[0]?.display ?? author}) can sign it`);
      const name = printName(signer?.name);
      const credentials = signer?.qualification?.[0]?.code?.text;
      const pdf = await scoped.render(d, { name, ...(credentials ? { credentials } : {}), signedAt }, now);
      const hash = createHash('sha256').update(pdf).digest('hex');
      const existing = await tx.readCurrent('Binary', hash);
      if (!existing || existing.deleted) await tx.update({ resourceType: 'Binary', id: hash, contentType: 'application/pdf', data: pdf.toString('base64') } satisfies Binary);
      const signedDoc: DocumentReference = {
        ...d,
        docStatus: 'final',
        authenticator: { reference: `Practitioner/${actor.practitionerId}`, display: name },
        author: d.author ?? [{ reference: `Practitioner/${actor.practitionerId}`, display: name }],
        content: [
          ...d.content.filter((c) => c.attachment.contentType !== 'application/pdf'),
          { attachment: { contentType: 'application/pdf', url: `Binary/${hash}`, size: pdf.length, hash: createHash('sha1').update(pdf).digest('base64'), title: `${d.description ?? 'Letter'}.pdf`, creation: signedAt } },
        ],
      };
      const saved = await tx.update(signedDoc, { ifMatch: d.meta?.versionId as string });
      return letterView(JSON.parse(saved.version.json) as DocumentReference);
    });
  }

  /** The letter as PDF: the signed one as stored, a draft rendered now with a DRAFT mark. */
  async pdf(id: string): Promise<{ bytes: Buffer; filename: string }> {
    const d = await this.load(id);
    const safe = (d.description ?? 'letter').replace(/[^\w .-]+/g, '_').slice(0, 80) || 'letter';
    const stored = d.content.find((c) => c.attachment.contentType === 'application/pdf')?.attachment;
    if (d.docStatus === 'final' && stored?.url) {
      const binary = JSON.parse((await this.repo.read('Binary', stored.url.replace(/^Binary\//, ''))).json) as Binary;
      return { bytes: Buffer.from(binary.data ?? '', 'base64'), filename: `${safe}.pdf` };
    }
    return { bytes: await this.render(d, undefined, this.clock.now()), filename: `${safe} (draft).pdf` };
  }

  /** A patient's letters, newest first. */
  async list(patientId: string): Promise<LetterView[]> {
    if (!ID.test(patientId)) throw badRequest(`"${patientId}" is not a patient id`);
    await this.repo.read('Patient', patientId);
    const { matches } = await searchResources<DocumentReference>(this.repo, 'DocumentReference', { subject: `Patient/${patientId}`, category: `${DOCUMENT_CATEGORY_SYSTEM}|letter`, _sort: '-date' }, 500);
    return matches.map(letterView);
  }
}
