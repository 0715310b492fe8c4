/**
 * The benchmark suite run on one Chartroom store (encrypted SQLite or PostgreSQL): populate,
 * in-process store figures, import throughput, then the server in a child process measured
 * over real HTTP (sequential latency, RSS, and 8-client throughput).
 */
import { DEFAULT_BATCH_SIZE } from '../src/import/unit-writer.js';
import { randomUUID } from 'node:crypto';
import type { Resource } from '@medplum/fhirtypes';
import { parseSearchRequest } from '@chartroom/core';
import { openStore } from '../src/store/open-store.js';
import type { Store, StoreLocation } from '../src/store/open-store.js';
import type { BenchOptions } from './bench-options.js';
import { seededRandom, writeResources } from './fixture-practice.js';
import type { PopulateCounts } from './fixture-practice.js';
import { HttpClient } from './http-client.js';
import { measureLatencies, measureLatency, measureThroughput, timed } from './measure.js';
import type { LatencyStats, ThroughputStats } from './measure.js';
import { populate } from './populate.js';
import { RawSqliteFloor } from './raw-sqlite-floor.js';
import { SameRowsFloor } from './same-rows-floor.js';
import { sampleRss } from './rss-sampler.js';
import { startServerProcess } from './server-process.js';
import type { ServerProcess } from './server-process.js';
import { discoverWorkload, newObservation, observationQueryParams, observationQueryString } from './workload.js';
import type { Workload } from './workload.js';
import { measureClinicalFigures } from './clinical-figures.js';
import type { ClinicalFigures } from './clinical-figures.js';

/** Resources written per second by one timed bulk write. */
export interface ImportStats {
  resources: number;
  seconds: number;
  perSec: number;
  /** Transactions of this many resources. */
  batchSize: number;
  path: string;
}

export interface ChartroomSuiteResult {
  store: 'sqlite' | 'postgres';
  populate: { patients: number; counts: PopulateCounts; resources: number; seconds: number; perSec: number };
  workload: { patients: number; typicalCompartment: number; namePrefixes: number; avgNameMatches: number; avgObsMatches: number };
  /** The repository called directly, no HTTP. */
  inProcess: { read: LatencyStats; nameSearch: LatencyStats; obsSearch: LatencyStats; everything: LatencyStats; create: LatencyStats };
  importBatch: ImportStats;
  http: { read: LatencyStats; nameSearch: LatencyStats; obsSearch: LatencyStats; everything: LatencyStats };
  concurrent: { reads: ThroughputStats; searches: ThroughputStats; creates: ThroughputStats };
  /** Server process RSS in bytes. */
  rss: { start: number; afterLatency: number; peak: number; end: number };
  /** The raw SQLite floor, measured in rounds alternating with the same figures above (SQLite only). */
  raw: RawSqliteResult | undefined;
  /** Type-ahead, chart summary and day view, in process (clinical-figures.ts). */
  clinical: ClinicalFigures;
}

export interface RawSqliteResult {
  /** Rows copied from the Chartroom store before measuring. */
  rows: number;
  /** `SELECT content … WHERE type = ? AND id = ?` of random Patients. */
  read: LatencyStats;
  /** The same fresh batches, serialised and inserted in transactions of the same size. */
  importBatch: ImportStats;
  /** One row per transaction (autocommit), each fsynced: the floor of a create. */
  singleInsert: LatencyStats;
  /**
   * Every row Chartroom wrote for the same batches (change log, resource, revision, search
   * index rows), replayed by prepared statements into a copy of the store (same-rows-floor.ts).
   */
  sameRows: (ImportStats & { indexRowsPerResource: number }) | undefined;
}

/** Resources per transaction of the timed import: the importer's own default, for Chartroom and the raw floor alike. */
export const IMPORT_BATCH_SIZE = DEFAULT_BATCH_SIZE;

type Log = (line: string) => void;

function pickFrom<T>(rnd: () => number, list: readonly T[]): T {
  return list[Math.floor(rnd() * list.length)] as T;
}

