/**
 * The replication protocol between two Chartroom nodes (ARCHITECTURE §4, after CouchDB's
 * replication algorithm): a versioned, typed union of request and response messages,
 * validated at the edge by {@link parseSyncRequest} and {@link parseSyncResponse}. The
 * first message of a session is `hello`, which negotiates the protocol version; every
 * later message carries the negotiated version in `v`. Isomorphic (no node:*).
 */
import { isRevisionId } from '../revision.js';
import type { RevisionId } from '../revision.js';

/** Protocol versions this build speaks, newest first. */
export const SYNC_PROTOCOL_VERSIONS = [1] as const;
export type SyncProtocolVersion = (typeof SYNC_PROTOCOL_VERSIONS)[number];

/** Largest batch a peer may ask for or send (changes, diff items, documents). */
export const MAX_SYNC_BATCH = 5000;
/** Longest long-poll wait a peer may ask for, in milliseconds. */
export const MAX_SYNC_WAIT_MS = 60_000;

/** One entry of a node's change feed. */
export interface SyncChange {
  seq: number;
  type: string;
  id: string;
  rev: RevisionId;
  deleted: boolean;
}

/** One stored revision with its parent link, as replicated. `content` is the revision's FHIR JSON. */
export interface SyncRevision {
  rev: RevisionId;
  parentRev: RevisionId | null;
  deleted: boolean;
  lastUpdated: number;
  content: string;
}

/** The revisions a resource has, or lacks. */
export interface SyncDocRevs {
  type: string;
  id: string;
  revs: RevisionId[];
}

/** A revs-diff answer: the revisions the target lacks and the leaves it has. */
export interface SyncDiffItem {
  type: string;
  id: string;
  missing: RevisionId[];
  have: RevisionId[];
}

/** Revisions of one resource with their ancestry, parents first. */
export interface SyncDoc {
  type: string;
  id: string;
  revisions: SyncRevision[];
}

/** One event of a node's hash-chained audit trail, as carried to the hub (content is the canonical record the hash covers). */
export interface SyncAuditEvent {
  seq: number;
  prevHash: string;
  hash: string;
  content: string;
}

/** A node's signed audit chain head: Ed25519 signature (base64) by `publicKey` (SPKI PEM) of `chartroom-audit-head|node|seq|hash`. */
export interface SyncAuditHead {
  nodeId: string;
  seq: number;
  hash: string;
  publicKey: string;
  signature: string;
}

/** Requests a node answers. */
export type SyncRequest =
  | { type: 'hello'; versions: number[]; nodeId: string }
  | { type: 'changes'; v: SyncProtocolVersion; since: number; limit: number; waitMs: number }
  | { type: 'revs-diff'; v: SyncProtocolVersion; items: SyncDocRevs[] }
  | { type: 'fetch'; v: SyncProtocolVersion; items: (SyncDocRevs & { have: RevisionId[] })[] }
  | { type: 'put'; v: SyncProtocolVersion; session: string; docs: SyncDoc[] }
  | { type: 'get-checkpoint'; v: SyncProtocolVersion; replication: string }
  | { type: 'set-checkpoint'; v: SyncProtocolVersion; replication: string; seq: number }
  /**
   * The caller's audit chain: a new signed head with the events since the head the callee
   * accepted last (the callee checks that it extends it), or `head: null` to ask which head
   * that is.
   */
  | { type: 'audit-head'; v: SyncProtocolVersion; head: SyncAuditHead | null; events: SyncAuditEvent[] };

