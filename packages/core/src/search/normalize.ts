/**
 * String normalisation for search: accents removed, case folded, so `Muñoz` matches
 * `munoz` and `MUNOZ` (https://hl7.org/fhir/R4/search.html#string).
 */

/** Latin letters that Unicode decomposition leaves whole, folded to their base letters. */
const FOLD: Record<string, string> = { ø: 'o', æ: 'ae', œ: 'oe', ß: 'ss', ł: 'l', đ: 'd', ð: 'd', þ: 'th', ı: 'i', ħ: 'h', ŧ: 't' };
const FOLD_PATTERN = /[øæœßłđðþıħŧ]/g;

/** Folds accents, case, and runs of white space, for accent- and case-insensitive matching. */
export function normalizeString(value: string): string {
  return value
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(FOLD_PATTERN, (c) => FOLD[c] ?? c)
    .replace(/['’ʼ`]/g, '') // O'Connor, D’Angelo: found as oconnor, dangelo
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * A string greater than every string that starts with `prefix`, for index range scans. Both
 * databases compare UTF-8 bytes, so the bound appends the highest code point (U+10FFFF,
 * bytes F4 8F BF BF): U+FFFF would sort below astral characters such as emoji.
 */
export function prefixUpperBound(prefix: string): string {
  return prefix + '\u{10FFFF}';
}
