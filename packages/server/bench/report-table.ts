/**
 * Turns the suite results into the benchmark table: each figure with Chartroom's value,
 * the spec's target and a pass/miss mark, the raw SQLite floor with the cost ratio, and the
 * PostgreSQL and medplum in-memory columns.
 */
import type { ChartroomSuiteResult, RawSqliteResult } from './chartroom-suite.js';
import type { LatencyStats } from './measure.js';
import type { MedplumMemoryResult } from './medplum-memory-baseline.js';

/** A spec target: at most or at least `value`. */
export interface Target {
  kind: 'max' | 'min';
  value: number;
  unit: string;
}

export interface ReportRow {
  section: 'HTTP' | 'Store';
  figure: string;
  /** Chartroom on encrypted SQLite, formatted. */
  chartroom: string;
  /** The number compared with the target (p99, peak, or rate). */
  measured: number | undefined;
  target: Target | undefined;
  met: boolean | undefined;
  raw: string | undefined;
  /** Chartroom's cost over the raw floor (latency ÷ latency, or rate ÷ rate inverted); 1 = as fast as raw. */
  costVsRaw: number | undefined;
  postgres: string | undefined;
  memory: string | undefined;
}

export interface RatioGoal {
  figure: string;
  ratio: number;
  goal: number;
  met: boolean;
}

export interface Report {
  rows: ReportRow[];
  goals: RatioGoal[];
}

function ms(v: number): string {
  if (!Number.isFinite(v)) return '-';
  if (v < 0.1) return v.toFixed(3);
  if (v < 10) return v.toFixed(2);
  return v.toFixed(1);
}

function lat(s: LatencyStats | undefined): string | undefined {
  return s ? `${ms(s.p50)} / ${ms(s.p99)}` : undefined;
}

function rate(v: number | undefined): string | undefined {
  return v === undefined || !Number.isFinite(v) ? undefined : Math.round(v).toLocaleString('en-US');
}

function mb(bytes: number | undefined): string | undefined {
  return bytes === undefined ? undefined : (bytes / 1024 / 1024).toFixed(0);
}

function check(target: Target | undefined, measured: number | undefined): boolean | undefined {
  if (!target || measured === undefined || !Number.isFinite(measured)) return undefined;
  return target.kind === 'max' ? measured <= target.value : measured >= target.value;
}

function row(r: Omit<ReportRow, 'met'>): ReportRow {
  return { ...r, met: check(r.target, r.measured) };
}

const MAX_MS = (value: number): Target => ({ kind: 'max', value, unit: 'ms' });
const MIN_PER_S = (value: number): Target => ({ kind: 'min', value, unit: '/s' });

