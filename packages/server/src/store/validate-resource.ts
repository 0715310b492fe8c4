/**
 * Validation of a resource before it is written: the shape checks the store needs (an
 * object, a known resourceType, a well-formed id) and then the R4 StructureDefinitions
 * (types, cardinality, required elements, formats) through `@medplum/core`, and the codes
 * of required value-set bindings (fhir/required-codes.ts), which that validator leaves out.
 * Kept apart from the repository so the validation threads (validation-pool.ts) load only this.
 */
import { validateResource, OperationOutcomeError } from '@medplum/core';
import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { OutcomeError, badRequest, isSupportedResourceType } from '@chartroom/core';
import { requiredCodeIssues } from '../fhir/required-codes.js';

const ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;

/** Validates a resource for writing; a failure is a 400 whose issues point at the bad elements. */
export function validateForWrite(resource: unknown): Resource {
  if (typeof resource !== 'object' || resource === null || Array.isArray(resource)) {
    throw badRequest('The body must be a FHIR resource (a JSON object)');
  }
  const r = resource as Resource;
  if (typeof r.resourceType !== 'string' || !r.resourceType) throw badRequest('Missing resourceType', 'resourceType');
  if (!isSupportedResourceType(r.resourceType)) throw badRequest(`Unknown resource type "${r.resourceType}"`, 'resourceType');
  if (r.id !== undefined && (typeof r.id !== 'string' || !ID_PATTERN.test(r.id))) {
    throw badRequest('id must be 1-64 characters of A-Z, a-z, 0-9, "-" and "."', `${r.resourceType}.id`);
  }
  let issues: OperationOutcomeIssue[] = [];
  try {
    validateResource(r);
  } catch (err) {
    if (!(err instanceof OperationOutcomeError)) throw err;
    issues = err.outcome.issue;
  }
  issues = issues.concat(requiredCodeIssues(r));
  if (issues.length > 0) {
    throw new OutcomeError('badRequest', { resourceType: 'OperationOutcome', issue: issues.map((i) => ({ ...i, diagnostics: readableDiagnostics(i) })) });
  }
  return r;
}

/**
 * A validation issue as a person reads it: where, then what. The validator puts an
 * invariant's FHIRPath (as JSON) in `diagnostics`; it is kept after the text.
 */
function readableDiagnostics(issue: OperationOutcomeIssue): string {
  const where = issue.expression?.[0];
  const text = issue.details?.text ?? issue.diagnostics ?? 'Invalid resource';
  let rule = '';
  if (issue.diagnostics?.startsWith('{')) {
    try {
      const parsed = JSON.parse(issue.diagnostics) as { fhirpath?: unknown };
      if (typeof parsed.fhirpath === 'string') rule = ` (rule: ${parsed.fhirpath})`;
    } catch {
      rule = '';
    }
  }
  return `${where ? `${where}: ` : ''}${text}${rule}`;
}

