/**
 * `chartroom demo --data DIR [--patients N] [--seed S]`: loads the deterministic demo
 * practice, with progress on stderr and a summary of what was written.
 */
import { DEFAULT_DEMO_PATIENTS, DEFAULT_DEMO_SEED, DEFAULT_PRACTICE_NAME, loadDemo } from '../demo/load-demo.js';
import { openDataDir } from '../data-dir.js';
import { openDataStore } from './open-data-store.js';
import { useBulkWriteCache } from '../store/sqlite-dialect.js';
import { formatCount, progressReporter } from '../import/progress-reporter.js';

/** Thrown for a bad option value; printed without a stack trace, exit code 2. */
class DemoUsageError extends Error {}

function parsePatients(value: string | undefined): number {
  if (value === undefined) return DEFAULT_DEMO_PATIENTS;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n > 10_000_000) throw new DemoUsageError(`--patients must be a whole number (0 to 10,000,000); got "${value}"`);
  return n;
}

/** `chartroom demo`; returns the exit code. */
export async function runDemo(data: string, opts: { patients: string | undefined; seed: string | undefined; store: string | undefined }): Promise<number> {
  let patients: number;
  try {
    patients = parsePatients(opts.patients);
  } catch (err) {
    console.error(`chartroom demo: ${(err as Error).message}`);
    return 2;
  }
  const seed = opts.seed === undefined ? DEFAULT_DEMO_SEED : /^-?\d+$/.test(opts.seed) ? Number(opts.seed) : opts.seed;
  const practiceName = opts.store ? DEFAULT_PRACTICE_NAME : openDataDir(data).config.practiceName;
  const store = await openDataStore(data, opts.store);
  useBulkWriteCache(store.dialect);
  try {
    const bar = progressReporter({ label: 'demo', total: patients });
    const started = performance.now();
    let counts: Record<string, number>;
    try {
      counts = await loadDemo(store.repo, {
        patients,
        seed,
        practiceName,
        onProgress: (p) => bar.update(p.patientsDone, `${formatCount(p.patientsDone)}/${formatCount(p.patients)} patients | ${formatCount(p.resources)} resources | ${formatCount((p.resources * 1000) / Math.max(1, p.elapsedMs))}/s`),
      });
    } finally {
      bar.stop();
    }
    const seconds = (performance.now() - started) / 1000;
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    console.log(`Loaded the demo practice "${practiceName}" (seed ${String(seed)}): ${formatCount(patients)} patients, ${formatCount(total)} resources in ${seconds.toFixed(1)} s (${formatCount(total / Math.max(seconds, 0.001))} resources/s).`);
    const width = Math.max(...Object.keys(counts).map((t) => t.length));
    for (const [type, n] of Object.entries(counts).sort((a, b) => b[1] - a[1])) console.log(`  ${type.padEnd(width)}  ${formatCount(n).padStart(9)}`);
    return 0;
  } finally {
    await store.close();
  }
}
