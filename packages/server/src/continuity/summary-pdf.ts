/**
 * The printable one-page patient summary (PDF, pdfkit): who, problems, allergies,
 * medications with their sigs, immunizations, latest results and vital signs, and a QR code.
 *
 * The QR code carries a link to the patient's live IPS on this node
 * (`…/fhir/R4/Patient/[id]/$summary`), not the bundle itself: a whole IPS is far larger than
 * a QR code holds, and a link that only an authenticated user of the practice can follow
 * keeps the paper from being a copy of the chart. The page itself is the patient's copy.
 */
import PDFDocument from 'pdfkit';
import QRCode from 'qrcode';
import type { PatientChart } from './patient-chart.js';
import { conceptText, day, describe, personName } from './describe.js';

export interface SummaryPdfOptions {
  practiceName: string;
  /** What the QR code holds. */
  link: string;
  now: number;
  /** Records left out for privacy (printed as a note). */
  excluded?: { psychotherapy: number; substanceUse: number };
}

const MARGIN = 40;
const PAGE_BOTTOM = 842 - MARGIN - 30; // A4 height minus margin and footer

/** Renders the summary PDF; always exactly one A4 page (long lists end with "… and N more"). */
export async function summaryPdf(chart: PatientChart, opts: SummaryPdfOptions): Promise<Buffer> {
  const qr = await QRCode.toBuffer(opts.link, { type: 'png', errorCorrectionLevel: 'M', margin: 1, width: 220 });
  const doc = new PDFDocument({ size: 'A4', margin: MARGIN, autoFirstPage: true, info: { Title: `Patient summary — ${personName(chart.patient.name)}`, Producer: 'Chartroom' } });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const p = chart.patient;
  const width = doc.page.width - 2 * MARGIN;
  doc.image(qr, doc.page.width - MARGIN - 90, MARGIN, { width: 90 });
  doc.font('Helvetica-Bold').fontSize(16).text('Patient summary', MARGIN, MARGIN, { width: width - 100 });
  doc.font('Helvetica').fontSize(9).fillColor('#444').text(opts.practiceName, { width: width - 100 });
  doc.moveDown(0.5).fillColor('#000').font('Helvetica-Bold').fontSize(13).text(personName(p.name), { width: width - 100 });
  const mrn = p.identifier?.find((i) => (i.type?.coding ?? []).some((c) => c.code === 'MR'))?.value ?? p.identifier?.[0]?.value;
  const phone = p.telecom?.find((t) => t.system === 'phone')?.value;
  doc
    .font('Helvetica')
    .fontSize(9)
    .text([p.birthDate ? `Born ${p.birthDate}` : '', p.gender ?? '', mrn ? `MRN ${mrn}` : '', phone ? `Phone ${phone}` : ''].filter(Boolean).join('   ·   '), { width: width - 100 });
  const contact = p.contact?.[0];
  if (contact) doc.text(`Emergency contact: ${personName(contact.name ? [contact.name] : undefined)}${contact.relationship?.[0] ? ` (${conceptText(contact.relationship[0])})` : ''}${contact.telecom?.[0]?.value ? `, ${contact.telecom[0].value}` : ''}`, { width: width - 100 });
  doc.y = Math.max(doc.y, MARGIN + 100);

  const sections: [string, string[]][] = [
    ['Allergies and intolerances', chart.allergies.map(describe)],
    ['Active problems', chart.problems.map(describe)],
    ['Medications', chart.medications.map(describe)],
    ['Immunizations', chart.immunizations.map(describe)],
    ['Latest vital signs', chart.vitals.map(describe)],
    ['Latest results', chart.results.map(describe)],
  ];
  // Share the page: each section gets at least a few lines, long ones are cut with a count.
  const lineHeight = 11.5;
  const available = Math.floor((PAGE_BOTTOM - doc.y) / lineHeight) - sections.length * 2;
  let budget = available;
  sections.forEach(([title, lines], i) => {
    const left = sections.length - i - 1;
    const reserve = sections.slice(i + 1).reduce((a, [, l]) => a + Math.min(3, Math.max(1, l.length)), 0);
    const allow = Math.max(1, Math.min(lines.length || 1, budget - reserve, left === 0 ? budget : budget - reserve));
    doc.moveDown(0.4).font('Helvetica-Bold').fontSize(10.5).text(title, MARGIN, doc.y, { width });
    doc.font('Helvetica').fontSize(8.5);
    if (!lines.length) {
      doc.fillColor('#666').text('None recorded', { width, lineBreak: false }).fillColor('#000');
      budget -= 1;
      return;
    }
    const shown = lines.length > allow ? lines.slice(0, Math.max(0, allow - 1)) : lines;
    for (const l of shown) doc.text(`•  ${l}`, MARGIN + 6, doc.y, { width: width - 6, lineBreak: false, ellipsis: true });
    if (shown.length < lines.length) doc.fillColor('#666').text(`…  and ${lines.length - shown.length} more`, MARGIN + 6, doc.y, { width, lineBreak: false }).fillColor('#000');
    budget -= Math.min(allow, lines.length);
  });

  const excluded = opts.excluded ? opts.excluded.psychotherapy + opts.excluded.substanceUse : 0;
  const footer = `Printed ${day(new Date(opts.now).toISOString())} from Chartroom. ${excluded ? 'Psychotherapy notes and substance-use records are not included without the patient’s consent. ' : ''}Scan the code at the practice to open the full summary (IPS).`;
  doc.font('Helvetica').fontSize(7.5).fillColor('#444').text(footer, MARGIN, doc.page.height - MARGIN - 20, { width, lineBreak: false, ellipsis: true });
  doc.end();
  return done;
}
