/**
 * The sync section of `npm run bench`: initial clone node→hub and hub→node over HTTP on
 * loopback (resources/s, peak RSS of the process holding both sides), and steady-state
 * propagation A→hub→B with continuous replication while A takes writes at a fixed rate
 * (latency p50/p99 from the moment the write is issued on A to B's commit). Hub on SQLite, or PostgreSQL
 * when a URL is given.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Resource } from '@medplum/fhirtypes';
import { openStore } from '../src/store/open-store.js';
import type { Store, StoreLocation } from '../src/store/open-store.js';
import { buildApp } from '../src/http/app.js';
import { SyncService } from '../src/sync/sync-service.js';
import { joinPeer } from '../src/sync/join-peer.js';
import { createThrowawayDatabase } from './throwaway-postgres.js';

export interface SyncBenchOptions {
  /** Resources in the cloned practice. */
  resources: number;
  /** Writes per second on node A during the propagation run, and its length. */
  writesPerSecond: number;
  seconds: number;
  pg: string | undefined;
}

export interface SyncBenchResult {
  hub: 'sqlite' | 'postgres';
  resources: number;
  cloneToHub: { seconds: number; perSecond: number; peakRssMb: number };
  cloneFromHub: { seconds: number; perSecond: number; peakRssMb: number };
  propagation: { writes: number; p50Ms: number; p99Ms: number; maxMs: number };
}

interface BenchNode {
  store: Store;
  sync: SyncService;
  url: string;
  close(): Promise<void>;
}

async function node(name: string, location: StoreLocation): Promise<BenchNode> {
  const store = await openStore(location);
  const sync = await SyncService.open({ store, nodeId: name, practice: 'Bench practice', refreshMs: 50, waitMs: 5000, batchSize: 1000, log: () => undefined, quarantine: { floor: 1e9 } });
  const app = await buildApp({ repo: store.repo, sync });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    store,
    sync,
    url,
    close: async () => {
      await sync.close();
      await app.close();
      await store.close();
    },
  };
}

function patient(i: number): Resource {
  return {
    resourceType: 'Patient',
    id: `bench-${i}`,
    active: true,
    name: [{ family: `Family${i % 997}`, given: [`Given${i % 101}`, 'Middle'] }],
    gender: i % 2 ? 'female' : 'male',
    birthDate: `19${String(40 + (i % 60)).padStart(2, '0')}-0${1 + (i % 9)}-1${i % 10}`,
    address: [{ line: [`${i} Long Street`], city: 'Riverside', postalCode: String(10000 + (i % 89999)) }],
    telecom: [{ system: 'phone', value: `555-${String(i).padStart(7, '0')}` }],
    identifier: [{ system: 'http://example.org/mrn', value: `MRN${i}` }],
  } as Resource;
}

