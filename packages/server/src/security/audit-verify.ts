/**
 * `chartroom audit verify`: walks every node's audit chain in the store and its signed
 * heads (ONC 170.315(d)(8) integrity, (d)(10) auditing actions).
 */
import type { Kysely } from 'kysely';
import type { ChartDatabase } from '../store/schema.js';
import { verifyChain } from './audit-chain.js';

export { headExtends } from './audit-chain.js';
export type { HeadExtension } from './audit-chain.js';
import type { ChainReport } from './audit-chain.js';
import { auditDb } from './audit-tables.js';

/**
 * Verifies every node's chain. `trustedKeys` maps a node id to the public keys accepted for
 * it; a node not in the map is checked against the keys its own heads carry (what a hub
 * learns at enrolment goes in the map).
 */
export async function verifyAuditTrail(root: Kysely<ChartDatabase>, trustedKeys: Record<string, readonly string[]> = {}): Promise<ChainReport> {
  const db = auditDb(root);
  const nodes = await db.selectFrom('audit_events').select('node_id').distinct().execute();
  const headNodes = await db.selectFrom('audit_heads').select('node_id').distinct().execute();
  const ids = [...new Set([...nodes, ...headNodes].map((n) => n.node_id))].sort();
  const report: ChainReport = { ok: true, events: 0, nodes: {}, problems: [] };
  for (const nodeId of ids) {
    const rows = await db.selectFrom('audit_events').select(['node_id', 'seq', 'content', 'prev_hash', 'hash']).where('node_id', '=', nodeId).orderBy('seq').execute();
    const heads = await db.selectFrom('audit_heads').select(['node_id', 'seq', 'hash', 'public_key', 'signature']).where('node_id', '=', nodeId).orderBy('seq').execute();
    const keys = trustedKeys[nodeId] ?? [...new Set(heads.map((h) => h.public_key))].slice(0, 1);
    const r = verifyChain(nodeId, rows, heads, keys);
    report.events += rows.length;
    report.nodes[nodeId] = { events: rows.length, lastSeq: r.lastSeq, signedThrough: r.signedThrough };
    report.problems.push(...r.problems);
  }
  report.ok = report.problems.length === 0;
  return report;
}
