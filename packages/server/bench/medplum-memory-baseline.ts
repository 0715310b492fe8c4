/**
 * A peer: the in-memory repository of `@medplum/fhir-router` (MemoryRepository), in
 * process, on the same create / read / search mix and the same records (up to a cap).
 */
import { MemoryRepository } from '@medplum/fhir-router';
import { parseSearchRequest } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import { openStore } from '../src/store/open-store.js';
import type { StoreLocation } from '../src/store/open-store.js';
import type { BenchOptions } from './bench-options.js';
import { seededRandom } from './fixture-practice.js';
import { measureLatency } from './measure.js';
import type { LatencyStats } from './measure.js';
import { newObservation, observationQueryParams } from './workload.js';
import type { Workload } from './workload.js';

export interface MedplumMemoryResult {
  /** Resources loaded (the sampled patients' records first, then others up to the cap). */
  resources: number;
  patients: number;
  /** True when the cap stopped loading before the whole store was in memory. */
  capped: boolean;
  loadSeconds: number;
  read: LatencyStats;
  nameSearch: LatencyStats;
  obsSearch: LatencyStats;
  create: LatencyStats;
}

const COPY_CHUNK = 5_000;

/** Loads the Chartroom store at `source` into a MemoryRepository (up to the cap) and measures it. */
export async function runMedplumMemoryBaseline(
  source: StoreLocation,
  workload: Workload,
  opts: BenchOptions,
  log: (line: string) => void,
): Promise<MedplumMemoryResult> {
  const repo = new MemoryRepository();
  const loaded = new Set<string>();
  const patients: string[] = [];
  const add = async (r: Resource): Promise<void> => {
    const key = `${r.resourceType}/${r.id ?? ''}`;
    if (loaded.has(key)) return;
    loaded.add(key);
    await repo.createResource(r);
    if (r.resourceType === 'Patient' && r.id) patients.push(r.id);
  };

  log('  medplum MemoryRepository: loading');
  const t0 = performance.now();
  for (const c of workload.sample) for (const r of c.resources) await add(r);
  let capped = false;
  const store = await openStore(source);
  try {
    let after = 0;
    while (!capped) {
      const chunk = await store.dialect.db
        .selectFrom('resources')
        .select(['rk', 'content'])
        .where('rk', '>', after)
        .where('deleted', '=', 0)
        .orderBy('rk')
        .limit(COPY_CHUNK)
        .execute();
      const last = chunk[chunk.length - 1];
      if (!last) break;
      after = last.rk;
      for (const row of chunk) {
        if (loaded.size >= opts.memoryCap) {
          capped = true;
          break;
        }
        await add(JSON.parse(row.content) as Resource);
      }
    }
  } finally {
    await store.close();
  }
  const loadSeconds = (performance.now() - t0) / 1000;

  const rnd = seededRandom(opts.seed + 11);
  log('  medplum MemoryRepository: read by id');
  const read = await measureLatency(() => repo.readResource('Patient', patients[Math.floor(rnd() * patients.length)] as string), opts.latency);
  log('  medplum MemoryRepository: name search');
  const nameSearch = await measureLatency(
    (i) => repo.search(parseSearchRequest('Patient', { name: workload.namePrefixes[i % workload.namePrefixes.length] })),
    opts.latency,
  );
  log('  medplum MemoryRepository: Observation search');
  const obsSearch = await measureLatency((i) => {
    const q = workload.obsQueries[i % workload.obsQueries.length];
    if (!q) throw new Error('no Observation query');
    return repo.search(parseSearchRequest('Observation', observationQueryParams(q)));
  }, opts.latency);
  log('  medplum MemoryRepository: create');
  const create = await measureLatency((i) => repo.createResource(newObservation(patients[i % patients.length] as string, i)), opts.latency);
  return { resources: loaded.size, patients: patients.length, capped, loadSeconds, read, nameSearch, obsSearch, create };
}
