/**
 * The security services' source of randomness, injectable so tests can be deterministic
 * (STYLE habit 14). Production uses the operating system's CSPRNG.
 */
import { randomBytes } from 'node:crypto';

export interface RandomSource {
  /** `n` random bytes. */
  bytes(n: number): Buffer;
}

/** crypto.randomBytes. */
export const systemRandom: RandomSource = { bytes: (n) => randomBytes(n) };

/** A random id or token of `bytes` bytes, base64url (128 bits = 22 characters). */
export function randomToken(random: RandomSource, bytes = 32): string {
  return random.bytes(bytes).toString('base64url');
}
