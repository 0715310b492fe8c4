/**
 * Password hashing: argon2id with at least the OWASP Password Storage Cheat Sheet / ASVS 5.0
 * parameters (m = 19 MiB, t = 2, p = 1), and a check that tells when a stored hash was made
 * with weaker parameters than the current ones, so it is rehashed at the next sign-in.
 */
import { hash, parseOptions, verify } from '@node-rs/argon2';
import type { Algorithm } from '@node-rs/argon2';

export interface Argon2Params {
  /** Memory in KiB. */
  memoryCost: number;
  /** Passes. */
  timeCost: number;
  parallelism: number;
}

/** OWASP's minimum for argon2id: 19 MiB, 2 passes, 1 lane. */
export const ARGON2_PARAMS: Argon2Params = Object.freeze({ memoryCost: 19_456, timeCost: 2, parallelism: 1 });

// `Algorithm` is an ambient const enum (isolatedModules cannot read it): 2 is Argon2id.
const ARGON2ID = 2 as Algorithm;

/** Hashes a password with argon2id (PHC string with a fresh 16-byte salt). */
export function hashPassword(password: string, params: Argon2Params = ARGON2_PARAMS): Promise<string> {
  return hash(password, { ...params, algorithm: ARGON2ID });
}

/** Checks a password against a stored PHC string; false (not an error) for a malformed hash. */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

/** True when `stored` is not argon2id or was made with less memory, fewer passes or lanes than `params`. */
export function needsRehash(stored: string, params: Argon2Params = ARGON2_PARAMS): boolean {
  try {
    const o = parseOptions(stored);
    return (o.algorithm as number) !== 2 || o.memoryCost < params.memoryCost || o.timeCost < params.timeCost || o.parallelism < params.parallelism;
  } catch {
    return true;
  }
}
