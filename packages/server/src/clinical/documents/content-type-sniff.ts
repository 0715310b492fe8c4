/**
 * What an uploaded file really is, by its first bytes ("magic numbers"), for the types a
 * chart accepts: PDF (https://www.iso.org/standard/75839.html §7.5.2 header, §7.5.5
 * trailer), PNG, JPEG and TIFF (scans and photos).
 */

/** Media types accepted into the chart. */
export const ALLOWED_DOCUMENT_TYPES = ['application/pdf', 'image/png', 'image/jpeg', 'image/tiff'] as const;
export type DocumentType = (typeof ALLOWED_DOCUMENT_TYPES)[number];

/** Conventional file extension per type. */
export const EXTENSION: Record<DocumentType, string> = { 'application/pdf': 'pdf', 'image/png': 'png', 'image/jpeg': 'jpg', 'image/tiff': 'tif' };

function startsWith(bytes: Uint8Array, sig: readonly number[], at = 0): boolean {
  if (bytes.length < at + sig.length) return false;
  return sig.every((b, i) => bytes[at + i] === b);
}

function ascii(s: string): number[] {
  return [...s].map((c) => c.charCodeAt(0));
}

/** True when `bytes` is shaped like a PDF: `%PDF-x.y` header in the first 1024 bytes and `%%EOF` in the last 1024. */
export function looksLikePdf(bytes: Uint8Array): boolean {
  const head = Buffer.from(bytes.subarray(0, 1024)).toString('latin1');
  const tail = Buffer.from(bytes.subarray(Math.max(0, bytes.length - 1024))).toString('latin1');
  return /%PDF-\d\.\d/.test(head) && tail.includes('%%EOF');
}

/** The type the bytes are, among the accepted ones, or undefined. */
export function sniffDocumentType(bytes: Uint8Array): DocumentType | undefined {
  if (looksLikePdf(bytes)) return 'application/pdf';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(bytes, ascii('II*\0')) || startsWith(bytes, ascii('MM\0*'))) return 'image/tiff';
  return undefined;
}

/** The media type without parameters, lower case (`application/pdf; x=y` → `application/pdf`). */
export function baseMediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** True for an accepted type. */
export function isAllowedDocumentType(type: string): type is DocumentType {
  return (ALLOWED_DOCUMENT_TYPES as readonly string[]).includes(type);
}