/** Builds the report from one run's results. */
export function buildReport(sq: ChartroomSuiteResult, raw: RawSqliteResult, mem: MedplumMemoryResult | undefined, pgr: ChartroomSuiteResult | undefined): Report {
  const c = sq.concurrent.reads.clients;
  const rows: ReportRow[] = [
    row({
      section: 'HTTP', figure: 'read Patient/{id}, p50 / p99 ms', chartroom: lat(sq.http.read) as string, measured: sq.http.read.p99, target: MAX_MS(5),
      raw: lat(raw.read), costVsRaw: sq.http.read.p50 / raw.read.p50, postgres: lat(pgr?.http.read), memory: undefined,
    }),
    row({
      section: 'HTTP', figure: 'Patient?name={3 letters}, p50 / p99 ms', chartroom: lat(sq.http.nameSearch) as string, measured: sq.http.nameSearch.p99,
      target: MAX_MS(10), raw: undefined, costVsRaw: undefined, postgres: lat(pgr?.http.nameSearch), memory: undefined,
    }),
    row({
      section: 'HTTP', figure: 'Observation?subject&code&date, p50 / p99 ms', chartroom: lat(sq.http.obsSearch) as string, measured: sq.http.obsSearch.p99,
      target: MAX_MS(10), raw: undefined, costVsRaw: undefined, postgres: lat(pgr?.http.obsSearch), memory: undefined,
    }),
    row({
      section: 'HTTP', figure: `Patient/$everything (${sq.workload.typicalCompartment} res), p50 / p99 ms`, chartroom: lat(sq.http.everything) as string,
      measured: sq.http.everything.p99, target: MAX_MS(50), raw: undefined, costVsRaw: undefined, postgres: lat(pgr?.http.everything), memory: undefined,
    }),
    row({
      section: 'HTTP', figure: 'server RSS, peak MB', chartroom: mb(sq.rss.peak) as string, measured: sq.rss.peak / 1024 / 1024,
      target: { kind: 'max', value: 300, unit: 'MB' }, raw: undefined, costVsRaw: undefined, postgres: mb(pgr?.rss.peak), memory: undefined,
    }),
    row({
      section: 'HTTP', figure: `${c} clients: reads/s`, chartroom: rate(sq.concurrent.reads.opsPerSec) as string, measured: sq.concurrent.reads.opsPerSec,
      target: MIN_PER_S(6000), raw: undefined, costVsRaw: undefined, postgres: rate(pgr?.concurrent.reads.opsPerSec), memory: undefined,
    }),
    row({
      section: 'HTTP', figure: `${c} clients: searches/s`, chartroom: rate(sq.concurrent.searches.opsPerSec) as string, measured: sq.concurrent.searches.opsPerSec,
      target: MIN_PER_S(2000), raw: undefined, costVsRaw: undefined, postgres: rate(pgr?.concurrent.searches.opsPerSec), memory: undefined,
    }),
    row({
      section: 'HTTP', figure: `${c} clients: creates/s (raw: 1-row commits)`, chartroom: rate(sq.concurrent.creates.opsPerSec) as string,
      measured: sq.concurrent.creates.opsPerSec, target: MIN_PER_S(2000), raw: rate(raw.singleInsert.opsPerSec),
      costVsRaw: raw.singleInsert.opsPerSec / sq.concurrent.creates.opsPerSec, postgres: rate(pgr?.concurrent.creates.opsPerSec), memory: undefined,
    }),
    row({
      section: 'Store', figure: `import fresh batch (${sq.importBatch.resources} res), res/s`, chartroom: rate(sq.importBatch.perSec) as string,
      measured: sq.importBatch.perSec, target: MIN_PER_S(10_000), raw: rate(raw.importBatch.perSec), costVsRaw: raw.importBatch.perSec / sq.importBatch.perSec,
      postgres: rate(pgr?.importBatch.perSec), memory: undefined,
    }),
    ...(raw.sameRows
      ? [
          row({
            section: 'Store',
            figure: `  same, raw: every row Chartroom writes (${raw.sameRows.indexRowsPerResource.toFixed(1)} index rows/res)`,
            chartroom: rate(sq.importBatch.perSec) as string, measured: undefined, target: undefined,
            raw: rate(raw.sameRows.perSec), costVsRaw: raw.sameRows.perSec / sq.importBatch.perSec, postgres: undefined, memory: undefined,
          }),
        ]
      : []),
    row({
      section: 'Store', figure: 'read by id, p50 / p99 ms', chartroom: lat(sq.inProcess.read) as string, measured: undefined, target: undefined,
      raw: lat(raw.read), costVsRaw: sq.inProcess.read.p50 / raw.read.p50, postgres: lat(pgr?.inProcess.read), memory: lat(mem?.read),
    }),
    row({
      section: 'Store', figure: 'name search, p50 / p99 ms', chartroom: lat(sq.inProcess.nameSearch) as string, measured: undefined, target: undefined,
      raw: undefined, costVsRaw: undefined, postgres: lat(pgr?.inProcess.nameSearch), memory: lat(mem?.nameSearch),
    }),
    row({
      section: 'Store', figure: 'Observation search, p50 / p99 ms', chartroom: lat(sq.inProcess.obsSearch) as string, measured: undefined, target: undefined,
      raw: undefined, costVsRaw: undefined, postgres: lat(pgr?.inProcess.obsSearch), memory: lat(mem?.obsSearch),
    }),
    row({
      section: 'Store', figure: 'Patient/$everything, p50 / p99 ms', chartroom: lat(sq.inProcess.everything) as string, measured: undefined, target: undefined,
      raw: undefined, costVsRaw: undefined, postgres: lat(pgr?.inProcess.everything), memory: undefined,
    }),
    row({
      section: 'Store', figure: 'create, 1 per transaction, p50 / p99 ms', chartroom: lat(sq.inProcess.create) as string, measured: undefined, target: undefined,
      raw: lat(raw.singleInsert), costVsRaw: sq.inProcess.create.p50 / raw.singleInsert.p50, postgres: lat(pgr?.inProcess.create), memory: lat(mem?.create),
    }),
    row({
      section: 'Store', figure: `patient type-ahead, mixed (${sq.clinical.queries} queries), p50 / p99 ms`, chartroom: lat(sq.clinical.typeAhead) as string,
      measured: sq.clinical.typeAhead.p99, target: MAX_MS(10), raw: undefined, costVsRaw: undefined, postgres: lat(pgr?.clinical.typeAhead), memory: undefined,
    }),
    row({
      section: 'Store', figure: 'type-ahead: names only, p50 / p99 ms', chartroom: lat(sq.clinical.typeAheadName) as string, measured: sq.clinical.typeAheadName.p99,
      target: MAX_MS(10), raw: undefined, costVsRaw: undefined, postgres: lat(pgr?.clinical.typeAheadName), memory: undefined,
    }),
    row({
      section: 'Store', figure: 'type-ahead: phone numbers only, p50 / p99 ms', chartroom: lat(sq.clinical.typeAheadPhone) as string, measured: sq.clinical.typeAheadPhone.p99,
      target: MAX_MS(10), raw: undefined, costVsRaw: undefined, postgres: lat(pgr?.clinical.typeAheadPhone), memory: undefined,
    }),
    row({
      section: 'Store', figure: 'chart summary, p50 / p99 ms', chartroom: lat(sq.clinical.chartSummary) as string, measured: sq.clinical.chartSummary.p99,
      target: MAX_MS(20), raw: undefined, costVsRaw: undefined, postgres: lat(pgr?.clinical.chartSummary), memory: undefined,
    }),
    row({
      section: 'Store', figure: `day view, all clinicians (${sq.clinical.appointmentsToday} appts), p50 / p99 ms`, chartroom: lat(sq.clinical.dayView) as string,
      measured: undefined, target: undefined, raw: undefined, costVsRaw: undefined, postgres: lat(pgr?.clinical.dayView), memory: undefined,
    }),
  ];
  const writeRatio = raw.importBatch.perSec / sq.importBatch.perSec;
  const readRatio = sq.inProcess.read.p50 / raw.read.p50;
  const goals: RatioGoal[] = [
    { figure: 'writes: import res/s, raw ÷ Chartroom', ratio: writeRatio, goal: 5, met: writeRatio <= 5 },
    { figure: 'reads: read-by-id p50 in process, Chartroom ÷ raw', ratio: readRatio, goal: 3, met: readRatio <= 3 },
  ];
  return { rows, goals };
}

