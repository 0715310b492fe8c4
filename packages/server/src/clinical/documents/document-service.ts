/**
 * Documents in the chart: scans, images and PDFs, stored content-addressed (a FHIR Binary
 * whose id is the SHA-256 of the bytes, so the same file is stored once) inside the
 * encrypted store, and a DocumentReference per filing that points at it
 * (https://hl7.org/fhir/R4/documentreference.html). Content is checked by its magic bytes;
 * the size limit is the node's configuration.
 */
import { createHash } from 'node:crypto';
import type { Binary, DocumentReference, Patient, Reference } from '@medplum/fhirtypes';
import { badRequest, notFound, outcomeError, parseSearchRequest } from '@chartroom/core';
import type { FhirRepository } from '../../store/fhir-repository.js';
import type { Clock } from '../../store/clock.js';
import { systemClock } from '../../store/clock.js';
import { baseMediaType, isAllowedDocumentType, sniffDocumentType, ALLOWED_DOCUMENT_TYPES, EXTENSION } from './content-type-sniff.js';
import type { DocumentType } from './content-type-sniff.js';

/** Default largest upload: 25 MiB. */
export const DEFAULT_MAX_UPLOAD_BYTES = 25 * 1024 * 1024;

export const DOCUMENT_CATEGORY_SYSTEM = 'https://chartroom.dev/fhir/CodeSystem/document-category';
export const SHA256_SYSTEM = 'urn:chartroom:sha256';

/** Categories a document is filed under. */
export const DOCUMENT_CATEGORIES = {
  scan: 'Scanned document',
  image: 'Clinical image',
  'inbound-letter': 'Inbound letter',
  'lab-report': 'Outside lab report',
  'imaging-report': 'Imaging report',
  consent: 'Signed consent form',
  letter: 'Letter',
  other: 'Other document',
} as const;
export type DocumentCategory = keyof typeof DOCUMENT_CATEGORIES;

/** A document as the app shows it. */
export interface DocumentView {
  id: string;
  patient: string;
  title: string;
  category: string;
  categoryDisplay: string;
  contentType: string;
  size: number;
  sha256: string;
  date?: string;
  created?: string;
  author?: Reference;
  description?: string;
  status: string;
  /** Where the content is served. */
  url: string;
}

export interface UploadInput {
  bytes: Buffer;
  /** Media type the client declared (checked against the bytes). */
  contentType: string;
  title?: string;
  category?: string;
  /** The document's own date (YYYY-MM-DD), e.g. the date on a letter. */
  date?: string;
  description?: string;
  /** The filing user's Practitioner id, when one. */
  authorPractitionerId?: string;
}

export interface DocumentServiceOptions {
  clock?: Clock;
  maxUploadBytes?: number;
}

const ID = /^[A-Za-z0-9\-.]{1,64}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The 413 for an upload over the limit. */
export function tooLargeError(limit: number, size?: number): Error {
  return outcomeError('tooLarge', `The document is larger than this node's upload limit of ${limit} bytes (${(limit / 1048576).toFixed(0)} MiB)${size !== undefined ? `: ${size} bytes` : ''}; nothing was stored`);
}

