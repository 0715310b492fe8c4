/**
 * How a clinical note is kept: a FHIR DocumentReference (https://hl7.org/fhir/R4/documentreference.html).
 * A draft has docStatus `preliminary`; a signed note has docStatus `final`, the signer as
 * `authenticator` and the signing time in a `signed-at` extension, and is never written
 * again. Its text is two attachments: a plain-text rendering (what prints and what other
 * systems read) and the structured sections as JSON (what the editor reads). Addenda and
 * amendment records are DocumentReferences of their own that `append` the original
 * (relatesTo). Psychotherapy notes carry the PSYTHPN label in meta.security.
 */
import type { DocumentReference, Extension } from '@medplum/fhirtypes';
import { isPsychotherapyNote } from '@chartroom/core';
import { DOCUMENT_CATEGORY_SYSTEM } from '../documents/document-service.js';

export { isPsychotherapyNote };

export const NOTE_TEMPLATE_URL = 'https://chartroom.dev/fhir/StructureDefinition/note-template';
export const SIGNED_AT_URL = 'https://chartroom.dev/fhir/StructureDefinition/signed-at';
/** Chartroom's kinds of note documents: note, addendum, amendment (accepted or denied). */
export const NOTE_KIND_SYSTEM = 'https://chartroom.dev/fhir/CodeSystem/note-kind';
export const SECTIONS_CONTENT_TYPE = 'application/vnd.chartroom.note-sections+json';

export type NoteKind = 'note' | 'addendum' | 'amendment-accepted' | 'amendment-denied';

/** One section of a note as the editor shows it. */
export interface NoteSection {
  key: string;
  title: string;
  text: string;
}

/** A note in the app's terms. */
export interface NoteView {
  id: string;
  versionId: string | undefined;
  patientId: string | undefined;
  kind: NoteKind;
  title: string;
  templateId: string | undefined;
  status: 'draft' | 'signed';
  author: { reference: string | undefined; display: string | undefined };
  date: string | undefined;
  signedAt: string | undefined;
  signedBy: string | undefined;
  psychotherapy: boolean;
  sections: NoteSection[];
  text: string;
  /** The note this one appends (addenda and amendment records). */
  appends: string | undefined;
}

/** A note as lists show it. */
export interface NoteSummary {
  id: string;
  title: string;
  kind: NoteKind;
  status: 'draft' | 'signed';
  date: string | undefined;
  author: string | undefined;
  signedAt: string | undefined;
  psychotherapy: boolean;
}

function decode(data: string | undefined): string {
  return data ? Buffer.from(data, 'base64').toString('utf8') : '';
}

/** The kind of a note document. */
export function noteKind(d: DocumentReference): NoteKind {
  const code = d.category?.flatMap((c) => c.coding ?? []).find((c) => c.system === NOTE_KIND_SYSTEM)?.code;
  return code === 'addendum' || code === 'amendment-accepted' || code === 'amendment-denied' ? code : 'note';
}

/**
 * True for a clinical note (or addendum/amendment record): any DocumentReference of the chart
 * except uploaded documents and letters, which carry Chartroom's document category.
 */
export function isNoteDocument(d: DocumentReference): boolean {
  return !(d.category?.some((c) => c.coding?.some((x) => x.system === DOCUMENT_CATEGORY_SYSTEM)) ?? false);
}

/** True once signed (docStatus final): the note is locked. */
export function isSigned(d: DocumentReference): boolean {
  return d.docStatus === 'final' || d.docStatus === 'amended';
}

function ext(d: DocumentReference, url: string): Extension | undefined {
  return d.extension?.find((e) => e.url === url);
}

/** The structured sections of a note (from its JSON attachment; else one section with its text). */
export function noteSections(d: DocumentReference): NoteSection[] {
  const json = d.content.find((c) => c.attachment.contentType === SECTIONS_CONTENT_TYPE)?.attachment.data;
  if (json) {
    try {
      const parsed = JSON.parse(decode(json)) as { sections?: NoteSection[] };
      if (Array.isArray(parsed.sections)) return parsed.sections;
    } catch {
      // fall through to the text rendering
    }
  }
  return [{ key: 'text', title: 'Note', text: noteText(d) }];
}

/** The plain-text rendering of a note. */
export function noteText(d: DocumentReference): string {
  const plain = d.content.find((c) => (c.attachment.contentType ?? '').startsWith('text/plain'))?.attachment.data;
  return decode(plain);
}

/** The app's view of a note document. */
export function noteView(d: DocumentReference): NoteView {
  return {
    id: d.id ?? '',
    versionId: d.meta?.versionId,
    patientId: d.subject?.reference?.replace(/^Patient\//, ''),
    kind: noteKind(d),
    title: d.type?.text ?? d.description ?? 'Note',
    templateId: ext(d, NOTE_TEMPLATE_URL)?.valueString,
    status: isSigned(d) ? 'signed' : 'draft',
    author: { reference: d.author?.[0]?.reference, display: d.author?.[0]?.display },
    date: d.date,
    signedAt: ext(d, SIGNED_AT_URL)?.valueDateTime ?? (isSigned(d) ? d.date : undefined),
    signedBy: isSigned(d) ? d.authenticator?.reference : undefined,
    psychotherapy: isPsychotherapyNote(d),
    sections: noteSections(d),
    text: noteText(d),
    appends: d.relatesTo?.find((r) => r.code === 'appends')?.target.reference?.replace(/^DocumentReference\//, ''),
  };
}

/** A note as lists show it. */
export function noteSummary(d: DocumentReference): NoteSummary {
  return {
    id: d.id ?? '',
    title: d.type?.text ?? d.description ?? 'Note',
    kind: noteKind(d),
    status: isSigned(d) ? 'signed' : 'draft',
    date: d.date,
    author: d.author?.[0]?.display ?? d.author?.[0]?.reference,
    signedAt: ext(d, SIGNED_AT_URL)?.valueDateTime ?? (isSigned(d) ? d.date : undefined),
    psychotherapy: isPsychotherapyNote(d),
  };
}