function targetText(t: Target | undefined): string {
  if (!t) return '';
  const v = t.value >= 1000 ? t.value.toLocaleString('en-US') : String(t.value);
  return t.kind === 'max' ? `≤ ${v} ${t.unit}` : `≥ ${v} ${t.unit}`;
}

function ratioText(r: number | undefined): string {
  if (r === undefined || !Number.isFinite(r)) return '';
  if (r >= 100) return `${r.toFixed(0)}×`;
  return r >= 10 ? `${r.toFixed(1)}×` : `${r.toFixed(2)}×`;
}

/** Renders the report as a fixed-width text table. */
export function formatReport(report: Report, hasPostgres: boolean, hasMemory: boolean): string {
  const header = ['figure', 'chartroom', 'target', 'ok', 'raw sqlite', '×raw', ...(hasPostgres ? ['postgres'] : []), ...(hasMemory ? ['medplum mem'] : [])];
  const body: string[][] = [];
  let section = '';
  for (const r of report.rows) {
    if (r.section !== section) {
      section = r.section;
      body.push([section === 'HTTP' ? '— over HTTP (server in a child process) —' : '— store in process (no HTTP) —']);
    }
    body.push([
      r.figure,
      r.chartroom,
      targetText(r.target),
      r.met === undefined ? '' : r.met ? 'pass' : 'MISS',
      r.raw ?? '',
      ratioText(r.costVsRaw),
      ...(hasPostgres ? [r.postgres ?? ''] : []),
      ...(hasMemory ? [r.memory ?? ''] : []),
    ]);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...body.filter((b) => b.length > 1).map((b) => (b[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const out = [line(header), rule];
  for (const b of body) out.push(b.length === 1 ? (b[0] ?? '') : line(b));
  out.push(rule);
  for (const g of report.goals) out.push(`${g.figure}: ${ratioText(g.ratio)} (goal ≤ ${g.goal}×) ${g.met ? 'pass' : 'MISS'}`);
  return out.map((l) => l.trimEnd()).join('\n');
}
