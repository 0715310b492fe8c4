/**
 * String normalisation for search: accents removed, case folded, so `Muñoz` matches
 * `munoz` and `MUNOZ` (https://hl7.org/fhir/R4/search.html#string).
 */
export function normalizeString(value: string): string {
  return value.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase().replace(/\s+/g, ' ').trim();
}

/** The smallest string greater than every string that starts with `prefix` (for range scans). */
export function prefixUpperBound(prefix: string): string {
  return prefix + '\uffff';
}