async function inProcessFigures(
  store: Store,
  floor: RawSqliteFloor | undefined,
  w: Workload,
  opts: BenchOptions,
  log: Log,
): Promise<{ figures: ChartroomSuiteResult['inProcess']; rawRead: LatencyStats | undefined; rawInsert: LatencyStats | undefined }> {
  const repo = store.repo;
  const rnd = seededRandom(opts.seed + 11);
  const patient = (): string => pickFrom(rnd, w.patientIds);
  log(`  in-process: read by id${floor ? ', alternating with raw SQLite' : ''}`);
  const chartroomRead = (): Promise<unknown> => repo.read('Patient', patient());
  const reads = floor
    ? await measureLatencies({ chartroom: chartroomRead, raw: () => floor.read('Patient', patient()) }, opts.latency, opts.rounds)
    : { chartroom: await measureLatency(chartroomRead, opts.latency), raw: undefined };
  log('  in-process: name search');
  const nameSearch = await measureLatency((i) => repo.search(parseSearchRequest('Patient', { name: w.namePrefixes[i % w.namePrefixes.length] })), opts.latency);
  log('  in-process: Observation search');
  const obsSearch = await measureLatency((i) => {
    const q = w.obsQueries[i % w.obsQueries.length];
    if (!q) throw new Error('no Observation query');
    return repo.search(parseSearchRequest('Observation', observationQueryParams(q)));
  }, opts.latency);
  log('  in-process: Patient/$everything');
  const everything = await measureLatency((i) => repo.patientEverything(w.everythingIds[i % w.everythingIds.length] as string), opts.latency);
  log(`  in-process: create, one transaction each${floor ? ', alternating with raw SQLite 1-row commits' : ''}`);
  const createBudget = { ...opts.latency, warmupOps: Math.min(opts.latency.warmupOps, 20) };
  const chartroomCreate = (i: number): Promise<unknown> => repo.create(newObservation(patient(), i));
  const creates = floor
    ? await measureLatencies(
        {
          chartroom: chartroomCreate,
          raw: (i: number) => {
            const id = randomUUID();
            floor.insertOne({ ...newObservation(patient(), i), id });
          },
        },
        createBudget,
        opts.rounds,
      )
    : { chartroom: await measureLatency(chartroomCreate, createBudget), raw: undefined };
  return {
    figures: { read: reads.chartroom, nameSearch, obsSearch, everything, create: creates.chartroom },
    rawRead: reads.raw,
    rawInsert: creates.raw,
  };
}

/**
 * Times the import of each fresh batch, alternating with the raw floor's insert of the same
 * batch; with `sameRows`, the rows Chartroom wrote for the batch are then replayed into it.
 */
async function importFigures(
  store: Store,
  floor: RawSqliteFloor | undefined,
  sameRows: SameRowsFloor | undefined,
  batches: Resource[][],
): Promise<{ chartroom: ImportStats; raw: ImportStats | undefined; sameRows: RawSqliteResult['sameRows'] }> {
  let chartroomMs = 0;
  let rawMs = 0;
  let sameRowsMs = 0;
  let indexRows = 0;
  let resources = 0;
  for (let r = 0; r < batches.length; r++) {
    const batch = batches[r] as Resource[];
    resources += batch.length;
    const sides: ('chartroom' | 'raw')[] = r % 2 === 0 ? ['chartroom', 'raw'] : ['raw', 'chartroom'];
    for (const side of sides) {
      if (side === 'chartroom') {
        const before = sameRows ? await SameRowsFloor.lastSeq(store) : 0;
        chartroomMs += (await timed(() => writeResources(store.repo, batch, IMPORT_BATCH_SIZE))).ms;
        if (sameRows) {
          const rows = await SameRowsFloor.rowsAfter(store, before);
          if (rows.length !== batch.length) throw new Error(`same-rows floor: ${rows.length} resources written for a batch of ${batch.length}`);
          indexRows += SameRowsFloor.indexRowCount(rows);
          sameRowsMs += sameRows.replay(rows, IMPORT_BATCH_SIZE);
        }
      } else if (floor) {
        const t0 = performance.now();
        for (let i = 0; i < batch.length; i += IMPORT_BATCH_SIZE) floor.insertBatch(batch.slice(i, i + IMPORT_BATCH_SIZE));
        rawMs += performance.now() - t0;
      }
    }
  }
  const stats = (ms: number, path: string): ImportStats => ({ resources, seconds: ms / 1000, perSec: (resources * 1000) / ms, batchSize: IMPORT_BATCH_SIZE, path });
  return {
    chartroom: stats(chartroomMs, 'FhirRepository.importMany'),
    raw: floor ? stats(rawMs, 'prepared INSERT') : undefined,
    sameRows: sameRows ? { ...stats(sameRowsMs, 'prepared INSERT of every row Chartroom wrote'), indexRowsPerResource: indexRows / resources } : undefined,
  };
}

