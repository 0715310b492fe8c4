/**
 * Parses a JSON request body at the edge: malformed JSON and absurd nesting are a 400
 * OperationOutcome, never a crash deeper in (a 100 000-deep body overflows the stack of
 * every recursive walker after it).
 */
import { outcomeError } from '@chartroom/core';

/** Deepest nesting of objects and arrays accepted; real FHIR resources stay far below it. */
export const MAX_JSON_DEPTH = 100;

/** The deepest object/array nesting in JSON text (strings skipped), stopping past `limit`. */
export function jsonDepth(text: string, limit = Infinity): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return max;
}

/** Parses a request body as JSON; undefined for an empty body; 400 when malformed or too deep. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  if (jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    throw outcomeError('badRequest', `The body nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw outcomeError('badRequest', `The body is not valid JSON: ${(err as Error).message}`);
  }
}
