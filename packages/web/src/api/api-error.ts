/** The one error type of the web app: what failed, said plainly, from an OperationOutcome or the network. */
export class ApiError extends Error {
  constructor(
    /** HTTP status (0 when the node could not be reached). */
    readonly status: number,
    message: string,
    /** The OperationOutcome issue's `details.coding[0].code` (e.g. "mfa-required"), when given. */
    readonly code?: string,
    /** The route did not exist on this server (an API not delivered yet). */
    readonly missingRoute = false,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

interface OutcomeIssue {
  severity?: string;
  code?: string;
  diagnostics?: string;
  details?: { text?: string; coding?: { code?: string }[] };
}

/** Reads an error body (OperationOutcome or not) into an ApiError. */
export function errorFromBody(status: number, body: unknown, what: string): ApiError {
  const outcome = body as { resourceType?: string; issue?: OutcomeIssue[] } | undefined;
  if (outcome?.resourceType === 'OperationOutcome' && outcome.issue?.length) {
    const issue = outcome.issue[0];
    const text = issue?.diagnostics ?? issue?.details?.text ?? `${what} failed (${status})`;
    const missing = status === 404 && /^No route for /.test(text);
    return new ApiError(status, text, issue?.details?.coding?.[0]?.code, missing);
  }
  return new ApiError(status, `${what} failed: the server answered ${status}`);
}
