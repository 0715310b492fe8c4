/**
 * Letter templates: referral, consult reply, work/school note and "to whom it may concern".
 * Placeholders in `{{…}}` are filled from the chart when a letter is started
 * (letter-context.ts); the clinician edits the text before signing.
 */

export interface LetterTemplate {
  id: string;
  title: string;
  /** Default subject line. */
  subject: string;
  /** Whether the letter needs a recipient (a referral goes to someone; a work note does not). */
  needsRecipient: boolean;
  body: string;
}

export const LETTER_TEMPLATE_SYSTEM = 'https://chartroom.dev/fhir/CodeSystem/letter-template';

/** The shipped templates, by id. */
export const LETTER_TEMPLATES: Readonly<Record<string, LetterTemplate>> = Object.freeze({
  referral: {
    id: 'referral',
    title: 'Referral letter',
    subject: 'Referral: {{patient.name}}, born {{patient.birthDate}}',
    needsRecipient: true,
    body: [
      'Dear colleague,',
      '',
      'I would be grateful if you would see {{patient.name}} (born {{patient.birthDate}}) regarding: [reason for referral].',
      '',
      'Active problems:',
      '{{problems}}',
      '',
      'Current medications:',
      '{{medications}}',
      '',
      'Allergies:',
      '{{allergies}}',
      '',
      'Thank you for seeing this patient.',
    ].join('\n'),
  },
  'consult-reply': {
    id: 'consult-reply',
    title: 'Consultation reply',
    subject: 'Consultation: {{patient.name}}, born {{patient.birthDate}}',
    needsRecipient: true,
    body: [
      'Dear colleague,',
      '',
      'Thank you for referring {{patient.name}}, whom I saw on {{today}}.',
      '',
      'Assessment: [assessment]',
      '',
      'Recommendations: [recommendations]',
      '',
      'Active problems:',
      '{{problems}}',
      '',
      'Current medications:',
      '{{medications}}',
    ].join('\n'),
  },
  'work-school-note': {
    id: 'work-school-note',
    title: 'Work or school note',
    subject: 'Medical note for {{patient.name}}',
    needsRecipient: false,
    body: [
      'To the employer or school of {{patient.name}}:',
      '',
      '{{patient.name}} was seen in this practice on {{today}} and was unable to attend work or school from [first day] to [last day].',
      'They may return on [date] [with the following restrictions: …].',
    ].join('\n'),
  },
  'to-whom-it-may-concern': {
    id: 'to-whom-it-may-concern',
    title: 'To whom it may concern',
    subject: 'Re: {{patient.name}}, born {{patient.birthDate}}',
    needsRecipient: false,
    body: ['To whom it may concern,', '', '{{patient.name}} (born {{patient.birthDate}}) is a patient of this practice. [text]'].join('\n'),
  },
});

/** Fills `{{name}}` placeholders; unknown ones are left for the clinician to see. */
export function fillTemplate(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (whole, key: string) => values[key] ?? whole);
}
