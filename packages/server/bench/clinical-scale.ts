/**
 * The clinical figures on an existing data directory (such as a 50,000-patient demo), without
 * populating anything: `npx tsx packages/server/bench/clinical-scale.ts --data DIR [--quick]`.
 * Prints type-ahead latency per kind of query (what `npm run bench` mixes), the chart summary
 * of patients with a median-sized chart (as the bench) and of patients spread over the whole
 * store, and the day view. Opening the store runs pending migrations: point it at a copy.
 */
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { openDataStore } from '../src/cli/open-data-store.js';
import { ChartSummaryService } from '../src/clinical/chart-summary/chart-summary.js';
import { searchPatients } from '../src/clinical/patients/patient-search.js';
import { measureLatency } from './measure.js';
import type { LatencyStats } from './measure.js';
import { typeAheadQueries } from './clinical-figures.js';
import { dayView } from '../src/clinical/schedule/day-view.js';
import { localDay } from '../src/clinical/schedule/local-time.js';
import { discoverWorkload } from './workload.js';

const { values } = parseArgs({ options: { data: { type: 'string' }, quick: { type: 'boolean' }, store: { type: 'string' } }, strict: true });
if (!values.data) {
  process.stderr.write('Usage: npx tsx packages/server/bench/clinical-scale.ts --data DIR [--store postgres://…] [--quick]\n');
  process.exit(2);
}
const budget = values.quick ? { warmupOps: 30, maxOps: 3_000, maxMs: 1_500 } : { warmupOps: 200, maxOps: 20_000, maxMs: 8_000 };
const log = (line: string): void => void process.stderr.write(line + '\n');
const fmt = (name: string, s: LatencyStats): string => `${name.padEnd(46)} p50 ${s.p50.toFixed(2).padStart(7)}  p99 ${s.p99.toFixed(2).padStart(7)}  max ${s.max.toFixed(1).padStart(7)} ms  (${s.ops} ops)`;

/**
 * Wall-clock latency, and beside it the process CPU time each call used: on a machine shared
 * with other work the wall-clock p99 mostly measures waiting for a core; CPU time shows the
 * work itself (a call that waits for nothing but the CPU cannot be faster than its CPU time).
 */
async function measure(name: string, op: (i: number) => Promise<unknown>): Promise<string> {
  const cpu: number[] = [];
  const stats = await measureLatency(async (i) => {
    const c0 = process.cpuUsage();
    await op(i);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }, budget);
  const timed = cpu.slice(-stats.ops).sort((a, b) => a - b);
  const q = (x: number): number => timed[Math.min(timed.length - 1, Math.max(0, Math.ceil(x * timed.length) - 1))] ?? Number.NaN;
  return `${fmt(name, stats)}  cpu p50 ${q(0.5).toFixed(2)} p99 ${q(0.99).toFixed(2)} ms`;
}

const t0 = performance.now();
const store = await openDataStore(values.data, values.store);
try {
  log(`store opened (migrations included) in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  const counts = await store.repo.countByType();
  log(`${counts.Patient ?? 0} patients, ${Object.values(counts).reduce((a, b) => a + b, 0)} resources`);
  const w = await discoverWorkload(store, values.quick ? 100 : 300);
  const q = await typeAheadQueries(store, w);
  const lines: string[] = [];
  for (const [kind, list] of Object.entries(q.byKind)) {
    if (list.length) lines.push(await measure(`type-ahead ${kind} (${list.length} queries)`, (i) => searchPatients(store.repo, list[i % list.length])));
  }
  const mixed = [...q.name, ...q.other, ...q.phone];
  lines.push(await measure(`type-ahead mixed (${mixed.length} queries)`, (i) => searchPatients(store.repo, mixed[i % mixed.length])));
  const summaries = new ChartSummaryService(store.repo);
  lines.push(await measure(`chart summary, ${w.everythingIds.length} median-sized charts`, (i) => summaries.summary(w.everythingIds[i % w.everythingIds.length] as string)));
  // The sampled patients (spread over the store) that have a chart beyond the Patient itself.
  const spread = w.sample.filter((c) => c.resources.length > 1).map((c) => c.patientId);
  lines.push(await measure(`chart summary, ${spread.length} sampled charts`, (i) => summaries.summary(spread[i % spread.length] as string)));
  const date = localDay(new Date());
  const first = await dayView(store.repo, { date });
  const appts = first.columns.reduce((n, c) => n + c.appointments.length, 0);
  lines.push(await measure(`day view (${appts} appointments)`, () => dayView(store.repo, { date })));
  process.stdout.write(lines.join('\n') + '\n');
} finally {
  await store.close();
}
