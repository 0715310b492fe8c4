/**
 * Table types of replication (migration 0004-sync), for `db.withTables<SyncTables>()`.
 */
import type { Kysely } from 'kysely';
import type { ChartDatabase } from './schema.js';

export type SyncIdentityTable = {
  key: string;
  value: string;
};

export type SyncPeersTable = {
  node_id: string;
  name: string;
  /** `outbound`: this node calls the peer at `url`; `inbound`: the peer calls this node. */
  direction: string;
  url: string | null;
  /** The peer's Ed25519 public key (SPKI DER, base64). */
  public_key: string;
  practice: string;
  /** SHA-256 fingerprint of the peer's TLS certificate, pinned at enrolment. */
  fingerprint: string | null;
  allow_http: number;
  disabled: number;
  created_at: number;
};

export type SyncInvitesTable = {
  code_hash: string;
  practice: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  used_by: string | null;
};

export type SyncCheckpointsTable = {
  replication: string;
  seq: number;
  updated_at: number;
};

export type SyncQuarantineTable = {
  id: string;
  peer: string;
  session: string;
  status: string;
  docs: number;
  destructive: number;
  resources: number;
  digest: string;
  payload: string;
  created_at: number;
  decided_at: number | null;
};

export type SyncTables = {
  sync_identity: SyncIdentityTable;
  sync_peers: SyncPeersTable;
  sync_invites: SyncInvitesTable;
  sync_checkpoints: SyncCheckpointsTable;
  sync_quarantine: SyncQuarantineTable;
};

/** The chart database with the replication tables. */
export type SyncDatabase = ChartDatabase & SyncTables;

/** A handle typed for the replication tables. */
export function syncDb(db: Kysely<ChartDatabase>): Kysely<SyncDatabase> {
  return db.withTables<SyncTables>();
}
