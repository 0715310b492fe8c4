/**
 * Row shapes of the `audit_*` tables (migration 0003-audit), for typed queries through
 * `db.withTables<AuditTables>()`.
 */
import type { Kysely, Transaction } from 'kysely';
import type { ChartDatabase } from '../store/schema.js';

export interface AuditEventsTable {
  node_id: string;
  /** 1, 2, 3… per node, no gaps. */
  seq: number;
  recorded_at: number;
  action: string;
  outcome: string;
  severity: string;
  user_id: string | null;
  username: string | null;
  role: string | null;
  address: string | null;
  purpose: string;
  /** The first resource touched (`Type/id`), for the report. */
  resource: string | null;
  /** The event's canonical JSON record (audit-event.ts `auditRecordJson`; rendered as a FHIR AuditEvent on demand): what the hash covers. */
  content: string;
  /** The hash of the node's previous event ('' × 64 zeros for the first). */
  prev_hash: string;
  /** SHA-256 hex of prev_hash + content. */
  hash: string;
}

export interface AuditEventPatientsTable {
  patient_id: string;
  recorded_at: number;
  node_id: string;
  seq: number;
}

export interface AuditHeadsTable {
  node_id: string;
  seq: number;
  hash: string;
  signed_at: number;
  /** SPKI PEM of the Ed25519 key that signed. */
  public_key: string;
  /** Base64 Ed25519 signature of `chartroom-audit-head|node|seq|hash`. */
  signature: string;
}

export interface AuditBreakGlassTable {
  id: string;
  user_id: string;
  username: string | null;
  patient_id: string;
  reason: string;
  granted_at: number;
  expires_at: number;
  node_id: string;
}

/** The audit tables. */
// A type alias, not an interface: withTables needs an implicit index signature.
export type AuditTables = {
  audit_events: AuditEventsTable;
  audit_event_patients: AuditEventPatientsTable;
  audit_heads: AuditHeadsTable;
  audit_break_glass: AuditBreakGlassTable;
};

/** A Kysely handle (root or transaction) typed for the audit tables. */
export type AuditDb = Kysely<ChartDatabase & AuditTables>;

/** Retypes a store handle or a write transaction for the audit tables. */
export function auditDb(db: Kysely<ChartDatabase> | Transaction<ChartDatabase>): AuditDb {
  return db.withTables<AuditTables>();
}
