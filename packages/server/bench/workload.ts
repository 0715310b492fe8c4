/**
 * What the benchmark asks for, found in the populated store itself (so it works the same on
 * the fixture practice and on the demo generator's): patient ids to read, name prefixes to
 * search, patient + LOINC code pairs, and patients with a typical compartment for $everything.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { Store } from '../src/store/open-store.js';

/** One sampled patient with every resource in their compartment. */
export interface Compartment {
  patientId: string;
  resources: Resource[];
}

export interface ObservationQuery {
  patientId: string;
  /** LOINC code the patient has at least one Observation for. */
  code: string;
}

export interface Workload {
  /** Ids of current Patients (up to a bound), for reads by id. */
  patientIds: string[];
  /** Lower-case three-letter prefixes of family names that occur. */
  namePrefixes: string[];
  obsQueries: ObservationQuery[];
  /** Patients whose compartment size is near the median. */
  everythingIds: string[];
  /** Median compartment size (resources, the patient included). */
  typicalCompartment: number;
  /** The sampled compartments, for loading other stores with the same records. */
  sample: Compartment[];
}

/** The benchmark's Observation search: the spec's example query shape. */
export const OBS_DATE_FROM = '2020-01-01';
export const OBS_DATE_TO = '2025-12-31';
/** LOINC code searched when the patient has it (blood glucose). */
export const PREFERRED_LOINC = '2339-0';

const MAX_PATIENT_IDS = 200_000;

/** Patient ids of the store, oldest first, at most `limit`. */
export async function listPatientIds(store: Store, limit = MAX_PATIENT_IDS): Promise<string[]> {
  const rows = await store.dialect.db
    .selectFrom('resources')
    .select('id')
    .where('type', '=', 'Patient')
    .where('deleted', '=', 0)
    .orderBy('rk')
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

function loincCodes(r: Resource): string[] {
  if (r.resourceType !== 'Observation') return [];
  return (r.code.coding ?? []).flatMap((c) => (c.system === 'http://loinc.org' && c.code ? [c.code] : []));
}

/** Finds the workload in `store`, sampling up to `sampleSize` patients spread over the store. */
export async function discoverWorkload(store: Store, sampleSize: number): Promise<Workload> {
  const patientIds = await listPatientIds(store);
  if (patientIds.length === 0) throw new Error('The populated store holds no Patient');
  const step = Math.max(1, Math.floor(patientIds.length / sampleSize));
  const sample: Compartment[] = [];
  for (let i = 0; i < patientIds.length && sample.length < sampleSize; i += step) {
    const id = patientIds[i] as string;
    const versions = await store.repo.patientEverything(id);
    sample.push({ patientId: id, resources: versions.map((v) => JSON.parse(v.json) as Resource) });
  }

  const prefixes = new Set<string>();
  const obsQueries: ObservationQuery[] = [];
  for (const c of sample) {
    const patient = c.resources.find((r) => r.resourceType === 'Patient' && r.id === c.patientId);
    if (patient?.resourceType === 'Patient') {
      for (const n of patient.name ?? []) {
        const family = n.family?.toLowerCase();
        if (family && family.length >= 3) prefixes.add(family.slice(0, 3));
      }
    }
    const codes = new Set(c.resources.flatMap(loincCodes));
    const code = codes.has(PREFERRED_LOINC) ? PREFERRED_LOINC : [...codes][0];
    if (code) obsQueries.push({ patientId: c.patientId, code });
  }
  if (prefixes.size === 0) throw new Error('No sampled Patient has a family name of three or more letters');
  if (obsQueries.length === 0) throw new Error('No sampled patient has a LOINC-coded Observation');

  const sizes = sample.map((c) => c.resources.length).sort((a, b) => a - b);
  const typical = sizes[Math.floor(sizes.length / 2)] ?? 1;
  const byCloseness = [...sample].sort((a, b) => Math.abs(a.resources.length - typical) - Math.abs(b.resources.length - typical));
  const everythingIds = byCloseness.slice(0, Math.min(20, byCloseness.length)).map((c) => c.patientId);

  return { patientIds, namePrefixes: [...prefixes].sort(), obsQueries, everythingIds, typicalCompartment: typical, sample };
}

/** The query parameters of the benchmark's Observation search for `q`. */
export function observationQueryParams(q: ObservationQuery): { subject: string; code: string; date: string[] } {
  return { subject: `Patient/${q.patientId}`, code: `http://loinc.org|${q.code}`, date: [`ge${OBS_DATE_FROM}`, `le${OBS_DATE_TO}`] };
}

/** The same search as a URL query string. */
export function observationQueryString(q: ObservationQuery): string {
  const p = observationQueryParams(q);
  return `subject=${encodeURIComponent(p.subject)}&code=${encodeURIComponent(p.code)}&date=${p.date[0]}&date=${p.date[1]}`;
}

/** A new Observation for `patientId`, as a client would POST it. */
export function newObservation(patientId: string, i: number): Resource {
  return {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: PREFERRED_LOINC, display: 'Glucose [Mass/volume] in Blood' }] },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: new Date(Date.UTC(2024, 0, 1) + (i % 100_000) * 60_000).toISOString(),
    valueQuantity: { value: 80 + (i % 90), unit: 'mg/dL', system: 'http://unitsofmeasure.org', code: 'mg/dL' },
  };
}
