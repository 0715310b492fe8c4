/**
 * Authentication errors that a client must tell apart (second factor needed, password change
 * needed…): an OperationOutcome whose issue carries `details.coding[0].code`.
 */
import { OutcomeError } from '@chartroom/core';
import type { OutcomeKind } from '@chartroom/core';

/** Code system of the machine-readable authentication outcome codes. */
export const AUTH_OUTCOME_SYSTEM = 'https://chartroom.dev/fhir/CodeSystem/auth-outcome';

export const AUTH_OUTCOME_CODES = ['mfa-required', 'password-change-required', 'mfa-enrolment-required', 'not-authenticated', 'csrf'] as const;
export type AuthOutcomeCode = (typeof AUTH_OUTCOME_CODES)[number];

const ISSUE_CODE = { unauthorized: 'login', forbidden: 'forbidden' } as const;

/** An OutcomeError (401 or 403) whose issue carries a machine-readable code. */
export function authError(kind: 'unauthorized' | 'forbidden', code: AuthOutcomeCode, message: string): OutcomeError {
  return new OutcomeError(kind as OutcomeKind, {
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'error', code: ISSUE_CODE[kind], diagnostics: message, details: { coding: [{ system: AUTH_OUTCOME_SYSTEM, code }], text: message } }],
  });
}