/** Responses, one kind per request kind, plus `error`. */
export type SyncResponse =
  | { type: 'welcome'; v: SyncProtocolVersion; nodeId: string; lastSeq: number }
  | { type: 'changes-result'; v: SyncProtocolVersion; changes: SyncChange[]; lastSeq: number; pending: number }
  | { type: 'revs-diff-result'; v: SyncProtocolVersion; items: SyncDiffItem[] }
  | { type: 'fetch-result'; v: SyncProtocolVersion; docs: SyncDoc[] }
  | { type: 'put-result'; v: SyncProtocolVersion; stored: number; quarantined: string | null }
  | { type: 'checkpoint'; v: SyncProtocolVersion; replication: string; seq: number }
  /** The caller's audit chain head the callee holds as accepted (seq 0, hash null: none yet). */
  | { type: 'audit-head-result'; v: SyncProtocolVersion; seq: number; hash: string | null }
  | { type: 'error'; v: SyncProtocolVersion; code: SyncErrorCode; message: string };

/** Why a peer refused a request: `denied` stops replication, the others back off and retry. */
export type SyncErrorCode = 'denied' | 'bad-request' | 'version' | 'unavailable' | 'internal';

export type SyncRequestType = SyncRequest['type'];
/** The response kind each request kind gets. */
export const RESPONSE_TYPE = {
  hello: 'welcome',
  changes: 'changes-result',
  'revs-diff': 'revs-diff-result',
  fetch: 'fetch-result',
  put: 'put-result',
  'get-checkpoint': 'checkpoint',
  'set-checkpoint': 'checkpoint',
  'audit-head': 'audit-head-result',
} as const satisfies Record<SyncRequestType, SyncResponse['type']>;

/** The response to request kind `T`. */
export type SyncResponseFor<T extends SyncRequestType> = Extract<SyncResponse, { type: (typeof RESPONSE_TYPE)[T] }>;

/** A message that failed validation: what is wrong and where. */
export class SyncProtocolError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'SyncProtocolError';
  }
}

/** Picks the highest version both sides speak, or undefined. */
export function negotiateVersion(offered: readonly number[]): SyncProtocolVersion | undefined {
  return SYNC_PROTOCOL_VERSIONS.find((v) => offered.includes(v));
}

// ---- guards -------------------------------------------------------------------------

type Obj = Record<string, unknown>;
const TYPE_PATTERN = /^[A-Z][A-Za-z]{1,63}$/;
const ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;
const NAME_PATTERN = /^[A-Za-z0-9_.:\->]{1,200}$/;
const HASH_PATTERN = /^[0-9a-f]{64}$/;
/** Largest audit record carried (a canonical event is well under 8 KiB). */
const MAX_AUDIT_CONTENT = 64 * 1024;

function obj(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new SyncProtocolError('expected an object', path);
  return v as Obj;
}
function str(o: Obj, k: string, path: string, pattern?: RegExp): string {
  const v = o[k];
  if (typeof v !== 'string' || (pattern && !pattern.test(v))) throw new SyncProtocolError(`expected ${pattern ? 'a well-formed ' : 'a '}string`, `${path}.${k}`);
  return v;
}
function int(o: Obj, k: string, path: string, max = Number.MAX_SAFE_INTEGER): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max) throw new SyncProtocolError(`expected an integer 0..${max}`, `${path}.${k}`);
  return v;
}
function bool(o: Obj, k: string, path: string): boolean {
  const v = o[k];
  if (typeof v !== 'boolean') throw new SyncProtocolError('expected true or false', `${path}.${k}`);
  return v;
}
function arr(o: Obj, k: string, path: string, max = MAX_SYNC_BATCH): unknown[] {
  const v = o[k];
  if (!Array.isArray(v) || v.length > max) throw new SyncProtocolError(`expected a list of at most ${max}`, `${path}.${k}`);
  return v;
}
function rev(v: unknown, path: string): RevisionId {
  if (typeof v !== 'string' || !isRevisionId(v)) throw new SyncProtocolError('expected a revision id <generation>-<hash>', path);
  return v;
}
function revs(o: Obj, k: string, path: string): RevisionId[] {
  return arr(o, k, path, 10_000).map((r, i) => rev(r, `${path}.${k}[${i}]`));
}
function version(o: Obj, path: string): SyncProtocolVersion {
  const v = o.v;
  if (!SYNC_PROTOCOL_VERSIONS.includes(v as SyncProtocolVersion)) throw new SyncProtocolError(`unsupported protocol version ${String(v)}`, `${path}.v`);
  return v as SyncProtocolVersion;
}
function docRevs(v: unknown, path: string): SyncDocRevs {
  const o = obj(v, path);
  return { type: str(o, 'type', path, TYPE_PATTERN), id: str(o, 'id', path, ID_PATTERN), revs: revs(o, 'revs', path) };
}
function syncRevision(v: unknown, path: string): SyncRevision {
  const o = obj(v, path);
  const parent = o.parentRev;
  return {
    rev: rev(o.rev, `${path}.rev`),
    parentRev: parent === null ? null : rev(parent, `${path}.parentRev`),
    deleted: bool(o, 'deleted', path),
    lastUpdated: int(o, 'lastUpdated', path),
    content: str(o, 'content', path),
  };
}
function syncDoc(v: unknown, path: string): SyncDoc {
  const o = obj(v, path);
  return {
    type: str(o, 'type', path, TYPE_PATTERN),
    id: str(o, 'id', path, ID_PATTERN),
    revisions: arr(o, 'revisions', path, 10_000).map((r, i) => syncRevision(r, `${path}.revisions[${i}]`)),
  };
}
function change(v: unknown, path: string): SyncChange {
  const o = obj(v, path);
  return {
    seq: int(o, 'seq', path),
    type: str(o, 'type', path, TYPE_PATTERN),
    id: str(o, 'id', path, ID_PATTERN),
    rev: rev(o.rev, `${path}.rev`),
    deleted: bool(o, 'deleted', path),
  };
}

