/**
 * GET /api/sync/status, polled, read into one plain shape. Field names are read tolerantly
 * (the replication API is being finished alongside); anything unreadable is "unknown", never "in sync".
 */
import { useEffect, useState } from 'react';
import { apiRequest } from '../api/api-client';
import { ApiError } from '../api/api-error';

export interface SyncView {
  /** What the bar can say. */
  kind: 'in-sync' | 'connected-pending' | 'local' | 'standalone' | 'unavailable' | 'unreachable' | 'checking';
  /** Changes on this node not yet sent to the hub. */
  pending?: number;
  /** Last successful sync (ISO). */
  lastSync?: string;
  /** Working locally since (ISO). */
  since?: string;
  /** This node's data may be out of date. */
  stale: boolean;
  /** Hub or peer name, when given. */
  peer?: string;
  detail?: string;
  /** Sync conflicts waiting in the reconciliation inbox. */
  conflicts?: number;
  /** Batches from a peer held by the safety valve for an administrator (Admin → Quarantine). */
  quarantined?: number;
}

/** Working locally for longer than this, the data on this node may be stale. */
export const STALE_AFTER_MS = 30 * 60 * 1000;

type Obj = Record<string, unknown>;
const pick = (o: Obj, ...keys: string[]): unknown => {
  for (const k of keys) {
    const path = k.split('.');
    let cur: unknown = o;
    for (const p of path) cur = cur && typeof cur === 'object' ? (cur as Obj)[p] : undefined;
    if (cur !== undefined && cur !== null) return cur;
  }
  return undefined;
};
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** Reads a sync status answer into a {@link SyncView} (`now` injectable for tests). */
export function readSyncStatus(body: unknown, now: () => number = Date.now): SyncView {
  if (!body || typeof body !== 'object') return { kind: 'unavailable', stale: false, detail: 'unreadable answer' };
  const o = body as Obj;
  let pending = num(pick(o, 'pendingChanges', 'changesWaiting', 'pending', 'outbound.pending', 'queue', 'waiting'));
  if (pending === undefined) {
    const peers = pick(o, 'peers');
    if (Array.isArray(peers)) {
      const counts = peers.map((p) => num(pick(p as Obj, 'pendingChanges', 'pending', 'changesWaiting'))).filter((n): n is number => n !== undefined);
      if (counts.length) pending = Math.max(...counts);
    }
  }
  const lastSync = str(pick(o, 'lastSuccessfulSync', 'lastSyncAt', 'lastSync', 'lastSuccessAt', 'hub.lastSuccessfulSync', 'hub.lastSync'));
  const since = str(pick(o, 'localSince', 'workingLocallySince', 'disconnectedSince', 'offlineSince', 'hub.disconnectedSince'));
  const stale = pick(o, 'stale', 'isStale', 'staleWarning') === true || typeof pick(o, 'staleWarning') === 'string';
  const peer = str(pick(o, 'hub.name', 'hub.url', 'hubUrl', 'hub'));
  const connectedRaw = pick(o, 'connected', 'hubConnected', 'hub.connected', 'online');
  const state = str(pick(o, 'state', 'status', 'mode'));
  const standalone = state === 'standalone' || pick(o, 'configured') === false || (peer === undefined && connectedRaw === undefined && state === undefined && !Array.isArray(pick(o, 'peers')));
  if (standalone && connectedRaw === undefined) return { kind: 'standalone', pending, lastSync, stale, detail: str(pick(o, 'message')) };
  let connected: boolean | undefined = typeof connectedRaw === 'boolean' ? connectedRaw : undefined;
  if (state && /^(offline|local|disconnected|error|denied)$/i.test(state)) connected = false;
  else if (connected === undefined && state) connected = /^(connected|online|in-sync|syncing|ok)$/i.test(state) ? true : undefined;
  if (connected === undefined) {
    const peers = pick(o, 'peers');
    if (Array.isArray(peers) && peers.length) connected = peers.some((p) => pick(p as Obj, 'connected', 'online') === true);
  }
  const conflicts = num(pick(o, 'conflicts'));
  const quarantined = num(pick(o, 'quarantined'));
  if (connected === undefined) return { kind: 'unavailable', stale, pending, lastSync, conflicts, quarantined, detail: 'connection state not reported' };
  if (!connected) {
    // Not reaching the hub: the data is stale once the last good sync is old (or never happened).
    const old = !lastSync || now() - new Date(lastSync).getTime() > STALE_AFTER_MS;
    const lastError = Array.isArray(pick(o, 'peers')) ? str((pick(o, 'peers') as Obj[]).map((p) => pick(p, 'lastError')).find((e) => typeof e === 'string')) : undefined;
    return { kind: 'local', pending, lastSync, since: since ?? lastSync, stale: stale || old, peer, conflicts, quarantined, detail: state === 'denied' ? 'the hub refused this node' : lastError };
  }
  // Held batches mean this node is missing changes the hub has: not "in sync".
  if (pending === undefined || pending > 0 || stale || (quarantined ?? 0) > 0) return { kind: 'connected-pending', pending, lastSync, stale, peer, conflicts, quarantined };
  return { kind: 'in-sync', pending, lastSync, stale, peer, conflicts, quarantined };
}

/** Polls the sync status every `everyMs` (10 s by default). */
export function useSyncStatus(everyMs = 10_000): SyncView {
  const [view, setView] = useState<SyncView>({ kind: 'checking', stale: false });
  useEffect(() => {
    let stop = false;
    let ctl = new AbortController();
    const poll = async () => {
      ctl = new AbortController();
      try {
        const body = await apiRequest<unknown>('/api/sync/status', { signal: ctl.signal, what: 'Reading sync status' });
        if (!stop) setView(readSyncStatus(body));
      } catch (err) {
        if (stop || (err as Error).name === 'AbortError') return;
        if (err instanceof ApiError && err.status === 0) setView({ kind: 'unreachable', stale: false, detail: err.message });
        else setView({ kind: 'unavailable', stale: false, detail: (err as Error).message });
      }
    };
    void poll();
    const t = window.setInterval(() => void poll(), everyMs);
    return () => {
      stop = true;
      ctl.abort();
      window.clearInterval(t);
    };
  }, [everyMs]);
  return view;
}
