/**
 * The clinical figures of the benchmark, measured in process on the populated store: the
 * patient type-ahead (a mix of what a front desk types: three letters of a family name,
 * "family, first initial", given name and family prefix, birth date, MRN, phone number),
 * the chart summary of sampled patients, and today's day view of the whole practice.
 */
import type { Patient } from '@medplum/fhirtypes';
import type { Store } from '../src/store/open-store.js';
import { searchPatients } from '../src/clinical/patients/patient-search.js';
import { ChartSummaryService } from '../src/clinical/chart-summary/chart-summary.js';
import { dayView } from '../src/clinical/schedule/day-view.js';
import { localDay } from '../src/clinical/schedule/local-time.js';
import { readMany } from '../src/clinical/patients/chart-queries.js';
import type { BenchOptions } from './bench-options.js';
import { measureLatency } from './measure.js';
import type { LatencyStats } from './measure.js';
import type { Workload } from './workload.js';

export interface ClinicalFigures {
  /** Every query kind mixed. */
  typeAhead: LatencyStats;
  /** Name queries only (prefix, "last, first", given + family). */
  typeAheadName: LatencyStats;
  /** Phone numbers (digits matched anywhere in the number). */
  typeAheadPhone: LatencyStats;
  chartSummary: LatencyStats;
  dayView: LatencyStats;
  /** Appointments on today's day view. */
  appointmentsToday: number;
  queries: number;
}

type Log = (line: string) => void;

/** The type-ahead queries of sampled patients: by kind, and grouped as the figures report them. */
export async function typeAheadQueries(
  store: Store,
  w: Workload,
): Promise<{ name: string[]; other: string[]; phone: string[]; byKind: Record<'3 letters' | 'family, initial' | 'given + family prefix' | 'birth date' | 'MRN' | 'phone', string[]> }> {
  const ids = w.patientIds.filter((_, i) => i % Math.max(1, Math.floor(w.patientIds.length / 60)) === 0).slice(0, 60);
  const patients = [...(await readMany<Patient>(store.repo, 'Patient', ids)).values()];
  const byKind = { '3 letters': [] as string[], 'family, initial': [] as string[], 'given + family prefix': [] as string[], 'birth date': [] as string[], MRN: [] as string[], phone: [] as string[] };
  for (const p of patients) {
    const n = p.name?.[0];
    const family = n?.family ?? '';
    const given = n?.given?.[0] ?? '';
    if (family.length >= 3) byKind['3 letters'].push(family.slice(0, 3));
    if (family && given) {
      byKind['family, initial'].push(`${family}, ${given.slice(0, 1)}`);
      byKind['given + family prefix'].push(`${given} ${family.slice(0, 2)}`);
    }
    if (p.birthDate) byKind['birth date'].push(p.birthDate);
    const mrn = p.identifier?.[0]?.value;
    if (mrn) byKind.MRN.push(mrn);
    const tel = p.telecom?.find((t) => t.system === 'phone')?.value;
    if (tel) byKind.phone.push(tel);
  }
  const name = [...byKind['3 letters'], ...byKind['family, initial'], ...byKind['given + family prefix']];
  return { name, other: [...byKind['birth date'], ...byKind.MRN], phone: byKind.phone, byKind };
}

/** Measures type-ahead, chart summary and day view latency in process. */
export async function measureClinicalFigures(store: Store, w: Workload, opts: BenchOptions, log: Log): Promise<ClinicalFigures> {
  const q = await typeAheadQueries(store, w);
  const mixed = [...q.name, ...q.other, ...q.phone];
  if (!mixed.length) throw new Error('no type-ahead queries could be made from the sampled patients');
  log(`  in-process: patient type-ahead (${mixed.length} queries: names, birth dates, MRNs, phones)`);
  const typeAhead = await measureLatency((i) => searchPatients(store.repo, mixed[i % mixed.length]), opts.latency);
  const typeAheadName = await measureLatency((i) => searchPatients(store.repo, q.name[i % q.name.length]), opts.latency);
  const typeAheadPhone = q.phone.length ? await measureLatency((i) => searchPatients(store.repo, q.phone[i % q.phone.length]), opts.latency) : typeAheadName;
  log('  in-process: chart summary');
  const summaries = new ChartSummaryService(store.repo);
  const chartSummary = await measureLatency((i) => summaries.summary(w.everythingIds[i % w.everythingIds.length] as string), opts.latency);
  log("  in-process: today's day view (all clinicians)");
  const date = localDay(new Date());
  const first = await dayView(store.repo, { date });
  const appointmentsToday = first.columns.reduce((n, c) => n + c.appointments.length, 0);
  const day = await measureLatency(() => dayView(store.repo, { date }), { ...opts.latency, maxOps: Math.min(opts.latency.maxOps, 2_000) });
  return { typeAhead, typeAheadName, typeAheadPhone, chartSummary, dayView: day, appointmentsToday, queries: mixed.length };
}