async function averageMatches(store: Store, w: Workload): Promise<{ name: number; obs: number }> {
  let name = 0;
  for (const p of w.namePrefixes) name += (await store.repo.search(parseSearchRequest('Patient', { name: p }))).matches.length;
  let obs = 0;
  for (const q of w.obsQueries) obs += (await store.repo.search(parseSearchRequest('Observation', observationQueryParams(q)))).matches.length;
  return { name: name / w.namePrefixes.length, obs: obs / w.obsQueries.length };
}

async function httpFigures(
  server: ServerProcess,
  w: Workload,
  opts: BenchOptions,
  log: Log,
): Promise<{ http: ChartroomSuiteResult['http']; concurrent: ChartroomSuiteResult['concurrent']; rss: ChartroomSuiteResult['rss'] }> {
  const client = new HttpClient(server.fhirBase, opts.concurrency.clients, undefined, { authorization: `Bearer ${server.token}` });
  const rnd = seededRandom(opts.seed + 23);
  const readOp = (): Promise<unknown> => client.request('GET', `/Patient/${encodeURIComponent(pickFrom(rnd, w.patientIds))}`);
  const nameOp = (i: number): Promise<unknown> => client.request('GET', `/Patient?name=${encodeURIComponent(w.namePrefixes[i % w.namePrefixes.length] as string)}`);
  const obsOp = (i: number): Promise<unknown> => {
    const q = w.obsQueries[i % w.obsQueries.length];
    if (!q) throw new Error('no Observation query');
    return client.request('GET', `/Observation?${observationQueryString(q)}`);
  };
  const everythingOp = (i: number): Promise<unknown> =>
    client.request('GET', `/Patient/${encodeURIComponent(w.everythingIds[i % w.everythingIds.length] as string)}/$everything`);
  const createOp = (i: number): Promise<unknown> => client.request('POST', '/Observation', newObservation(pickFrom(rnd, w.patientIds), i));
  try {
    log('  HTTP: read by id');
    const read = await measureLatency(readOp, opts.latency);
    log('  HTTP: name search');
    const nameSearch = await measureLatency(nameOp, opts.latency);
    log('  HTTP: Observation search');
    const obsSearch = await measureLatency(obsOp, opts.latency);
    log('  HTTP: Patient/$everything');
    const everything = await measureLatency(everythingOp, opts.latency);
    const afterLatency = await server.rss();

    const sampler = sampleRss(server);
    let peak = afterLatency;
    let concurrent: ChartroomSuiteResult['concurrent'];
    try {
      log(`  HTTP: ${opts.concurrency.clients} clients, reads`);
      const reads = await measureThroughput(readOp, opts.concurrency);
      log(`  HTTP: ${opts.concurrency.clients} clients, searches (name and Observation, alternating)`);
      const searches = await measureThroughput((i) => (i % 2 === 0 ? nameOp(i >> 1) : obsOp(i >> 1)), opts.concurrency);
      log(`  HTTP: ${opts.concurrency.clients} clients, creates`);
      const creates = await measureThroughput(createOp, opts.concurrency);
      concurrent = { reads, searches, creates };
    } finally {
      peak = Math.max(peak, await sampler.stop());
    }
    const end = await server.rss();
    return { http: { read, nameSearch, obsSearch, everything }, concurrent, rss: { start: server.startRss, afterLatency, peak: Math.max(peak, end), end } };
  } finally {
    client.close();
  }
}

