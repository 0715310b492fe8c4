/**
 * The demo's results inbox and correspondence: a review task (clinical/labs/review-task.ts)
 * for each abnormal lab result of the last 30 days, owned by the patient's clinician (drug
 * levels of psychiatric patients by the psychiatrist), so the inbox has unacknowledged
 * results; and, for the first featured patients, a message thread and draft letters.
 * Deterministic: ids come from the demo's id maker, times from `ctx.now`.
 */
import type { Communication, DocumentReference, Observation, Patient, Reference, Resource } from '@medplum/fhirtypes';
import type { DemoContext } from './demo-context.js';
import type { PatientSummary } from './patient-record.js';
import { addDays, localDateTime } from './demo-time.js';
import { quantityObservation } from './observation-builder.js';
import { reviewTask } from '../clinical/labs/review-task.js';
import { flagCodeOf, isAbnormalFlag, isCriticalFlag } from '../clinical/labs/result-flags.js';
import { DOCUMENT_CATEGORY_SYSTEM } from '../clinical/documents/document-service.js';
import { LETTER_TEMPLATE_SYSTEM } from '../clinical/letters/letter-templates.js';
import { MESSAGE_CATEGORY_SYSTEM } from '../clinical/messages/message-service.js';

const DRUG_LEVELS = new Set(['14334-7', '4086-5']);
const INBOX_DAYS = 30;

function isLab(o: Observation): boolean {
  return o.category?.some((c) => c.coding?.some((x) => x.code === 'laboratory')) ?? false;
}

/** Lithium levels before the visits the generator writes (missed doses, a dehydrated summer). */
const LITHIUM_HISTORY = [0.84, 0.92, 0.61, 0.88, 0.97, 1.31, 0.9, 0.83, 0.94, 0.79, 0.87] as const;

/**
 * For the first featured patient (on lithium for eight years): lithium levels every four
 * months back to more than five years ago, before the generated visits, some out of range,
 * so the trend has a long series with its band.
 */
export function demoLithiumHistory(ctx: DemoContext, summary: PatientSummary, resources: readonly Resource[]): Resource[] {
  if (summary.index !== 0) return [];
  const levels = resources.filter((r): r is Observation => r.resourceType === 'Observation' && r.code.coding?.[0]?.code === '14334-7' && !!r.effectiveDateTime);
  const earliest = levels.reduce((min, o) => Math.min(min, Date.parse(o.effectiveDateTime as string)), ctx.now.getTime());
  const out: Resource[] = [];
  LITHIUM_HISTORY.forEach((value, k) => {
    const at = addDays(new Date(earliest), -120 * (LITHIUM_HISTORY.length - k));
    const obs = quantityObservation('lithium', value, {
      id: ctx.id(`Observation/lithium-history/${k}`),
      subject: { reference: summary.ref, display: summary.display },
      encounter: {},
      effective: localDateTime(at),
      performer: { display: 'Riverside Regional Laboratory' },
    });
    delete obs.encounter;
    out.push(obs);
  });
  return out;
}

/** Review tasks for the patient's recent abnormal lab results. */
export function demoReviewTasks(ctx: DemoContext, summary: PatientSummary, resources: readonly Resource[]): Resource[] {
  const patient = resources.find((r): r is Patient => r.resourceType === 'Patient');
  if (!patient?.id) return [];
  const since = addDays(ctx.now, -INBOX_DAYS).getTime();
  const out: Resource[] = [];
  for (const r of resources) {
    if (r.resourceType !== 'Observation' || !isLab(r) || !r.effectiveDateTime) continue;
    const flag = flagCodeOf(r.interpretation);
    if (!isAbnormalFlag(flag) || Date.parse(r.effectiveDateTime) < since) continue;
    const code = r.code.coding?.[0]?.code ?? '';
    const who = DRUG_LEVELS.has(code) && summary.psychiatry ? ctx.practice.clinicians.psychiatrist : ctx.practice.clinicians[summary.pcp];
    const name = r.code.text ?? r.code.coding?.[0]?.display ?? code;
    out.push(
      reviewTask({
        focus: `Observation/${r.id}`,
        focusDisplay: name,
        patient: patient.id,
        patientDisplay: summary.display,
        owner: { reference: who.ref, display: who.display },
        critical: isCriticalFlag(flag),
        authoredOn: r.effectiveDateTime,
        description: `${isCriticalFlag(flag) ? 'CRITICAL: ' : ''}${name}: ${r.valueQuantity?.value ?? ''} ${r.valueQuantity?.unit ?? ''} (${flag})`,
      }),
    );
  }
  return out;
}