function auditHead(v: unknown, path: string): SyncAuditHead | null {
  if (v === null) return null;
  const o = obj(v, path);
  const publicKey = str(o, 'publicKey', path);
  const signature = str(o, 'signature', path);
  if (publicKey.length > 1000) throw new SyncProtocolError('expected a PEM public key', `${path}.publicKey`);
  if (signature.length > 200) throw new SyncProtocolError('expected a base64 signature', `${path}.signature`);
  return { nodeId: str(o, 'nodeId', path, NAME_PATTERN), seq: int(o, 'seq', path), hash: str(o, 'hash', path, HASH_PATTERN), publicKey, signature };
}
function auditEvent(v: unknown, path: string): SyncAuditEvent {
  const o = obj(v, path);
  const content = str(o, 'content', path);
  if (content.length > MAX_AUDIT_CONTENT) throw new SyncProtocolError(`expected at most ${MAX_AUDIT_CONTENT} characters`, `${path}.content`);
  return { seq: int(o, 'seq', path), prevHash: str(o, 'prevHash', path, HASH_PATTERN), hash: str(o, 'hash', path, HASH_PATTERN), content };
}

/** Validates an incoming request; throws {@link SyncProtocolError} naming the bad element. */
export function parseSyncRequest(value: unknown): SyncRequest {
  const o = obj(value, 'request');
  const t = o.type;
  const p = `request(${String(t)})`;
  switch (t) {
    case 'hello':
      return {
        type: 'hello',
        versions: arr(o, 'versions', p, 16).map((x, i) => {
          if (typeof x !== 'number' || !Number.isInteger(x)) throw new SyncProtocolError('expected an integer', `${p}.versions[${i}]`);
          return x;
        }),
        nodeId: str(o, 'nodeId', p, NAME_PATTERN),
      };
    case 'changes':
      return { type: 'changes', v: version(o, p), since: int(o, 'since', p), limit: Math.max(1, int(o, 'limit', p, MAX_SYNC_BATCH)), waitMs: int(o, 'waitMs', p, MAX_SYNC_WAIT_MS) };
    case 'revs-diff':
      return { type: 'revs-diff', v: version(o, p), items: arr(o, 'items', p).map((x, i) => docRevs(x, `${p}.items[${i}]`)) };
    case 'fetch':
      return {
        type: 'fetch',
        v: version(o, p),
        items: arr(o, 'items', p).map((x, i) => ({ ...docRevs(x, `${p}.items[${i}]`), have: revs(obj(x, `${p}.items[${i}]`), 'have', `${p}.items[${i}]`) })),
      };
    case 'put':
      return { type: 'put', v: version(o, p), session: str(o, 'session', p, NAME_PATTERN), docs: arr(o, 'docs', p).map((x, i) => syncDoc(x, `${p}.docs[${i}]`)) };
    case 'get-checkpoint':
      return { type: 'get-checkpoint', v: version(o, p), replication: str(o, 'replication', p, NAME_PATTERN) };
    case 'set-checkpoint':
      return { type: 'set-checkpoint', v: version(o, p), replication: str(o, 'replication', p, NAME_PATTERN), seq: int(o, 'seq', p) };
    case 'audit-head':
      return { type: 'audit-head', v: version(o, p), head: auditHead(o.head, `${p}.head`), events: arr(o, 'events', p).map((x, i) => auditEvent(x, `${p}.events[${i}]`)) };
    default:
      throw new SyncProtocolError(`unknown request type ${JSON.stringify(t)}`, 'request.type');
  }
}

