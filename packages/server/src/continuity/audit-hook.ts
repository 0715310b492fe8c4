/**
 * The audit-chain check of `chartroom verify`: the security area's verifier
 * (`security/audit-verify.ts`) run over the database being verified.
 */
import { Kysely, SqliteDialect } from 'kysely';
import type Database from 'better-sqlite3-multiple-ciphers';
import type { ChartDatabase } from '../store/schema.js';
import { verifyAuditTrail } from '../security/audit-verify.js';
import type { AuditChainVerifier } from './verify.js';

/** Verifies every node's audit chain in a raw SQLite connection; a database without audit tables is reported as such. */
export const verifyAuditChainDatabase: AuditChainVerifier = async (raw: Database.Database) => {
  const hasTable = raw.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_events'`).get();
  if (!hasTable) return { ok: true, detail: 'no audit trail in this database (made before the audit module)' };
  // Not destroyed: that would close `raw`, which the caller owns.
  const db = new Kysely<ChartDatabase>({ dialect: new SqliteDialect({ database: raw }) });
  const r = await verifyAuditTrail(db);
  const nodes = Object.entries(r.nodes).map(([id, n]) => `${id}: ${n.events} events, signed through ${n.signedThrough}`);
  if (r.ok) return { ok: true, detail: `${r.events} events intact${nodes.length ? ` (${nodes.join('; ')})` : ''}` };
  const shown = r.problems.slice(0, 5).map((p) => `${p.nodeId}#${p.seq} ${p.problem}: ${p.detail}`);
  return { ok: false, detail: `${r.problems.length} problem(s): ${shown.join('; ')}` };
};

/** The audit verifier for `chartroom verify`. */
export function findAuditVerifier(): Promise<AuditChainVerifier | undefined> {
  return Promise.resolve(verifyAuditChainDatabase);
}
