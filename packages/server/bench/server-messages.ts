/**
 * The protocol between the benchmark (parent) and the server it measures (a child process,
 * so the server's RSS is its own): a typed message union with guards at the edge.
 */
import type { StoreLocation } from '../src/store/open-store.js';

export const SERVER_PROTOCOL_VERSION = 1;

/** Parent → server. */
export type ToServer =
  | { kind: 'open'; version: typeof SERVER_PROTOCOL_VERSION; location: StoreLocation }
  | { kind: 'rss' }
  | { kind: 'stop' };

/** Server → parent. */
export type FromServer =
  | { kind: 'ready'; port: number; rss: number; token: string }
  | { kind: 'rss'; rss: number }
  | { kind: 'failed'; message: string }
  | { kind: 'stopped' };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isLocation(v: unknown): v is StoreLocation {
  if (!isObject(v)) return false;
  if (v.kind === 'postgres') return typeof v.url === 'string';
  return v.kind === 'sqlite' && typeof v.file === 'string' && (typeof v.keyHex === 'string' || v.keyHex === undefined);
}

/** Guards a message received by the server; throws on anything else. */
export function parseToServer(v: unknown): ToServer {
  if (isObject(v)) {
    if (v.kind === 'open' && v.version === SERVER_PROTOCOL_VERSION && isLocation(v.location)) return { kind: 'open', version: SERVER_PROTOCOL_VERSION, location: v.location };
    if (v.kind === 'rss') return { kind: 'rss' };
    if (v.kind === 'stop') return { kind: 'stop' };
  }
  throw new Error(`bench server: unexpected message ${JSON.stringify(v)}`);
}

/** Guards a message received by the parent; throws on anything else. */
export function parseFromServer(v: unknown): FromServer {
  if (isObject(v)) {
    if (v.kind === 'ready' && typeof v.port === 'number' && typeof v.rss === 'number' && typeof v.token === 'string') return { kind: 'ready', port: v.port, rss: v.rss, token: v.token };
    if (v.kind === 'rss' && typeof v.rss === 'number') return { kind: 'rss', rss: v.rss };
    if (v.kind === 'failed' && typeof v.message === 'string') return { kind: 'failed', message: v.message };
    if (v.kind === 'stopped') return { kind: 'stopped' };
  }
  throw new Error(`bench: unexpected message from the server process ${JSON.stringify(v)}`);
}
