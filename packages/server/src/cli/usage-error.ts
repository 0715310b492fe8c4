/** Thrown for a usage mistake: printed without a stack trace, exit code 2. */
export class UsageError extends Error {}
