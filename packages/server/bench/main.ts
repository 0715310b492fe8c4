/**
 * `npm run bench`: populates an encrypted SQLite data directory (and PostgreSQL when a URL is
 * given), measures Chartroom over HTTP and in process against the raw SQLite floor and the
 * medplum in-memory repository, prints a table and writes JSON. It reports; it does not gate:
 * the exit code is 0 whether targets are met or missed, and non-zero only when something fails.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { initDataDir, readKey } from '../src/data-dir.js';
import type { StoreLocation } from '../src/store/open-store.js';
import { BenchUsageError, USAGE, parseBenchOptions } from './bench-options.js';
import type { BenchOptions } from './bench-options.js';
import { runChartroomSuite } from './chartroom-suite.js';
import type { ChartroomSuiteResult } from './chartroom-suite.js';
import { fixtureBatch } from './fixture-practice.js';
import { runMedplumMemoryBaseline } from './medplum-memory-baseline.js';
import { populate } from './populate.js';
import { buildReport, formatReport } from './report-table.js';
import { createThrowawayDatabase } from './throwaway-postgres.js';
import { formatSyncReport, runSyncSuite } from './sync-suite.js';
import type { SyncBenchResult } from './sync-suite.js';

/** Progress goes to stderr so stdout holds the table. */
function log(line: string): void {
  process.stderr.write(line + '\n');
}

function redactUrl(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}

/** The sync section and its JSON. */
async function runSync(opts: BenchOptions): Promise<SyncBenchResult> {
  // A very large practice measures the clone alone (PouchDB and propagation are measured at the default size).
  const cloneOnly = opts.syncResources > 200_000;
  log(`Sync: initial clone of ${opts.syncResources.toLocaleString('en-US')} resources over HTTP${cloneOnly ? ' (clone only)' : ', PouchDB on the same documents, propagation'} (sync-suite.ts)`);
  const sync = await runSyncSuite(
    { resources: opts.syncResources, writesPerSecond: 50, seconds: opts.quick ? 2 : 20, pg: opts.pg, skipPropagation: cloneOnly, pouch: !cloneOnly },
    log,
  );
  process.stdout.write(formatSyncReport(sync) + '\n\n');
  return sync;
}

async function run(opts: BenchOptions): Promise<void> {
  const started = performance.now();
  if (opts.syncOnly) {
    const sync = await runSync(opts);
    const json = { version: 1, finishedAt: new Date().toISOString(), seconds: (performance.now() - started) / 1000, options: { quick: opts.quick, syncResources: opts.syncResources, postgres: opts.pg !== undefined }, results: { sync } };
    mkdirSync(dirname(opts.out), { recursive: true });
    writeFileSync(opts.out, JSON.stringify(json, null, 2) + '\n');
    log(`Results written to ${opts.out}`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'chartroom-bench-'));
  try {
    const dd = initDataDir(join(dir, 'data'), { practiceName: 'Benchmark practice' });
    const sqlite: Extract<StoreLocation, { kind: 'sqlite' }> = { kind: 'sqlite', file: dd.dbFile, keyHex: readKey(dd) };
    const freshBatches = Array.from({ length: opts.rounds }, (_, r) => fixtureBatch(opts.seed + 1, r * opts.importPatients, opts.importPatients, 'i'));
    log(`Chartroom benchmark: ${opts.patients} patients (${populate.name}), ${opts.quick ? 'quick' : 'full'} run; data in ${dir}`);

    log('Chartroom on encrypted SQLite (and the raw SQLite floor)');
    const sq = await runChartroomSuite(sqlite, opts, freshBatches, log, dir);
    const raw = sq.result.raw;
    if (!raw) throw new Error('the raw SQLite floor was not measured');
    log('Baseline: @medplum/fhir-router MemoryRepository');
    const mem = await runMedplumMemoryBaseline(sqlite, sq.workload, opts, log);

    let pgr: ChartroomSuiteResult | undefined;
    if (opts.pg) {
      log(`Chartroom on PostgreSQL (${redactUrl(opts.pg)})`);
      const db = await createThrowawayDatabase(opts.pg);
      try {
        pgr = (await runChartroomSuite({ kind: 'postgres', url: db.url }, opts, freshBatches, log)).result;
      } finally {
        await db.drop();
      }
    }

    const report = buildReport(sq.result, raw, mem, pgr);
    const seconds = (performance.now() - started) / 1000;
    const cpu = cpus();
    const machine = { node: process.version, platform: `${process.platform} ${process.arch}`, cpus: cpu.length, cpuModel: cpu[0]?.model ?? '', memoryGb: totalmem() / 2 ** 30 };
    const text = [
      '',
      `Chartroom benchmark — ${new Date().toISOString()} — ${opts.quick ? 'quick' : 'full'} run, ${seconds.toFixed(0)} s`,
      `${machine.node}, ${machine.cpus} × ${machine.cpuModel}; data: ${sq.result.populate.resources.toLocaleString('en-US')} resources ` +
        `(${opts.patients.toLocaleString('en-US')} patients, ${populate.name}); typical compartment ${sq.result.workload.typicalCompartment} resources; ` +
        `avg first-page matches: name ${sq.result.workload.avgNameMatches.toFixed(1)}, Observation ${sq.result.workload.avgObsMatches.toFixed(1)}`,
      `medplum mem: in process, ${mem.resources.toLocaleString('en-US')} resources${mem.capped ? ' (capped)' : ''}; raw sqlite: ${raw.rows.toLocaleString('en-US')} rows; ` +
        `×raw = Chartroom's cost over the raw floor (1 = as fast)`,
      '',
      formatReport(report, pgr !== undefined, true),
      '',
    ].join('\n');
    process.stdout.write(text + '\n');
    const sync = await runSync(opts);

    const json = {
      version: 1,
      finishedAt: new Date().toISOString(),
      seconds,
      machine,
      options: { quick: opts.quick, patients: opts.patients, seed: opts.seed, syncResources: opts.syncResources, postgres: opts.pg !== undefined, latency: opts.latency, concurrency: opts.concurrency },
      populateSource: populate.name,
      report,
      results: { sqlite: sq.result, medplumMemory: mem, postgres: pgr, sync },
    };
    mkdirSync(dirname(opts.out), { recursive: true });
    writeFileSync(opts.out, JSON.stringify(json, null, 2) + '\n');
    log(`Results written to ${opts.out}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the benchmark; returns the exit code (0 whether targets are met or not; 1 on failure; 2 on usage). */
export async function main(argv: string[]): Promise<number> {
  let opts: BenchOptions;
  try {
    opts = parseBenchOptions(argv);
  } catch (err) {
    if (err instanceof BenchUsageError) {
      console.error(`chartroom-bench: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  try {
    await run(opts);
    return 0;
  } catch (err) {
    console.error('chartroom-bench: the benchmark failed:', err);
    return 1;
  }
}