/**
 * Runs the whole suite on `location` (an empty store): populates it, measures, and leaves
 * the data in place. `freshBatches` are the batches whose import is timed, one per round.
 * With `floorDir` (SQLite only) the raw SQLite floor is built there from the same rows and
 * measured alternately with Chartroom.
 */
export async function runChartroomSuite(
  location: StoreLocation,
  opts: BenchOptions,
  freshBatches: Resource[][],
  log: Log,
  floorDir?: string,
): Promise<{ result: ChartroomSuiteResult; workload: Workload }> {
  const kind = location.kind;
  const store = await openStore(location);
  let populated: ChartroomSuiteResult['populate'];
  let workload: Workload;
  let matches: { name: number; obs: number };
  let inProcess: Awaited<ReturnType<typeof inProcessFigures>>;
  let clinical: ClinicalFigures;
  let imports: Awaited<ReturnType<typeof importFigures>>;
  let rawRows = 0;
  let floor: RawSqliteFloor | undefined;
  let sameRows: SameRowsFloor | undefined;
  try {
    log(`  populating ${opts.patients} patients…`);
    const started = performance.now();
    const heartbeat = setInterval(() => log(`  … still populating (${((performance.now() - started) / 1000).toFixed(0)} s)`), 30_000);
    let pop: { ms: number };
    try {
      pop = await timed(() => populate(store.repo, { patients: opts.patients, seed: opts.seed }));
    } finally {
      clearInterval(heartbeat);
    }
    // Counted in the store, whatever the generator returns.
    const counts = await store.repo.countByType();
    const resources = Object.values(counts).reduce((a, b) => a + b, 0);
    populated = { patients: opts.patients, counts, resources, seconds: pop.ms / 1000, perSec: (resources * 1000) / pop.ms };
    log(`  populated ${resources} resources in ${(pop.ms / 1000).toFixed(1)} s`);
    if (floorDir && location.kind === 'sqlite') {
      log('  raw SQLite floor: copying the same rows');
      floor = RawSqliteFloor.open(floorDir);
      rawRows = await floor.copyFrom(store);
      log('  same-rows floor: copying the store (VACUUM INTO)');
      sameRows = await SameRowsFloor.copyOf(store, location.keyHex, floorDir);
    }
    workload = await discoverWorkload(store, opts.sampleSize);
    matches = await averageMatches(store, workload);
    inProcess = await inProcessFigures(store, floor, workload, opts, log);
    clinical = await measureClinicalFigures(store, workload, opts, log);
    log(`  import of fresh batches (${freshBatches.length} × ~${freshBatches[0]?.length ?? 0} resources)${floor ? ', alternating with raw SQLite' : ''}`);
    imports = await importFigures(store, floor, sameRows, freshBatches);
  } finally {
    floor?.close();
    sameRows?.close();
    await store.close();
  }

  log('  starting the server process');
  const server = await startServerProcess(location);
  let net: Awaited<ReturnType<typeof httpFigures>>;
  try {
    net = await httpFigures(server, workload, opts, log);
  } finally {
    await server.stop();
  }
  const raw: RawSqliteResult | undefined =
    inProcess.rawRead && inProcess.rawInsert && imports.raw
      ? { rows: rawRows, read: inProcess.rawRead, importBatch: imports.raw, singleInsert: inProcess.rawInsert, sameRows: imports.sameRows }
      : undefined;
  return {
    workload,
    result: {
      store: kind,
      populate: populated,
      workload: {
        patients: workload.patientIds.length,
        typicalCompartment: workload.typicalCompartment,
        namePrefixes: workload.namePrefixes.length,
        avgNameMatches: matches.name,
        avgObsMatches: matches.obs,
      },
      inProcess: inProcess.figures,
      importBatch: imports.chartroom,
      ...net,
      raw,
      clinical,
    },
  };
}
