/**
 * A printable prescription (PDF, via pdfkit): practice, patient, drug, directions, quantity,
 * refills, prescriber and date; free-text drugs are marked as not checked for interactions.
 */
import PDFDocument from 'pdfkit';
import type { HumanName, MedicationRequest, Patient, Practitioner } from '@medplum/fhirtypes';
import { conceptLabel } from '@chartroom/core';
import { isUncoded } from './prescription-input.js';

export interface PrescriptionPdfInput {
  order: MedicationRequest;
  patient: Patient;
  prescriber?: Practitioner | undefined;
  practiceName: string;
  /** When the PDF is made (ms since epoch): printed, and the PDF's creation date. */
  now: number;
}

function nameOf(names: HumanName[] | undefined): string {
  const n = names?.find((x) => x.use === 'official') ?? names?.[0];
  if (!n) return '(no name)';
  return n.text ?? [...(n.prefix ?? []), ...(n.given ?? []), n.family ?? '', ...(n.suffix ?? [])].filter(Boolean).join(' ');
}

function directions(order: MedicationRequest): string {
  const parts = (order.dosageInstruction ?? []).map((d) => {
    if (d.text) return d.text;
    const dose = d.doseAndRate?.[0]?.doseQuantity;
    const rep = d.timing?.repeat;
    const route = d.route?.text ?? d.route?.coding?.[0]?.display;
    return [dose ? `${dose.value} ${dose.unit ?? ''}`.trim() : '', route ?? '', rep?.frequency ? `${rep.frequency} time(s) per ${rep.period ?? 1} ${rep.periodUnit ?? 'd'}` : '', d.asNeededBoolean ? 'as needed' : '']
      .filter(Boolean)
      .join(', ');
  });
  return parts.filter(Boolean).join('\n') || '(no directions given)';
}

/** Renders the prescription to PDF bytes. */
export function renderPrescriptionPdf(input: PrescriptionPdfInput): Promise<Buffer> {
  const { order, patient } = input;
  const doc = new PDFDocument({ size: 'LETTER', margin: 56, info: { Title: 'Prescription', Creator: 'Chartroom', CreationDate: new Date(input.now) } });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const disp = order.dispenseRequest;
  const qty = disp?.quantity ? `${disp.quantity.value} ${disp.quantity.unit ?? disp.quantity.code ?? ''}`.trim() : '(not stated)';
  const prescriber = input.prescriber ? nameOf(input.prescriber.name) : (order.requester?.display ?? order.requester?.reference ?? '(not recorded)');
  const npi = input.prescriber?.identifier?.find((i) => /npi/i.test(i.system ?? ''))?.value;

  doc.font('Helvetica-Bold').fontSize(16).text(input.practiceName);
  doc.font('Helvetica').fontSize(10).fillColor('#444').text('Prescription', { continued: false }).moveDown(1);
  doc.fillColor('#000').font('Helvetica-Bold').fontSize(11).text('Patient');
  doc.font('Helvetica').text(`${nameOf(patient.name)}    Date of birth: ${patient.birthDate ?? '(unknown)'}`);
  const addr = patient.address?.[0];
  if (addr) doc.text([...(addr.line ?? []), addr.city, addr.state, addr.postalCode].filter(Boolean).join(', '));
  doc.moveDown(1);
  doc.font('Helvetica-Bold').fontSize(14).text(`Rx  ${conceptLabel(order.medicationCodeableConcept)}`);
  const rx = order.medicationCodeableConcept?.coding?.find((c) => /rxnorm/.test(c.system ?? ''));
  doc.font('Helvetica').fontSize(9).fillColor('#444').text(rx ? `RxNorm ${rx.code}${rx.display ? ` (${rx.display})` : ''}` : 'Free-text drug: not coded, NOT checked for interactions');
  doc.fillColor('#000').fontSize(11).moveDown(0.5);
  doc.font('Helvetica-Bold').text('Directions: ', { continued: true }).font('Helvetica').text(directions(order));
  doc.font('Helvetica-Bold').text('Quantity: ', { continued: true }).font('Helvetica').text(qty);
  doc.font('Helvetica-Bold').text('Refills: ', { continued: true }).font('Helvetica').text(String(disp?.numberOfRepeatsAllowed ?? 0));
  if (disp?.expectedSupplyDuration?.value) doc.font('Helvetica-Bold').text('Days supply: ', { continued: true }).font('Helvetica').text(String(disp.expectedSupplyDuration.value));
  for (const n of order.note ?? []) if (n.text) doc.font('Helvetica-Oblique').text(n.text);
  if (isUncoded(order)) doc.moveDown(0.5).font('Helvetica-Bold').fillColor('#a00').text('This drug was entered as free text and was not checked for interactions or allergies.').fillColor('#000');
  doc.moveDown(2);
  doc.font('Helvetica').text(`Prescriber: ${prescriber}${npi ? `    NPI ${npi}` : ''}`);
  doc.text(`Written: ${(order.authoredOn ?? new Date(input.now).toISOString()).slice(0, 10)}    Status: ${order.status}`);
  doc.moveDown(2).text('Signature: ____________________________________');
  doc.moveDown(2).fontSize(8).fillColor('#666').text(`Order MedicationRequest/${order.id}. Printed ${new Date(input.now).toISOString().slice(0, 16).replace('T', ' ')} UTC.`);
  doc.end();
  return done;
}
