/**
 * Runs CLI code in the test's process with what it prints captured (console.log and
 * console.error), restored afterwards whatever happens.
 */
import { main } from '../../src/cli/main.js';

export interface Captured {
  code: number;
  out: string;
  err: string;
}

/** Runs `fn` (returning an exit code) with the console captured. */
export async function captureConsole(fn: () => Promise<number>): Promise<Captured> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  try {
    const code = await fn();
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

/** `chartroom ARGS…` in process. */
export function runCli(args: string[]): Promise<Captured> {
  return captureConsole(() => main(args));
}
