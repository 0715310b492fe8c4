/** Letters from templates: GET /api/letter-templates, GET/POST /api/patients/:id/letters, PUT /api/letters/:id, POST /api/letters/:id/sign. */
import { apiRequest } from '../api/api-client';

export interface LetterTemplate {
  id: string;
  title: string;
  needsRecipient: boolean;
}

/** A letter as the server shows it. */
export interface Letter {
  id: string;
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
}

export async function loadLetterTemplates(signal: AbortSignal): Promise<LetterTemplate[]> {
  return (await apiRequest<{ templates: LetterTemplate[] }>('/api/letter-templates', { signal, what: 'Loading letter templates' })).templates;
}

export async function loadLetters(patientId: string, signal: AbortSignal): Promise<Letter[]> {
  return (await apiRequest<{ letters: Letter[] }>(`/api/patients/${encodeURIComponent(patientId)}/letters`, { signal, what: 'Loading letters' })).letters;
}

/** Starts a draft from a template, filled from the chart by the server. */
export function startLetter(patientId: string, template: string): Promise<Letter> {
  return apiRequest<Letter>(`/api/patients/${encodeURIComponent(patientId)}/letters`, { method: 'POST', body: { template }, what: 'Starting the letter' });
}

export function saveLetter(l: Letter, edit: { recipient: string; subject: string; body: string }): Promise<Letter> {
  return apiRequest<Letter>(`/api/letters/${encodeURIComponent(l.id)}`, { method: 'PUT', body: { ...edit, version: l.version }, what: 'Saving the letter' });
}

export function signLetter(id: string): Promise<Letter> {
  return apiRequest<Letter>(`/api/letters/${encodeURIComponent(id)}/sign`, { method: 'POST', body: {}, what: 'Signing the letter' });
}

/** Where the letter's PDF is (the signed one as stored; a draft marked DRAFT). */
export const letterPdfUrl = (id: string) => `/api/letters/${encodeURIComponent(id)}/pdf`;
