/**
 * Clinical rules that narrow conflicts (ARCHITECTURE §4): append-only kinds never go to the
 * reconciliation inbox. When two nodes edit one of them concurrently, every node keeps the
 * deterministic winner and closes each losing leaf with a deletion revision whose id is the
 * same on every node (the hash of the loser and the tombstone), so the losers stay in the
 * history and the trees still converge. Isomorphic (no node:*).
 */

/** Resource types whose records are append-only: a correction is a new resource, never a conflict. */
export const APPEND_ONLY_TYPES: ReadonlySet<string> = new Set(['Observation', 'AuditEvent', 'Provenance']);

/** Document statuses that mean a note is signed (Composition.status, DocumentReference.docStatus). */
const SIGNED_STATUSES: ReadonlySet<string> = new Set(['final', 'amended', 'appended']);

/**
 * True when concurrent edits of this resource must not reach a human: an append-only type,
 * or a signed note (Composition or DocumentReference whose status says it was signed).
 * `content` is the winning revision's resource.
 */
export function isAppendOnly(type: string, content: unknown): boolean {
  if (APPEND_ONLY_TYPES.has(type)) return true;
  if (typeof content !== 'object' || content === null) return false;
  const r = content as { status?: unknown; docStatus?: unknown };
  if (type === 'Composition') return typeof r.status === 'string' && SIGNED_STATUSES.has(r.status);
  if (type === 'DocumentReference') return typeof r.docStatus === 'string' && SIGNED_STATUSES.has(r.docStatus);
  return false;
}
