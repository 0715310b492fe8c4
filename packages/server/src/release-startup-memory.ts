/**
 * Gives back the memory that start-up leaves behind. Loading the FHIR definitions parses
 * large JSON files; the garbage they leave (~50 MB) would otherwise stay in the process's
 * resident size until V8 happens to run a full collection, which a busy server may not do
 * for a long time. One full collection after start-up returns it.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

/** Runs one full garbage collection; call once, after start-up, before serving. */
export function releaseStartupMemory(): void {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as (() => void) | undefined;
  if (typeof gc === 'function') gc();
}
