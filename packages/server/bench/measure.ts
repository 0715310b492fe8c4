/**
 * Timing loops for the benchmark: sequential latency (p50/p99) and fixed-duration
 * throughput with N concurrent clients. Every loop is bounded by an operation count and a
 * wall-clock budget, whichever ends first.
 */
import { performance } from 'node:perf_hooks';

/** How long and how often one measurement may run. */
export interface Budget {
  /** Operations run first and not timed (warm caches, JIT, connections). */
  warmupOps: number;
  /** Most timed operations. */
  maxOps: number;
  /** Most wall-clock milliseconds of timed operations. */
  maxMs: number;
}

/** Latency figures of one measurement, in milliseconds. */
export interface LatencyStats {
  ops: number;
  p50: number;
  p99: number;
  mean: number;
  max: number;
  /** Operations per second over the timed run (sequential). */
  opsPerSec: number;
}

/** Throughput of a concurrent run, with the latency each client saw. */
export interface ThroughputStats extends LatencyStats {
  clients: number;
  seconds: number;
}

/** The value at quantile `q` (0..1) of sorted samples, by nearest rank. */
export function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

function summarise(samples: Float64Array, elapsedMs: number): LatencyStats {
  const sorted = samples.slice().sort();
  let sum = 0;
  for (const s of sorted) sum += s;
  return {
    ops: sorted.length,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    mean: sorted.length ? sum / sorted.length : Number.NaN,
    max: sorted.length ? (sorted[sorted.length - 1] ?? Number.NaN) : Number.NaN,
    opsPerSec: elapsedMs > 0 ? (sorted.length * 1000) / elapsedMs : Number.NaN,
  };
}

interface Samples {
  samples: Float64Array;
  elapsedMs: number;
}

async function collect(op: (i: number) => Promise<unknown> | unknown, from: number, maxOps: number, maxMs: number): Promise<Samples> {
  const samples = new Float64Array(maxOps);
  const start = performance.now();
  const deadline = start + maxMs;
  let n = 0;
  while (n < maxOps) {
    const t0 = performance.now();
    if (t0 >= deadline) break;
    await op(from + n);
    samples[n++] = performance.now() - t0;
  }
  return { samples: samples.subarray(0, n), elapsedMs: performance.now() - start };
}

async function warmUp(op: (i: number) => Promise<unknown> | unknown, ops: number, maxMs: number): Promise<void> {
  const deadline = performance.now() + maxMs;
  for (let i = 0; i < ops && performance.now() < deadline; i++) await op(i);
}

/** Runs `op(i)` one at a time within `budget` and reports its latency. */
export async function measureLatency(op: (i: number) => Promise<unknown> | unknown, budget: Budget): Promise<LatencyStats> {
  await warmUp(op, budget.warmupOps, budget.maxMs);
  const s = await collect(op, budget.warmupOps, budget.maxOps, budget.maxMs);
  return summarise(s.samples, s.elapsedMs);
}

/**
 * Measures several operations in alternating rounds that share `budget` (A, B, B, A, A, B…),
 * so that a machine getting slower or faster mid-run affects each alike; their ratio is
 * then fair on a shared machine.
 */
export async function measureLatencies<K extends string>(
  ops: Record<K, (i: number) => Promise<unknown> | unknown>,
  budget: Budget,
  rounds: number,
): Promise<Record<K, LatencyStats>> {
  const names = Object.keys(ops) as K[];
  const parts = new Map<K, Samples[]>(names.map((k) => [k, []]));
  for (const k of names) await warmUp(ops[k], budget.warmupOps, budget.maxMs / rounds);
  const perRound = { ops: Math.max(1, Math.floor(budget.maxOps / rounds)), ms: budget.maxMs / rounds };
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? names : [...names].reverse();
    for (const k of order) parts.get(k)?.push(await collect(ops[k], budget.warmupOps + r * perRound.ops, perRound.ops, perRound.ms));
  }
  const out = {} as Record<K, LatencyStats>;
  for (const k of names) {
    const list = parts.get(k) ?? [];
    const all = new Float64Array(list.reduce((a, p) => a + p.samples.length, 0));
    let at = 0;
    for (const p of list) {
      all.set(p.samples, at);
      at += p.samples.length;
    }
    out[k] = summarise(all, list.reduce((a, p) => a + p.elapsedMs, 0));
  }
  return out;
}

/**
 * Runs `op` from `clients` concurrent loops for `durationMs` (or `maxOps` operations in
 * all) and reports operations per second. The first failure stops every loop and is rethrown.
 */
export async function measureThroughput(
  op: (i: number, client: number) => Promise<unknown>,
  opts: { clients: number; durationMs: number; maxOps: number; warmupOps: number },
): Promise<ThroughputStats> {
  let next = 0;
  const warm = async (client: number): Promise<void> => {
    while (next < opts.warmupOps) await op(next++, client);
  };
  await Promise.all(Array.from({ length: opts.clients }, (_, c) => warm(c)));
  const samples = new Float64Array(opts.maxOps);
  let n = 0;
  let failed = false;
  const start = performance.now();
  const deadline = start + opts.durationMs;
  const loop = async (client: number): Promise<void> => {
    while (!failed && n < opts.maxOps && performance.now() < deadline) {
      const slot = n++;
      const t0 = performance.now();
      try {
        await op(next++, client);
      } catch (err) {
        failed = true;
        throw err;
      }
      samples[slot] = performance.now() - t0;
    }
  };
  await Promise.all(Array.from({ length: opts.clients }, (_, c) => loop(c)));
  const elapsed = performance.now() - start;
  return { ...summarise(samples.subarray(0, n), elapsed), clients: opts.clients, seconds: elapsed / 1000 };
}

/** Times one piece of work and returns its result with the elapsed milliseconds. */
export async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await work();
  return { value, ms: performance.now() - t0 };
}
