/**
 * Recovery codes for a lost authenticator: ten single-use codes of 50 random bits, shown once
 * and stored only as keyed hashes.
 */
import type { RandomSource } from './random-source.js';

const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789'; // no 0/o, 1/l/i
export const RECOVERY_CODE_COUNT = 10;

/** One code, `xxxxx-xxxxx` (10 characters of a 31-letter alphabet ≈ 50 bits). */
export function newRecoveryCode(random: RandomSource): string {
  const bytes = random.bytes(20);
  let s = '';
  for (const b of bytes) {
    if (b >= 248) continue; // 248 = 8 × 31: keep the draw uniform
    s += ALPHABET[b % 31];
    if (s.length === 10) break;
  }
  if (s.length < 10) return newRecoveryCode(random);
  return `${s.slice(0, 5)}-${s.slice(5)}`;
}

/** The canonical form a recovery code is hashed in (case and separators ignored). */
export function normalizeRecoveryCode(code: string): string | undefined {
  const s = code.toLowerCase().replace(/[\s-]/g, '');
  return /^[a-z0-9]{10}$/.test(s) ? s : undefined;
}
