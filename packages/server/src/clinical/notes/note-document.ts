/**
 * Builds the DocumentReference of a note (see note-model.ts for the layout): shared by the
 * note service and the demo practice, so both write notes the same way.
 */
import type { DocumentReference } from '@medplum/fhirtypes';
import { PSYCHIATRY_LABEL, PSYCHOTHERAPY_LABEL, RESTRICTED_CONFIDENTIALITY } from '@chartroom/core';
import { NOTE_KIND_SYSTEM, NOTE_TEMPLATE_URL, SECTIONS_CONTENT_TYPE, SIGNED_AT_URL } from './note-model.js';
import type { NoteKind, NoteSection } from './note-model.js';

/** Text as base64 (FHIR Attachment.data). */
export function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/** The plain-text rendering of a note: title, patient, sections (or the free text), signature line. */
export function renderNoteText(title: string, patient: string, sections: NoteSection[], signed?: { by: string; at: string }): string {
  const free = sections.length === 1 && sections[0]?.key === 'text';
  const body = free ? (sections[0]?.text.trim() ?? '') : sections.map((s) => `${s.title}\n${s.text.trim() || '—'}`).join('\n\n');
  return `${title}\n${patient}\n\n${body}\n${signed ? `\nElectronically signed by ${signed.by} at ${signed.at}.\n` : ''}`;
}

/** What a note document is made of. */
export interface NoteDocumentInput {
  id?: string;
  patient: { reference: string; display: string };
  author: { reference: string; display: string };
  title: string;
  template: { id: string; loinc: { code: string; display: string } } | undefined;
  kind: NoteKind;
  sections: NoteSection[];
  psychotherapy: boolean;
  psychiatry: boolean;
  signed: boolean;
  /** When written (and signed, if signed): a FHIR dateTime. */
  at: string;
  appends?: string;
  encounter?: string;
}

/** The DocumentReference of a note. */
export function buildNoteDocument(opts: NoteDocumentInput): DocumentReference {
  const signed = opts.signed ? { by: opts.author.display, at: opts.at } : undefined;
  const meta = opts.psychotherapy
    ? { security: [{ ...PSYCHOTHERAPY_LABEL }, { ...RESTRICTED_CONFIDENTIALITY }] }
    : opts.psychiatry
      ? { security: [{ ...PSYCHIATRY_LABEL }] }
      : undefined;
  const loinc = opts.template?.loinc ?? { code: '34109-9', display: 'Note' };
  const extension = [
    ...(opts.template ? [{ url: NOTE_TEMPLATE_URL, valueString: opts.template.id }] : []),
    ...(opts.signed ? [{ url: SIGNED_AT_URL, valueDateTime: opts.at }] : []),
  ];
  return {
    resourceType: 'DocumentReference',
    ...(opts.id ? { id: opts.id } : {}),
    ...(meta ? { meta } : {}),
    ...(extension.length ? { extension } : {}),
    status: 'current',
    docStatus: opts.signed ? 'final' : 'preliminary',
    type: { coding: [{ system: 'http://loinc.org', code: loinc.code, display: loinc.display }], text: opts.title },
    category: [
      { coding: [{ system: 'http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category', code: 'clinical-note', display: 'Clinical Note' }] },
      { coding: [{ system: NOTE_KIND_SYSTEM, code: opts.kind }] },
    ],
    subject: opts.patient,
    date: opts.at,
    author: [opts.author],
    ...(opts.signed ? { authenticator: opts.author } : {}),
    description: `${opts.title} for ${opts.patient.display}`,
    ...(opts.appends ? { relatesTo: [{ code: 'appends', target: { reference: `DocumentReference/${opts.appends}` } }] } : {}),
    ...(meta ? { securityLabel: meta.security.filter((s) => s.code !== 'R').map((s) => ({ coding: [s] })) } : {}),
    content: [
      { attachment: { contentType: 'text/plain; charset=utf-8', language: 'en', title: opts.title, creation: opts.at, data: b64(renderNoteText(opts.title, opts.patient.display, opts.sections, signed)) } },
      { attachment: { contentType: SECTIONS_CONTENT_TYPE, title: 'sections', data: b64(JSON.stringify({ template: opts.template?.id, sections: opts.sections })) } },
    ],
    ...(opts.encounter ? { context: { encounter: [{ reference: `Encounter/${opts.encounter}` }] } } : {}),
  };
}