/** Samples RSS while `fn` runs; returns its result, the seconds and the peak in MB. */
async function measured<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number; peakRssMb: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  const t0 = performance.now();
  try {
    const value = await fn();
    return { value, seconds: (performance.now() - t0) / 1000, peakRssMb: Math.max(peak, process.memoryUsage().rss) / 2 ** 20 };
  } finally {
    clearInterval(timer);
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** Runs the sync benchmark. */
export async function runSyncSuite(opts: SyncBenchOptions, log: (line: string) => void): Promise<SyncBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'chartroom-sync-bench-'));
  const sqlite = (name: string): StoreLocation => ({ kind: 'sqlite', file: join(dir, `${name}.db`), keyHex: randomBytes(32).toString('hex') });
  const pgDb = opts.pg ? await createThrowawayDatabase(opts.pg) : undefined;
  const nodes: BenchNode[] = [];
  try {
    const a = await node('node-a', sqlite('a'));
    nodes.push(a);
    const hub = await node('hub', pgDb ? { kind: 'postgres', url: pgDb.url } : sqlite('hub'));
    nodes.push(hub);
    const b = await node('node-b', sqlite('b'));
    nodes.push(b);
    log(`  sync: loading ${opts.resources.toLocaleString('en-US')} resources on node A`);
    for (let i = 0; i < opts.resources; i += 1000) {
      await a.store.repo.importMany(Array.from({ length: Math.min(1000, opts.resources - i) }, (_, j) => patient(i + j)));
    }
    await joinPeer(a.sync, hub.url, await hub.sync.registry.invite(hub.sync.identity));
    log('  sync: initial clone node A → hub');
    const up = await measured(() => a.sync.syncNow());
    if (!up.value.every((r) => r.push.ok && r.pull.ok)) throw new Error(`clone to hub failed: ${JSON.stringify(up.value)}`);
    await joinPeer(b.sync, hub.url, await hub.sync.registry.invite(hub.sync.identity));
    log('  sync: initial clone hub → node B');
    const down = await measured(() => b.sync.syncNow());
    if (!down.value.every((r) => r.push.ok && r.pull.ok)) throw new Error(`clone from hub failed: ${JSON.stringify(down.value)}`);
    const count = (await b.store.repo.countByType()).Patient ?? 0;
    if (count !== opts.resources) throw new Error(`node B holds ${count} patients after the clone, not ${opts.resources}`);

    log(`  sync: propagation A → hub → B at ${opts.writesPerSecond} writes/s for ${opts.seconds} s`);
    a.sync.start();
    hub.sync.start();
    b.sync.start();
    await new Promise((r) => setTimeout(r, 1000));
    // Revision → when its write was issued on node A. A write is acknowledged only after A's
    // disk flush, so it can reach node B before A answers: such arrivals wait in `arrived`.
    const written = new Map<string, number>();
    const arrived = new Map<string, number>();
    const latencies: number[] = [];
    let seen = await b.store.repo.lastSeq();
    let scanning = Promise.resolve();
    const unsubscribe = b.store.writes.subscribe((e) => {
      if (e.type !== 'committed') return;
      const at = performance.now();
      scanning = scanning.then(async () => {
        const rows = await b.sync.repl.changesSince(seen, 10_000);
        seen = rows.lastSeq;
        for (const c of rows.changes) {
          const t = written.get(c.rev);
          if (t !== undefined) {
            latencies.push(at - t);
            written.delete(c.rev);
          } else arrived.set(c.rev, at);
        }
      });
    });
    const total = opts.writesPerSecond * opts.seconds;
    const t0 = performance.now();
    for (let i = 0; i < total; i++) {
      const due = t0 + (i * 1000) / opts.writesPerSecond;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const issued = performance.now();
      const v = await a.store.repo.update({ ...patient(i % opts.resources), active: i % 2 === 0, gender: 'other', birthDate: '2000-01-01', id: `bench-${i % opts.resources}`, multipleBirthInteger: i } as Resource);
      const early = arrived.get(v.version.rev);
      if (early !== undefined) {
        latencies.push(early - issued);
        arrived.delete(v.version.rev);
      } else written.set(v.version.rev, issued);
    }
    const deadline = performance.now() + 30_000;
    while (written.size > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    unsubscribe();
    await scanning;
    if (written.size > 0) throw new Error(`${written.size} writes did not reach node B within 30 s`);
    latencies.sort((x, y) => x - y);
    return {
      hub: pgDb ? 'postgres' : 'sqlite',
      resources: opts.resources,
      cloneToHub: { seconds: up.seconds, perSecond: opts.resources / up.seconds, peakRssMb: up.peakRssMb },
      cloneFromHub: { seconds: down.seconds, perSecond: opts.resources / down.seconds, peakRssMb: down.peakRssMb },
      propagation: { writes: latencies.length, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), maxMs: latencies[latencies.length - 1] ?? NaN },
    };
  } finally {
    for (const n of nodes.reverse()) await n.close();
    await pgDb?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The sync section of the report as text. */
export function formatSyncReport(r: SyncBenchResult): string {
  const n = (x: number, d = 0): string => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  return [
    `Sync (HTTP on loopback, hub on ${r.hub}, ${n(r.resources)} Patient resources; goal ≥ 10,000/s clone, p99 ≤ 1 s propagation)`,
    `  initial clone node → hub   ${n(r.cloneToHub.perSecond)} resources/s   (${n(r.cloneToHub.seconds, 1)} s, peak RSS ${n(r.cloneToHub.peakRssMb)} MB, both sides in one process)`,
    `  initial clone hub → node   ${n(r.cloneFromHub.perSecond)} resources/s   (${n(r.cloneFromHub.seconds, 1)} s, peak RSS ${n(r.cloneFromHub.peakRssMb)} MB)`,
    `  propagation A → hub → B    p50 ${n(r.propagation.p50Ms)} ms   p99 ${n(r.propagation.p99Ms)} ms   max ${n(r.propagation.maxMs)} ms   (${n(r.propagation.writes)} writes)`,
  ].join('\n');
}
