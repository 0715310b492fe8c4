/**
 * A letter as PDF (pdfkit): the practice's letterhead, date, recipient, subject, body,
 * and the signature block; drafts carry a DRAFT mark. Deterministic: the same letter gives
 * the same bytes (the PDF's dates are the letter's).
 */
import PDFDocument from 'pdfkit';

export interface LetterPdfInput {
  practiceName: string;
  /** Lines under the practice name (address, phone). */
  letterhead: string[];
  date: string;
  recipient?: string;
  subject: string;
  body: string;
  patientLine: string;
  signer?: { name: string; credentials?: string; signedAt: string };
  draft: boolean;
  /** Creation time of the PDF (ms). */
  createdAt: number;
  /** Compress content streams (default true; tests read the text with false). */
  compress?: boolean;
}

/** Renders a letter to PDF bytes. */
export function renderLetterPdf(input: LetterPdfInput): Promise<Buffer> {
  const created = new Date(input.createdAt);
  const doc = new PDFDocument({
    size: 'LETTER',
    compress: input.compress ?? true,
    margins: { top: 56, bottom: 56, left: 64, right: 64 },
    info: { Title: input.subject, Author: input.signer?.name ?? input.practiceName, Creator: 'Chartroom', Producer: 'Chartroom', CreationDate: created, ModDate: created },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const width = doc.page.width - 128;
  // Letterhead.
  doc.font('Helvetica-Bold').fontSize(16).fillColor('#1d3557').text(input.practiceName, { width });
  doc.font('Helvetica').fontSize(9).fillColor('#444444');
  for (const line of input.letterhead) doc.text(line, { width });
  const y = doc.y + 6;
  doc.moveTo(64, y).lineTo(64 + width, y).lineWidth(1).strokeColor('#1d3557').stroke();
  doc.y = y + 14;
  if (input.draft) {
    doc.save().font('Helvetica-Bold').fontSize(72).fillColor('#cc0000').opacity(0.15);
    doc.rotate(-30, { origin: [doc.page.width / 2, doc.page.height / 2] }).text('DRAFT', 120, doc.page.height / 2 - 40, { width: 400, align: 'center' });
    doc.restore();
    doc.x = 64;
    doc.y = y + 14;
  }
  doc.font('Helvetica').fontSize(11).fillColor('#000000');
  doc.text(input.date, { width, align: 'right' });
  doc.moveDown();
  if (input.recipient) {
    for (const line of input.recipient.split('\n')) doc.text(line, { width });
    doc.moveDown();
  }
  doc.font('Helvetica-Bold').text(input.subject, { width });
  doc.font('Helvetica').fontSize(9).fillColor('#444444').text(input.patientLine, { width });
  doc.fontSize(11).fillColor('#000000').moveDown();
  doc.text(input.body, { width, lineGap: 2 });
  doc.moveDown(2);
  if (input.signer) {
    doc.text('Yours sincerely,', { width });
    doc.moveDown(1.5);
    doc.font('Helvetica-Bold').text(`${input.signer.name}${input.signer.credentials ? `, ${input.signer.credentials}` : ''}`, { width });
    doc.font('Helvetica').fontSize(9).fillColor('#444444').text(`Electronically signed ${input.signer.signedAt}`, { width });
  } else {
    doc.fontSize(9).fillColor('#cc0000').text('DRAFT — not signed', { width });
  }
  doc.end();
  return done;
}
