/**
 * Rewriting `Reference.reference` strings in place, contained resources included
 * (https://hl7.org/fhir/R4/references.html#Reference).
 */

/**
 * Replaces every `reference` string found anywhere in `node` by `map(reference)`; a
 * function returning its argument leaves the reference as it is.
 */
export function rewriteReferences(node: unknown, map: (reference: string) => string): void {
  if (Array.isArray(node)) {
    for (const item of node) if (item !== null && typeof item === 'object') rewriteReferences(item, map);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const obj = node as Record<string, unknown>;
  for (const key in obj) {
    const value = obj[key];
    if (key === 'reference' && typeof value === 'string') obj[key] = map(value);
    else if (value !== null && typeof value === 'object') rewriteReferences(value, map);
  }
}

/** A literal relative reference `Type/id` (optionally with `/_history/vid`), split. */
export function parseLiteralReference(reference: string): { type: string; id: string } | undefined {
  const m = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/.exec(reference);
  return m ? { type: m[1] ?? '', id: m[2] ?? '' } : undefined;
}

/** True for a conditional reference `Type?criteria` (https://hl7.org/fhir/R4/http.html#trules). */
export function isConditionalReference(reference: string): boolean {
  return /^[A-Z][A-Za-z]+\?./.test(reference);
}
