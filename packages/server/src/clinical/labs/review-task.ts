/**
 * The review task of a result: what puts an abnormal result in a clinician's inbox until
 * it is acknowledged (a FHIR Task, https://hl7.org/fhir/R4/task.html, whose `focus` is the
 * DiagnosticReport or Observation and whose `owner` is the responsible clinician).
 */
import { createHash } from 'node:crypto';
import type { Patient, Practitioner, Reference, Task } from '@medplum/fhirtypes';

export const CHARTROOM_TASK_SYSTEM = 'https://chartroom.dev/fhir/CodeSystem/task-code';
export const REVIEW_RESULT = 'review-result';

/** The review task's id for a result: one task per result, so refiling reopens it. */
export function reviewTaskId(focus: string): string {
  return `review-${createHash('sha256').update(focus).digest('hex').slice(0, 32)}`;
}

/** The patient's first Practitioner general practitioner, the default owner of a result. */
export function responsibleClinician(patient: Patient): Reference<Practitioner> | undefined {
  const gp = patient.generalPractitioner?.find((r) => r.reference?.startsWith('Practitioner/'));
  return gp ? { reference: gp.reference, ...(gp.display ? { display: gp.display } : {}) } : undefined;
}

export interface ReviewTaskInput {
  /** `DiagnosticReport/<id>` or `Observation/<id>`. */
  focus: string;
  focusDisplay?: string;
  patient: string;
  patientDisplay?: string;
  owner?: Reference<Practitioner>;
  critical: boolean;
  authoredOn: string;
  description: string;
}

/** A new (or reopened) review task. */
export function reviewTask(input: ReviewTaskInput): Task {
  const task: Task = {
    resourceType: 'Task',
    id: reviewTaskId(input.focus),
    status: 'requested',
    intent: 'order',
    priority: input.critical ? 'urgent' : 'routine',
    code: { coding: [{ system: CHARTROOM_TASK_SYSTEM, code: REVIEW_RESULT, display: 'Review result' }], text: 'Review result' },
    description: input.description,
    focus: { reference: input.focus, ...(input.focusDisplay ? { display: input.focusDisplay } : {}) },
    for: { reference: `Patient/${input.patient}`, ...(input.patientDisplay ? { display: input.patientDisplay } : {}) },
    authoredOn: input.authoredOn,
    lastModified: input.authoredOn,
  };
  if (input.owner) task.owner = input.owner;
  return task;
}