const ERROR_CODES: readonly SyncErrorCode[] = ['denied', 'bad-request', 'version', 'unavailable', 'internal'];

/** Validates an incoming response; throws {@link SyncProtocolError} naming the bad element. */
export function parseSyncResponse(value: unknown): SyncResponse {
  const o = obj(value, 'response');
  const t = o.type;
  const p = `response(${String(t)})`;
  switch (t) {
    case 'welcome':
      return { type: 'welcome', v: version(o, p), nodeId: str(o, 'nodeId', p, NAME_PATTERN), lastSeq: int(o, 'lastSeq', p) };
    case 'changes-result':
      return {
        type: 'changes-result',
        v: version(o, p),
        changes: arr(o, 'changes', p).map((x, i) => change(x, `${p}.changes[${i}]`)),
        lastSeq: int(o, 'lastSeq', p),
        pending: int(o, 'pending', p),
      };
    case 'revs-diff-result':
      return {
        type: 'revs-diff-result',
        v: version(o, p),
        items: arr(o, 'items', p).map((x, i) => {
          const q = `${p}.items[${i}]`;
          const io = obj(x, q);
          return { type: str(io, 'type', q, TYPE_PATTERN), id: str(io, 'id', q, ID_PATTERN), missing: revs(io, 'missing', q), have: revs(io, 'have', q) };
        }),
      };
    case 'fetch-result':
      return { type: 'fetch-result', v: version(o, p), docs: arr(o, 'docs', p).map((x, i) => syncDoc(x, `${p}.docs[${i}]`)) };
    case 'put-result': {
      const q = o.quarantined;
      if (q !== null && typeof q !== 'string') throw new SyncProtocolError('expected a string or null', `${p}.quarantined`);
      return { type: 'put-result', v: version(o, p), stored: int(o, 'stored', p), quarantined: q };
    }
    case 'checkpoint':
      return { type: 'checkpoint', v: version(o, p), replication: str(o, 'replication', p, NAME_PATTERN), seq: int(o, 'seq', p) };
    case 'audit-head-result': {
      const hash = o.hash;
      if (hash !== null && (typeof hash !== 'string' || !HASH_PATTERN.test(hash))) throw new SyncProtocolError('expected a hash or null', `${p}.hash`);
      return { type: 'audit-head-result', v: version(o, p), seq: int(o, 'seq', p), hash };
    }
    case 'error': {
      const code = o.code;
      if (!ERROR_CODES.includes(code as SyncErrorCode)) throw new SyncProtocolError('unknown error code', `${p}.code`);
      return { type: 'error', v: version(o, p), code: code as SyncErrorCode, message: str(o, 'message', p) };
    }
    default:
      throw new SyncProtocolError(`unknown response type ${JSON.stringify(t)}`, 'response.type');
  }
}
