/**
 * The one error type of Chartroom: an OperationOutcome with the HTTP status it maps to.
 * Domain and storage code throw {@link OutcomeError}; the HTTP layer turns it into a
 * response through {@link statusOf}. See https://hl7.org/fhir/R4/operationoutcome.html
 */
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';

/** Outcome kinds and the HTTP status each one maps to (the one status table). */
export const OUTCOME_STATUS = {
  ok: 200,
  created: 201,
  badRequest: 400,
  unauthorized: 401,
  forbidden: 403,
  notFound: 404,
  notAllowed: 405,
  conflict: 409,
  gone: 410,
  preconditionFailed: 412,
  tooLarge: 413,
  unsupportedMediaType: 415,
  unprocessable: 422,
  tooManyRequests: 429,
  serverError: 500,
  notImplemented: 501,
  unavailable: 503,
} as const;

export type OutcomeKind = keyof typeof OUTCOME_STATUS;

/** Issue codes from https://hl7.org/fhir/R4/valueset-issue-type.html used per kind. */
const ISSUE_CODE: Record<OutcomeKind, OperationOutcomeIssue['code']> = {
  ok: 'informational',
  created: 'informational',
  badRequest: 'invalid',
  unauthorized: 'login',
  forbidden: 'forbidden',
  notFound: 'not-found',
  notAllowed: 'not-supported',
  conflict: 'conflict',
  gone: 'deleted',
  preconditionFailed: 'conflict',
  tooLarge: 'too-costly',
  unsupportedMediaType: 'not-supported',
  unprocessable: 'processing',
  tooManyRequests: 'throttled',
  serverError: 'exception',
  notImplemented: 'not-supported',
  unavailable: 'transient',
};

/** An error that carries an OperationOutcome and its HTTP status. */
export class OutcomeError extends Error {
  readonly kind: OutcomeKind;
  readonly outcome: OperationOutcome;

  constructor(kind: OutcomeKind, outcome: OperationOutcome) {
    super(outcome.issue?.map((i) => i.diagnostics ?? i.details?.text).join('; ') || kind);
    this.name = 'OutcomeError';
    this.kind = kind;
    this.outcome = outcome;
  }

  /** The HTTP status for this error. */
  get status(): number {
    return OUTCOME_STATUS[this.kind];
  }
}

/** Builds an OperationOutcome with a single issue. */
export function outcome(
  kind: OutcomeKind,
  message: string,
  expression?: string | string[],
  severity: OperationOutcomeIssue['severity'] = kind === 'ok' || kind === 'created' ? 'information' : 'error',
): OperationOutcome {
  const issue: OperationOutcomeIssue = { severity, code: ISSUE_CODE[kind], diagnostics: message };
  if (expression !== undefined) issue.expression = Array.isArray(expression) ? expression : [expression];
  return { resourceType: 'OperationOutcome', issue: [issue] };
}

/** Creates an {@link OutcomeError} of the given kind with one issue. */
export function outcomeError(kind: OutcomeKind, message: string, expression?: string | string[]): OutcomeError {
  return new OutcomeError(kind, outcome(kind, message, expression));
}

/** 400: the request is malformed; `expression` is the FHIRPath of the bad element or parameter. */
export const badRequest = (message: string, expression?: string | string[]): OutcomeError =>
  outcomeError('badRequest', message, expression);
/** 404: the resource or route does not exist. */
export const notFound = (message: string): OutcomeError => outcomeError('notFound', message);
/** 410: the resource was deleted. */
export const gone = (message: string): OutcomeError => outcomeError('gone', message);
/** 412: an If-Match or conditional precondition failed. */
export const preconditionFailed = (message: string): OutcomeError => outcomeError('preconditionFailed', message);
/** 409: the write conflicts with the current state. */
export const conflict = (message: string): OutcomeError => outcomeError('conflict', message);
/** 501/405: the interaction is not supported. */
export const notSupported = (message: string): OutcomeError => outcomeError('notImplemented', message);

/** The HTTP status of any thrown value: its own for {@link OutcomeError}, 500 otherwise. */
export function statusOf(err: unknown): number {
  return err instanceof OutcomeError ? err.status : 500;
}

/** True when a value is an OperationOutcome resource. */
export function isOperationOutcome(value: unknown): value is OperationOutcome {
  return typeof value === 'object' && value !== null && (value as { resourceType?: unknown }).resourceType === 'OperationOutcome';
}
