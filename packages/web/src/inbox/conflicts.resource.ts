/** The reconciliation inbox: GET /api/conflicts, POST /api/conflicts/:type/:id/resolve with {rev} or {resource}. */
import { apiRequest } from '../api/api-client';

export interface ConflictLeaf {
  rev: string;
  lastUpdated: string;
  resource: Record<string, unknown>;
}

export interface Conflict {
  type: string;
  id: string;
  winner: string;
  leaves: ConflictLeaf[];
}

/** Loads the open conflicts. */
export async function loadConflicts(signal: AbortSignal): Promise<Conflict[]> {
  const body = await apiRequest<{ conflicts?: Conflict[] }>('/api/conflicts', { signal, what: 'Loading sync conflicts' });
  return body.conflicts ?? [];
}

/** Keeps one version, or saves a merged resource. */
export async function resolveConflict(c: Conflict, choice: { rev: string } | { resource: Record<string, unknown> }): Promise<void> {
  await apiRequest(`/api/conflicts/${encodeURIComponent(c.type)}/${encodeURIComponent(c.id)}/resolve`, { method: 'POST', body: choice, what: `Resolving ${c.type}/${c.id}` });
}

/** Flattens a resource to path → value text (meta left out), for a side-by-side comparison. */
export function flatten(v: unknown, prefix = '', out: Map<string, string> = new Map()): Map<string, string> {
  if (v === null || typeof v !== 'object') {
    out.set(prefix, JSON.stringify(v));
    return out;
  }
  if (Array.isArray(v)) {
    v.forEach((x, i) => flatten(x, `${prefix}[${i}]`, out));
    return out;
  }
  for (const [k, x] of Object.entries(v)) {
    if (!prefix && (k === 'meta' || k === 'text')) continue;
    flatten(x, prefix ? `${prefix}.${k}` : k, out);
  }
  return out;
}
