/**
 * Audit reports (ONC 170.315(d)(3)): who looked at a chart, when, from where and why,
 * sortable by every field; the accounting of disclosures ((d)(11)) is the same report
 * limited to exports and prints.
 */
import { badRequest } from '@chartroom/core';
import type { Kysely } from 'kysely';
import type { ChartDatabase } from '../store/schema.js';
import { auditDb } from './audit-tables.js';

/** Fields of a report row; each one sorts. */
export const REPORT_FIELDS = ['time', 'user', 'role', 'action', 'outcome', 'severity', 'patient', 'resource', 'address', 'purpose', 'node', 'seq'] as const;
export type ReportField = (typeof REPORT_FIELDS)[number];

export interface AuditReportRow {
  /** ISO 8601 UTC. */
  time: string;
  user: string;
  role: string;
  action: string;
  outcome: string;
  severity: string;
  patient: string;
  resource: string;
  address: string;
  purpose: string;
  node: string;
  seq: number;
}

export interface AuditReportQuery {
  patientId?: string | undefined;
  /** ms since epoch, inclusive. */
  from?: number | undefined;
  /** ms since epoch, inclusive. */
  to?: number | undefined;
  /** Fields, each optionally prefixed by `-` for descending (default `time`). */
  sort?: readonly string[] | undefined;
  /** Only disclosures (exports and prints). */
  disclosures?: boolean | undefined;
  /** Most rows returned (default 1000, at most 10000). */
  limit?: number | undefined;
}

/** Parses `time,-user` (or repeated values) into sort keys; 400 naming the bad field. */
export function parseSort(sort: readonly string[] | undefined): { field: ReportField; desc: boolean }[] {
  const keys = (sort ?? ['time']).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  return keys.map((k) => {
    const desc = k.startsWith('-');
    const field = desc ? k.slice(1) : k;
    if (!(REPORT_FIELDS as readonly string[]).includes(field)) throw badRequest(`Cannot sort by "${field}"; sortable fields: ${REPORT_FIELDS.join(', ')}`, 'sort');
    return { field: field as ReportField, desc };
  });
}

/** Parses a report date (`2026-11-25` or an ISO instant); `end` makes a bare date inclusive of its whole day. */
export function parseReportTime(text: string | undefined, name: string, end = false): number | undefined {
  if (text === undefined || text === '') return undefined;
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T${end ? '23:59:59.999' : '00:00:00.000'}Z` : text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(ms)) throw badRequest(`Invalid ${name} "${text}"; use YYYY-MM-DD or an ISO 8601 instant`, name);
  return ms;
}

/** Runs a report: one row per event and patient, sorted as asked. */
export async function auditReport(root: Kysely<ChartDatabase>, q: AuditReportQuery): Promise<AuditReportRow[]> {
  const sort = parseSort(q.sort);
  const limit = Math.min(q.limit ?? 1000, 10_000);
  if (!Number.isInteger(limit) || limit < 1) throw badRequest('limit must be a whole number from 1 to 10000', 'limit');
  const db = auditDb(root);
  let query = db
    .selectFrom('audit_events as e')
    .leftJoin('audit_event_patients as p', (j) => j.onRef('p.node_id', '=', 'e.node_id').onRef('p.seq', '=', 'e.seq'))
    .select(['e.recorded_at', 'e.user_id', 'e.username', 'e.role', 'e.action', 'e.outcome', 'e.severity', 'p.patient_id', 'e.resource', 'e.address', 'e.purpose', 'e.node_id', 'e.seq']);
  if (q.patientId !== undefined) query = query.where('p.patient_id', '=', q.patientId);
  if (q.from !== undefined) query = query.where('e.recorded_at', '>=', q.from);
  if (q.to !== undefined) query = query.where('e.recorded_at', '<=', q.to);
  if (q.disclosures) query = query.where('e.action', 'in', ['export', 'print']);
  const rows = await query.orderBy('e.recorded_at', 'desc').limit(limit).execute();
  const out: AuditReportRow[] = rows.map((r) => ({
    time: new Date(Number(r.recorded_at)).toISOString(),
    user: r.username ?? r.user_id ?? '(node)',
    role: r.role ?? '',
    action: r.action,
    outcome: r.outcome,
    severity: r.severity,
    patient: r.patient_id ?? '',
    resource: r.resource ?? '',
    address: r.address ?? '',
    purpose: r.purpose,
    node: r.node_id,
    seq: Number(r.seq),
  }));
  out.sort((a, b) => {
    for (const { field, desc } of sort) {
      const x = a[field];
      const y = b[field];
      const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
      if (c !== 0) return desc ? -c : c;
    }
    return a.node.localeCompare(b.node) || a.seq - b.seq;
  });
  return out;
}
