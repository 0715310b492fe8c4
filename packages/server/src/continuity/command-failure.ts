/**
 * How the continuity commands end on an expected failure (a missing file, a refused restore):
 * the message on stderr and exit code 1, no stack trace. Usage mistakes still go to `main`.
 */
import { UsageError } from '../cli/usage-error.js';

/** Runs a command body; an Error other than a UsageError is printed and becomes exit code 1. */
export async function reportFailure(fn: () => Promise<number>): Promise<number> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof UsageError || !(err instanceof Error)) throw err;
    console.error(`chartroom: ${err.message}`);
    return 1;
  }
}
