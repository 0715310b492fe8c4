/**
 * Builds a data directory the size of a 50,000-patient practice for measuring the downtime
 * kit (not a test): the 200-patient demo (schedule, full charts, face sheets) plus copies of
 * its patients with their allergies and medications, under new ids, random name pairs from
 * the demo's names, random birth dates and new random MRNs (so the kit compresses no better
 * than a real practice's would), up to `--patients` (default 50,000). Only what the kit reads is copied (Patient,
 * AllergyIntolerance, MedicationRequest, MedicationStatement).
 *
 *   npx tsx packages/server/test/downtime-kit-scale.ts --data /tmp/kit50k [--patients 50000]
 *   chartroom downtime-kit --data /tmp/kit50k --out /tmp/kit50k-out [--all-patients]
 */
import { parseArgs } from 'node:util';
import type { Resource } from '@medplum/fhirtypes';
import { initDataDir } from '../src/data-dir.js';
import { openDataStore } from '../src/cli/open-data-store.js';
import { loadDemo } from '../src/demo/load-demo.js';
import { scanResources } from '../src/continuity/resource-scan.js';

const { values } = parseArgs({ options: { data: { type: 'string' }, patients: { type: 'string' }, 'demo-patients': { type: 'string' } } });
if (!values.data) throw new Error('--data DIR');
const target = Number(values.patients ?? 50_000);
const demoPatients = Number(values['demo-patients'] ?? 200);
initDataDir(values.data, { practiceName: 'Kit scale practice' });
const store = await openDataStore(values.data);
const t0 = performance.now();
await loadDemo(store.repo, { patients: demoPatients, seed: 7, today: new Date() });
console.log(`demo: ${demoPatients} patients in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
const byPatient = new Map<string, Resource[]>();
const patients: Resource[] = [];
for await (const r of scanResources(store.dialect, { types: ['Patient', 'AllergyIntolerance', 'MedicationRequest', 'MedicationStatement'] })) {
  const res = JSON.parse(r.json) as Resource & { subject?: { reference?: string }; patient?: { reference?: string } };
  if (res.resourceType === 'Patient') {
    patients.push(res);
    continue;
  }
  const ref = (res.patient ?? res.subject)?.reference ?? '';
  if (!ref.startsWith('Patient/')) continue;
  byPatient.set(ref.slice(8), [...(byPatient.get(ref.slice(8)) ?? []), res]);
}
const perPatient = [...byPatient.values()].reduce((a, l) => a + l.length, 0) / patients.length;
console.log(`copying ${patients.length} patients (${perPatient.toFixed(1)} allergies/medications each) up to ${target}`);
type Named = Resource & { name?: { family?: string; given?: string[] }[]; identifier?: { value?: string }[]; birthDate?: string; meta?: unknown };
const families = [...new Set(patients.flatMap((p) => (p as Named).name?.map((n) => n.family ?? '') ?? []))];
const givens = [...new Set(patients.flatMap((p) => (p as Named).name?.flatMap((n) => n.given ?? []) ?? []))];
let seed = 12345;
const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
let made = patients.length;
let batch: unknown[] = [];
const t1 = performance.now();
for (let k = 1; made < target; k++) {
  for (const p of patients) {
    if (made >= target) break;
    const id = `${p.id ?? ''}-c${k}`;
    const copy = JSON.parse(JSON.stringify(p).replaceAll(`"${p.id ?? ''}"`, `"${id}"`)) as Named;
    delete copy.meta;
    for (const n of copy.name ?? []) {
      n.family = pick(families);
      n.given = [pick(givens)];
    }
    for (const i of copy.identifier ?? []) if (i.value) i.value = `C${Math.floor(random() * 0xffffffff).toString(16).padStart(8, '0')}`;
    copy.birthDate = new Date(Date.UTC(1930 + Math.floor(random() * 90), Math.floor(random() * 12), 1 + Math.floor(random() * 28))).toISOString().slice(0, 10);
    batch.push(copy);
    for (const r of byPatient.get(p.id ?? '') ?? []) {
      const c = JSON.parse(JSON.stringify(r).replaceAll(`Patient/${p.id ?? ''}"`, `Patient/${id}"`)) as Resource & { meta?: unknown };
      c.id = `${r.id ?? ''}-c${k}`;
      delete c.meta;
      batch.push(c);
    }
    made++;
    if (batch.length >= 2000) {
      await store.repo.importMany(batch);
      batch = [];
      if (made % 5000 < 40) console.log(`  ${made} patients, ${((performance.now() - t1) / 1000).toFixed(0)} s`);
    }
  }
}
if (batch.length) await store.repo.importMany(batch);
console.log(`done: ${made} patients; counts ${JSON.stringify(await store.repo.countByType())} in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
await store.close();