function message(ctx: DemoContext, key: string, patient: Reference<Patient>, staff: Reference, fromPatient: boolean, at: Date, text: string, extra: Partial<Communication>): Communication {
  return {
    resourceType: 'Communication',
    id: ctx.id(key),
    status: 'in-progress',
    category: [{ coding: [{ system: MESSAGE_CATEGORY_SYSTEM, code: 'patient-message', display: 'Patient message' }], text: 'Patient message' }],
    subject: patient,
    sent: localDateTime(at),
    sender: fromPatient ? patient : staff,
    recipient: [fromPatient ? staff : patient],
    payload: [{ contentString: text }],
    ...extra,
  } as Communication;
}

function draftLetter(ctx: DemoContext, key: string, patient: Reference<Patient>, author: Reference, template: { code: string; title: string }, subject: string, recipient: string | undefined, body: string): DocumentReference {
  const doc: DocumentReference = {
    resourceType: 'DocumentReference',
    id: ctx.id(key),
    status: 'current',
    docStatus: 'preliminary',
    type: { coding: [{ system: LETTER_TEMPLATE_SYSTEM, code: template.code, display: template.title }], text: template.title },
    category: [{ coding: [{ system: DOCUMENT_CATEGORY_SYSTEM, code: 'letter', display: 'Letter' }], text: 'Letter' }],
    subject: patient,
    date: localDateTime(ctx.now),
    author: [author as Reference<never>],
    description: subject,
    content: [{ attachment: { contentType: 'text/plain; charset=utf-8', data: Buffer.from(body, 'utf8').toString('base64'), title: subject } }],
  };
  if (recipient) doc.extension = [{ url: 'https://chartroom.dev/fhir/StructureDefinition/letter-recipient', valueString: recipient }];
  return doc;
}

/**
 * Demo letters that are signed once loaded (through the letter service, so each has its stored
 * PDF like any signed letter): Zoë Brontë's work note, signed by the psychotherapist who wrote it.
 * Empty when the demo has fewer than two patients.
 */
export function demoLettersToSign(ctx: DemoContext, patients: number): { letterId: string; practitionerId: string }[] {
  if (patients < 2) return [];
  return [{ letterId: ctx.id('DocumentReference/letter/1'), practitionerId: ctx.practice.clinicians.psychotherapist.ref.replace(/^Practitioner\//, '') }];
}

/** A message thread and letters (drafts when written) for the first two featured patients (José Muñoz, Zoë Brontë). */
export function demoCorrespondence(ctx: DemoContext, summary: PatientSummary): Resource[] {
  const patient: Reference<Patient> = { reference: summary.ref, display: summary.display };
  const psychiatrist = ctx.practice.clinicians.psychiatrist;
  const therapist = ctx.practice.clinicians.psychotherapist;
  const i = summary.index;
  if (i === 0) {
    const staff = { reference: psychiatrist.ref, display: psychiatrist.display };
    const first = message(ctx, 'Communication/0/1', patient, staff, true, addDays(ctx.now, -2), 'My hands have been shaking more since I started the ibuprofen for my knee. Is that normal?', { topic: { text: 'Tremor since new knee medicine' } });
    const reply = message(ctx, 'Communication/0/2', patient, staff, false, addDays(ctx.now, -1.9), 'Please stop the ibuprofen and take acetaminophen instead. We will check your lithium level at your visit today.', {
      topic: { text: 'Tremor since new knee medicine' },
      inResponseTo: [{ reference: `Communication/${first.id}` }],
      partOf: [{ reference: `Communication/${first.id}` }],
    });
    const letter = draftLetter(
      ctx,
      'DocumentReference/letter/0',
      patient,
      staff,
      { code: 'referral', title: 'Referral letter' },
      `Referral: ${summary.display}`,
      'Riverside Nephrology\n12 Mill Road, Riverside, MA 01901',
      [
        'Dear colleague,',
        '',
        `I would be grateful if you would see ${summary.display} regarding his kidney function after eight years of lithium carbonate.`,
        'His lithium level rose to 1.4 mmol/L after an NSAID was started; the NSAID has been stopped. Creatinine has crept up over the years.',
        '',
        'Thank you for seeing this patient.',
      ].join('\n'),
    );
    return [first, reply, letter];
  }
  if (i === 1) {
    const staff = { reference: therapist.ref, display: therapist.display };
    const note = draftLetter(
      ctx,
      'DocumentReference/letter/1',
      patient,
      staff,
      { code: 'work-school-note', title: 'Work or school note' },
      `Medical note for ${summary.display}`,
      undefined,
      `To the employer of ${summary.display}:\n\n${summary.display} attends weekly appointments in this practice on Tuesday afternoons and needs to leave work at 3 pm on those days until further notice.`,
    );
    const question = message(ctx, 'Communication/1/1', patient, staff, true, addDays(ctx.now, -1), 'Could I get a note for my employer about the Tuesday appointments?', { topic: { text: 'Note for my employer' } });
    return [question, note];
  }
  return [];
}
