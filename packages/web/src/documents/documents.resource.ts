/** Documents: upload (POST /api/patients/:id/documents, or a FHIR DocumentReference where that API is missing) and content URLs. */
import { apiRequest, withFallback } from '../api/api-client';
import type { DocumentReference } from '../api/fhir-types';

/** Reads a file as base64 (no data: prefix). */
export async function fileBase64(file: Blob): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Uploads a document to a patient's chart. */
export async function uploadDocument(patientId: string, file: File, title: string): Promise<void> {
  const data = await fileBase64(file);
  const contentType = file.type || 'application/octet-stream';
  await withFallback(
    // The documents API takes the file itself as the body; title and date in the query string.
    () =>
      apiRequest(`/api/patients/${encodeURIComponent(patientId)}/documents?${new URLSearchParams({ title, date: new Date().toLocaleDateString('sv-SE') })}`, {
        method: 'POST',
        rawBody: file,
        contentType,
        what: `Uploading ${file.name}`,
      }),
    () =>
      apiRequest('/fhir/R4/DocumentReference', {
        method: 'POST',
        what: `Uploading ${file.name}`,
        body: {
          resourceType: 'DocumentReference',
          status: 'current',
          subject: { reference: `Patient/${patientId}` },
          date: new Date().toISOString(),
          description: title,
          type: { text: title },
          content: [{ attachment: { contentType, data, title: file.name, size: file.size } }],
        } satisfies Omit<DocumentReference, 'subject'> & { subject: unknown },
      }),
  );
}

/** Where a document's bytes can be shown from: an inline data attachment becomes a blob URL; otherwise the content route. */
export function documentSource(d: DocumentReference): { url: string; contentType: string; revoke?: () => void } {
  const a = d.content?.[0]?.attachment;
  const contentType = a?.contentType ?? 'application/octet-stream';
  if (a?.data) {
    const bytes = Uint8Array.from(atob(a.data), (c) => c.charCodeAt(0));
    const url = URL.createObjectURL(new Blob([bytes], { type: contentType }));
    return { url, contentType, revoke: () => URL.revokeObjectURL(url) };
  }
  if (a?.url?.startsWith('/')) return { url: a.url, contentType };
  return { url: `/api/documents/${encodeURIComponent(d.id ?? '')}/content`, contentType };
}

/** A document's title: its description, the attachment's title, or its type. */
export function docTitle(d: DocumentReference): string {
  return d.description ?? d.content?.[0]?.attachment?.title ?? d.type?.text ?? d.type?.coding?.[0]?.display ?? 'Document';
}
