/**
 * The sync section of `npm run bench`: initial clone node→hub and hub→node over HTTP on
 * loopback (resources/s, peak RSS of the process holding both sides), and steady-state
 * propagation A→hub→B with continuous replication while A takes writes at a fixed rate
 * (latency p50/p99 from the moment the write is issued on A to B's commit). Hub on SQLite, or PostgreSQL
 * when a URL is given. The cloned practice is mixed records of about 1.2 KB a resource
 * (sync-practice.ts); PouchDB replicates the same documents in the same run (pouchdb-peer.ts).
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
import { syncPracticeChunks } from './sync-practice.js';
import { runPouchPeer } from './pouchdb-peer.js';
import type { PouchPeerResult } from './pouchdb-peer.js';

export interface SyncBenchOptions {
  /** Resources in the cloned practice. */
  resources: number;
  /** Writes per second on node A during the propagation run, and its length. */
  writesPerSecond: number;
  seconds: number;
  pg: string | undefined;
  /** Also replicate the same documents with PouchDB (default true). */
  pouch?: boolean;
  /** Skip the propagation run (a clone-only measurement). */
  skipPropagation?: boolean;
}

export interface SyncBenchResult {
  hub: 'sqlite' | 'postgres';
  resources: number;
  cloneToHub: { seconds: number; perSecond: number; peakRssMb: number };
  cloneFromHub: { seconds: number; perSecond: number; peakRssMb: number };
  /** Average resource size as stored JSON (with meta), bytes. */
  avgBytes: number;
  propagation: { writes: number; p50Ms: number; p99Ms: number; maxMs: number } | null;
  /** PouchDB on the same documents, or why it did not run. */
  pouch: PouchPeerResult | { skipped: string };
  /** Chartroom over HTTP ÷ PouchDB over HTTP, per direction (goal ≥ 3). */
  ratio: { push: number; pull: number } | null;
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

/** Samples RSS while `fn` runs (and calls `progress` each minute); returns its result, the seconds and the peak in MB. */
async function measured<T>(fn: () => Promise<T>, progress?: () => void): Promise<{ value: T; seconds: number; peakRssMb: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 50);
  const ticker = progress ? setInterval(progress, 60_000) : undefined;
  const t0 = performance.now();
  try {
    const value = await fn();
    return { value, seconds: (performance.now() - t0) / 1000, peakRssMb: Math.max(peak, process.memoryUsage().rss) / 2 ** 20 };
  } finally {
    clearInterval(timer);
    clearInterval(ticker);
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
    const loadStart = performance.now();
    for (const chunk of syncPracticeChunks(opts.resources)) await a.store.repo.importMany(chunk);
    log(`  sync: loaded in ${Math.round((performance.now() - loadStart) / 1000)} s`);
    const sizes = await a.store.dialect.db
      .selectFrom('resources')
      .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>(eb.fn('length', ['content'])).as('bytes')])
      .executeTakeFirstOrThrow();
    const avgBytes = Number(sizes.bytes) / Math.max(1, Number(sizes.n));
    await joinPeer(a.sync, hub.url, await hub.sync.registry.invite(hub.sync.identity));
    log('  sync: initial clone node A → hub');
    // Progress each minute: the target's change sequence (one revision per resource) and this process's RSS.
    const progress = (target: BenchNode): (() => void) => {
      const start = performance.now();
      return () => {
        void target.store.repo.lastSeq().then((seq) => log(`    ${Math.round((performance.now() - start) / 1000)} s: ${seq.toLocaleString('en-US')} changes stored, RSS ${Math.round(process.memoryUsage().rss / 2 ** 20)} MB`));
      };
    };
    const up = await measured(() => a.sync.syncNow(), progress(hub));
    if (!up.value.every((r) => r.push.ok && r.pull.ok)) throw new Error(`clone to hub failed: ${JSON.stringify(up.value)}`);
    await joinPeer(b.sync, hub.url, await hub.sync.registry.invite(hub.sync.identity));
    log('  sync: initial clone hub → node B');
    const down = await measured(() => b.sync.syncNow(), progress(b));
    if (!down.value.every((r) => r.push.ok && r.pull.ok)) throw new Error(`clone from hub failed: ${JSON.stringify(down.value)}`);
    const count = Object.values(await b.store.repo.countByType()).reduce((x, y) => x + y, 0);
    if (count !== opts.resources) throw new Error(`node B holds ${count} resources after the clone, not ${opts.resources}`);
    const cloneToHub = { seconds: up.seconds, perSecond: opts.resources / up.seconds, peakRssMb: up.peakRssMb };
    const cloneFromHub = { seconds: down.seconds, perSecond: opts.resources / down.seconds, peakRssMb: down.peakRssMb };
    log(`  sync: clone ${Math.round(cloneToHub.perSecond)}/s node → hub, ${Math.round(cloneFromHub.perSecond)}/s hub → node`);

    let pouch: PouchPeerResult | { skipped: string } = { skipped: 'not measured in a clone-only run (it runs at the default size)' };
    if (opts.pouch ?? true) {
      try {
        pouch = await runPouchPeer(syncPracticeChunks(opts.resources), join(dir, 'pouchdb'), 1000, log);
      } catch (err) {
        pouch = { skipped: `PouchDB did not run: ${err instanceof Error ? err.message : String(err)}` };
        log(`  sync: ${pouch.skipped}`);
      }
    }
    const ratio = 'docs' in pouch ? { push: cloneToHub.perSecond / pouch.httpPush.perSecond, pull: cloneFromHub.perSecond / pouch.httpPull.perSecond } : null;
    const base = { hub: pgDb ? ('postgres' as const) : ('sqlite' as const), resources: opts.resources, avgBytes, cloneToHub, cloneFromHub, pouch, ratio };
    if (opts.skipPropagation) return { ...base, propagation: null };

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
    const patientIds = (await a.store.dialect.db.selectFrom('resources').select('id').where('type', '=', 'Patient').limit(1000).execute()).map((r) => r.id);
    if (patientIds.length === 0) throw new Error('the cloned practice has no Patient to update');
    const total = opts.writesPerSecond * opts.seconds;
    const t0 = performance.now();
    for (let i = 0; i < total; i++) {
      const due = t0 + (i * 1000) / opts.writesPerSecond;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const issued = performance.now();
      const id = patientIds[i % patientIds.length] as string;
      const v = await a.store.repo.update({ ...patient(i), active: i % 2 === 0, gender: 'other', birthDate: '2000-01-01', id, multipleBirthInteger: i } as Resource);
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
      ...base,
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
  const p = r.propagation;
  const lines = [
    `Sync (HTTP on loopback, hub on ${r.hub}, ${n(r.resources)} mixed resources of ${n(r.avgBytes)} bytes on average; goal ≥ 10,000/s clone, p99 ≤ 1 s propagation, ≥ 3× PouchDB over HTTP)`,
    `  initial clone node → hub   ${n(r.cloneToHub.perSecond)} resources/s   (${n(r.cloneToHub.seconds, 1)} s, peak RSS ${n(r.cloneToHub.peakRssMb)} MB, both sides in one process)`,
    `  initial clone hub → node   ${n(r.cloneFromHub.perSecond)} resources/s   (${n(r.cloneFromHub.seconds, 1)} s, peak RSS ${n(r.cloneFromHub.peakRssMb)} MB)`,
    p ? `  propagation A → hub → B    p50 ${n(p.p50Ms)} ms   p99 ${n(p.p99Ms)} ms   max ${n(p.maxMs)} ms   (${n(p.writes)} writes)` : '  propagation A → hub → B    not measured in this run',
  ];
  if ('docs' in r.pouch) {
    const q = r.pouch;
    lines.push(
      `  PouchDB ${q.version} (leveldb, same ${n(q.docs)} documents, batch_size ${n(q.batchSize)}; express-pouchdb server in the bench process)`,
      `    disk → disk              ${n(q.diskToDisk.perSecond)} docs/s   (${n(q.diskToDisk.seconds, 1)} s)`,
      `    local → server (HTTP)    ${n(q.httpPush.perSecond)} docs/s   (${n(q.httpPush.seconds, 1)} s)   Chartroom node → hub ÷ PouchDB: ${n(r.ratio?.push ?? NaN, 2)}×`,
      `    server → local (HTTP)    ${n(q.httpPull.perSecond)} docs/s   (${n(q.httpPull.seconds, 1)} s)   Chartroom hub → node ÷ PouchDB: ${n(r.ratio?.pull ?? NaN, 2)}×`,
    );
  } else lines.push(`  PouchDB peer: ${r.pouch.skipped}`);
  return lines.join('\n');
}