/** A DocumentReference as the app shows it. */
export function documentView(d: DocumentReference): DocumentView {
  const att = d.content[0]?.attachment;
  const cat = d.category?.[0]?.coding?.find((c) => c.system === DOCUMENT_CATEGORY_SYSTEM);
  const view: DocumentView = {
    id: d.id as string,
    patient: (d.subject?.reference ?? '').replace(/^Patient\//, ''),
    title: att?.title ?? d.description ?? 'Document',
    category: cat?.code ?? 'other',
    categoryDisplay: cat?.display ?? 'Document',
    contentType: att?.contentType ?? 'application/octet-stream',
    size: att?.size ?? 0,
    sha256: d.identifier?.find((i) => i.system === SHA256_SYSTEM)?.value ?? '',
    status: d.docStatus ?? d.status,
    url: `/api/documents/${d.id}/content`,
  };
  if (att?.creation) view.date = att.creation;
  if (d.date) view.created = d.date;
  if (d.author?.[0]) view.author = d.author[0];
  if (d.description) view.description = d.description;
  return view;
}

/** Uploads, lists and serves documents. */
export class DocumentService {
  readonly maxUploadBytes: number;
  private readonly clock: Clock;

  constructor(
    private readonly repo: FhirRepository,
    options: DocumentServiceOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.maxUploadBytes = options.maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
    if (!Number.isInteger(this.maxUploadBytes) || this.maxUploadBytes <= 0) throw new Error(`maxUploadBytes must be a positive whole number; got ${this.maxUploadBytes}`);
  }

  /** Checks an upload and returns its real type (400/413/415 otherwise); writes nothing. */
  checkContent(bytes: Buffer, declared: string): DocumentType {
    if (bytes.length > this.maxUploadBytes) throw tooLargeError(this.maxUploadBytes, bytes.length);
    if (bytes.length === 0) throw badRequest('The document is empty');
    const type = baseMediaType(declared);
    const actual = sniffDocumentType(bytes);
    if (type !== 'application/octet-stream' && !isAllowedDocumentType(type)) {
      throw outcomeError('unsupportedMediaType', `Documents may be ${ALLOWED_DOCUMENT_TYPES.join(', ')}; got "${type || '(none)'}"`);
    }
    if (!actual) {
      throw badRequest(`The content is not a ${type === 'application/octet-stream' ? 'PDF, PNG, JPEG or TIFF' : type} file (its first bytes do not match${type === 'application/pdf' ? ' a PDF header and trailer' : ''}); nothing was stored`);
    }
    if (type !== 'application/octet-stream' && actual !== type) throw badRequest(`The content was sent as ${type} but is ${actual}; nothing was stored`);
    return actual;
  }

  /** Files a document to a patient's chart (the bytes stored once, however often filed). */
  async upload(patientId: string, input: UploadInput): Promise<{ document: DocumentView; deduplicated: boolean }> {
    if (!ID.test(patientId)) throw badRequest(`"${patientId}" is not a patient id`);
    const contentType = this.checkContent(input.bytes, input.contentType);
    const category = input.category ?? 'scan';
    if (!Object.hasOwn(DOCUMENT_CATEGORIES, category)) throw badRequest(`category must be one of ${Object.keys(DOCUMENT_CATEGORIES).join(', ')}; got "${category}"`, 'category');
    if (input.date !== undefined && (!DATE.test(input.date) || Number.isNaN(Date.parse(input.date)))) throw badRequest('date must be a date (YYYY-MM-DD)', 'date');
    const title = (input.title ?? '').trim();
    if (title.length > 200) throw badRequest('title must be at most 200 characters', 'title');
    const hash = sha256(input.bytes);
    const now = new Date(this.clock.now()).toISOString();
    return this.repo.withTransaction(async (tx) => {
      const patient = await tx.readCurrent('Patient', patientId);
      if (!patient || patient.deleted) throw notFound(`Patient/${patientId} not found`);
      if (input.authorPractitionerId) await tx.read('Practitioner', input.authorPractitionerId);
      const existing = await tx.readCurrent('Binary', hash);
      const deduplicated = !!existing && !existing.deleted;
      if (!deduplicated) {
        const binary: Binary = { resourceType: 'Binary', id: hash, contentType, data: input.bytes.toString('base64') };
        await tx.update(binary);
      }
      const cat = category as DocumentCategory;
      const doc: DocumentReference = {
        resourceType: 'DocumentReference',
        identifier: [{ system: SHA256_SYSTEM, value: hash }],
        status: 'current',
        docStatus: 'final',
        category: [{ coding: [{ system: DOCUMENT_CATEGORY_SYSTEM, code: cat, display: DOCUMENT_CATEGORIES[cat] }], text: DOCUMENT_CATEGORIES[cat] }],
        subject: { reference: `Patient/${patientId}`, display: nameOf(JSON.parse(patient.json) as Patient) },
        date: now,
        content: [
          {
            attachment: {
              contentType,
              url: `Binary/${hash}`,
              size: input.bytes.length,
              hash: createHash('sha1').update(input.bytes).digest('base64'),
              title: title || `${DOCUMENT_CATEGORIES[cat]} (${EXTENSION[contentType].toUpperCase()})`,
              ...(input.date ? { creation: input.date } : {}),
            },
          },
        ],
      };
      if (input.description) doc.description = input.description;
      if (input.authorPractitionerId) doc.author = [{ reference: `Practitioner/${input.authorPractitionerId}` }];
      const saved = await tx.create(doc);
      return { document: documentView(JSON.parse(saved.json) as DocumentReference), deduplicated };
    });
  }

  /** A patient's documents (uploads and letters), newest first. */
  async list(patientId: string, category?: string): Promise<DocumentView[]> {
    if (!ID.test(patientId)) throw badRequest(`"${patientId}" is not a patient id`);
    await this.repo.read('Patient', patientId);
    const q: Record<string, string> = { subject: `Patient/${patientId}`, category: category ? `${DOCUMENT_CATEGORY_SYSTEM}|${category}` : `${DOCUMENT_CATEGORY_SYSTEM}|`, _sort: '-date', _count: '500' };
    const res = await this.repo.search(parseSearchRequest('DocumentReference', q));
    return res.matches.map((m) => documentView(JSON.parse(m.json) as DocumentReference));
  }

  /** The DocumentReference of a document (404/410). */
  async get(id: string): Promise<DocumentReference> {
    if (!ID.test(id)) throw badRequest(`"${id}" is not a document id`);
    return JSON.parse((await this.repo.read('DocumentReference', id)).json) as DocumentReference;
  }

  /** The bytes of a document, checked against their hash. */
  async content(doc: DocumentReference): Promise<{ bytes: Buffer; contentType: string; filename: string; sha256: string }> {
    const att = doc.content[0]?.attachment;
    const m = /^Binary\/([a-f0-9]{64})$/.exec(att?.url ?? '');
    if (!att || !m?.[1]) throw notFound(`DocumentReference/${doc.id} has no stored content`);
    const binary = JSON.parse((await this.repo.read('Binary', m[1])).json) as Binary;
    const bytes = Buffer.from(binary.data ?? '', 'base64');
    if (sha256(bytes) !== m[1]) throw outcomeError('serverError', `The stored content of DocumentReference/${doc.id} does not match its hash`);
    const type = binary.contentType;
    const ext = isAllowedDocumentType(type) ? EXTENSION[type] : 'bin';
    const base = (att.title ?? 'document').replace(/[^\w .-]+/g, '_').slice(0, 100);
    return { bytes, contentType: type, filename: base.toLowerCase().endsWith(`.${ext}`) ? base : `${base}.${ext}`, sha256: m[1] };
  }
}

function nameOf(p: Patient): string {
  const n = p.name?.[0];
  return n?.text ?? [n?.given?.join(' '), n?.family].filter(Boolean).join(' ');
}
