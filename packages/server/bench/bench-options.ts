/**
 * Command-line options of `npm run bench` and the measurement budgets they imply.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Budget } from './measure.js';

export interface ConcurrencyBudget {
  clients: number;
  durationMs: number;
  maxOps: number;
  warmupOps: number;
}

export interface BenchOptions {
  quick: boolean;
  patients: number;
  seed: number;
  /** PostgreSQL server URL; a throwaway database is created on it and dropped after. */
  pg: string | undefined;
  /** Where the JSON results go. */
  out: string;
  latency: Budget;
  concurrency: ConcurrencyBudget;
  /** Patients in each fresh batch whose import is timed. */
  importPatients: number;
  /** Alternating rounds of Chartroom and its raw SQLite floor (imports: one fresh batch each). */
  rounds: number;
  /** Patients sampled for searches and $everything. */
  sampleSize: number;
  /** Most resources loaded into the in-memory baseline. */
  memoryCap: number;
  /** Resources in the practice the sync section clones (and PouchDB replicates). */
  syncResources: number;
  /** Run only the sync section. */
  syncOnly: boolean;
}

export const USAGE = `Usage: npm run bench -- [--quick] [--patients N] [--pg URL] [--out FILE] [--seed S]

  --quick        small data and short measurements (CI): well under 3 minutes
  --patients N   patients in the benchmark practice (default 50000; --quick: 150)
  --pg URL       also run on PostgreSQL (default: $CHARTROOM_TEST_PG); a throwaway database is created and dropped
  --out FILE     JSON results (default bench-results/latest.json at the repository root)
  --seed S       data seed (default 1)
  --sync-resources N  resources the sync section clones node → hub → node and PouchDB replicates (default 50000; --quick: 5000;
                 above 200000 only the clone is measured)
  --sync-only    run only the sync section
`;

/** Raised for a bad command line: printed with the usage text. */
export class BenchUsageError extends Error {}

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function positiveInt(name: string, text: string, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max) throw new BenchUsageError(`${name} must be a whole number from 1 to ${max}; got "${text}"`);
  return Number(text);
}

/** Parses the command line (and CHARTROOM_TEST_PG). */
export function parseBenchOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): BenchOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        quick: { type: 'boolean' },
        patients: { type: 'string' },
        pg: { type: 'string' },
        out: { type: 'string' },
        seed: { type: 'string' },
        'sync-resources': { type: 'string' },
        'sync-only': { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new BenchUsageError((err as Error).message);
  }
  const quick = values.quick ?? false;
  const patients = values.patients !== undefined ? positiveInt('--patients', values.patients, 2_000_000) : quick ? 150 : 50_000;
  const syncResources = values['sync-resources'] !== undefined ? positiveInt('--sync-resources', values['sync-resources'], 10_000_000) : quick ? 5000 : 50_000;
  const seed = values.seed !== undefined ? positiveInt('--seed', values.seed, 2 ** 31 - 1) : 1;
  const pg = values.pg ?? (env.CHARTROOM_TEST_PG || undefined);
  if (pg !== undefined && !/^postgres(ql)?:\/\//.test(pg)) throw new BenchUsageError(`--pg must be a postgres:// URL; got "${pg}"`);
  const out = resolve(values.out ?? resolve(REPO_ROOT, 'bench-results', 'latest.json'));
  return {
    quick,
    patients,
    seed,
    pg,
    out,
    latency: quick ? { warmupOps: 30, maxOps: 3_000, maxMs: 1_500 } : { warmupOps: 200, maxOps: 20_000, maxMs: 8_000 },
    concurrency: quick
      ? { clients: 8, durationMs: 2_500, maxOps: 200_000, warmupOps: 40 }
      : { clients: 8, durationMs: 10_000, maxOps: 2_000_000, warmupOps: 200 },
    importPatients: quick ? 40 : 200,
    rounds: quick ? 3 : 5,
    sampleSize: quick ? 100 : 300,
    memoryCap: quick ? 100_000 : 300_000,
    syncResources,
    syncOnly: values['sync-only'] ?? false,
  };
}
