/**
 * The password rules of ASVS 5.0 §6.2 (NIST SP 800-63B): at least 12 characters, up to 128,
 * any characters and no composition rules, refused when common. "Common" is the shipped list
 * (common-passwords.txt), and also a listed word padded only with digits or punctuation
 * (`password1234!`), a single repeated character or keyboard run, or the user's own name.
 */
import { readFileSync } from 'node:fs';
import { outcomeError } from '@chartroom/core';

export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 128;

let common: Set<string> | undefined;

/** The shipped list of common passwords (lower case). */
export function commonPasswords(): Set<string> {
  common ??= new Set(
    readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#')),
  );
  return common;
}

const RUNS = ['abcdefghijklmnopqrstuvwxyz', '01234567890', 'qwertyuiopasdfghjklzxcvbnm', '09876543210', 'zyxwvutsrqponmlkjihgfedcba'];

/** Why a password is refused, or undefined when it is acceptable. */
export function passwordProblem(password: string, context: { username?: string } = {}): string | undefined {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH) return `The password must have at least ${MIN_PASSWORD_LENGTH} characters (it has ${length}); a few unrelated words make a good one.`;
  if (length > MAX_PASSWORD_LENGTH) return `The password must have at most ${MAX_PASSWORD_LENGTH} characters.`;
  const lower = password.normalize('NFKC').toLowerCase();
  const list = commonPasswords();
  if (list.has(lower)) return 'This password is on the list of common passwords; choose another.';
  const stem = lower.replace(/^[\d\W_]+|[\d\W_]+$/gu, '');
  if (stem.length > 0 && list.has(stem)) return 'This password is a common word with digits or symbols added; choose another.';
  if (/^(.)\1+$/su.test(lower) || /^(.{1,4})\1+$/su.test(lower)) return 'This password only repeats a few characters; choose another.';
  if (RUNS.some((run) => run.includes(lower) || (stem.length >= 6 && run.includes(stem)))) return 'This password is a run of keys or letters; choose another.';
  const user = context.username?.toLowerCase();
  if (user && user.length >= 3 && (lower.includes(user) || stem === user)) return 'The password must not contain the user name.';
  return undefined;
}

/** Throws a 400 OperationOutcome (expression `password`) when the password breaks the policy. */
export function checkPassword(password: string, context: { username?: string } = {}, field = 'password'): void {
  const problem = passwordProblem(password, context);
  if (problem) throw outcomeError('badRequest', problem, field);
}
