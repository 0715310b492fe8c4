/**
 * The hash chain of a node's audit events and its signed heads: each event's hash covers
 * the previous hash and the event's canonical JSON, so editing, deleting, inserting or
 * reordering any event breaks every later link; the node signs the head with its Ed25519
 * key so that rewriting the whole tail is caught as well.
 */
import { createHash, createPublicKey, verify as verifySignature } from 'node:crypto';

/** The `prev_hash` of a node's first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** SHA-256 (hex) of the previous hash and the canonical event JSON. */
export function chainHash(prevHash: string, content: string): string {
  return createHash('sha256').update(prevHash).update('\n').update(content).digest('hex');
}

/** The bytes a chain head signature covers. */
export function headMessage(nodeId: string, seq: number, hash: string): Buffer {
  return Buffer.from(`chartroom-audit-head|${nodeId}|${seq}|${hash}`, 'utf8');
}

/** True when `signature` (base64) is `publicKeyPem`'s Ed25519 signature of the head. */
export function verifyHead(nodeId: string, seq: number, hash: string, publicKeyPem: string, signature: string): boolean {
  try {
    return verifySignature(null, headMessage(nodeId, seq, hash), createPublicKey(publicKeyPem), Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

export interface ChainRow {
  node_id: string;
  seq: number;
  content: string;
  prev_hash: string;
  hash: string;
}

export interface HeadRow {
  node_id: string;
  seq: number;
  hash: string;
  public_key: string;
  signature: string;
}

export interface ChainProblem {
  nodeId: string;
  seq: number;
  problem: 'edited' | 'missing' | 'inserted' | 'broken-link' | 'bad-signature' | 'head-mismatch' | 'unknown-key' | 'regressed';
  detail: string;
}

export interface ChainReport {
  ok: boolean;
  events: number;
  nodes: Record<string, { events: number; lastSeq: number; signedThrough: number }>;
  problems: ChainProblem[];
}

/**
 * Checks one node's events (in seq order) and signed heads. `trustedKeys` are the public keys
 * accepted for the node's signatures (normally its own key; a head signed by another key is
 * reported).
 */
export function verifyChain(nodeId: string, rows: readonly ChainRow[], heads: readonly HeadRow[], trustedKeys: readonly string[]): { problems: ChainProblem[]; lastSeq: number; signedThrough: number } {
  const problems: ChainProblem[] = [];
  let prev = GENESIS_HASH;
  let expectedSeq = 1;
  const hashAt = new Map<number, string>();
  for (const r of rows) {
    const seq = Number(r.seq);
    if (seq > expectedSeq) problems.push({ nodeId, seq, problem: 'missing', detail: `events ${expectedSeq}–${seq - 1} are missing` });
    else if (seq < expectedSeq) problems.push({ nodeId, seq, problem: 'inserted', detail: `event ${seq} appears again after ${expectedSeq - 1}` });
    if (r.prev_hash !== prev) problems.push({ nodeId, seq, problem: 'broken-link', detail: `event ${seq} does not follow the event before it (prev_hash differs)` });
    const h = chainHash(r.prev_hash, r.content);
    if (h !== r.hash) problems.push({ nodeId, seq, problem: 'edited', detail: `event ${seq}'s content does not match its hash` });
    let recordedSeq: unknown;
    try {
      recordedSeq = (JSON.parse(r.content) as { id?: string }).id;
    } catch {
      recordedSeq = undefined;
    }
    if (recordedSeq !== `${nodeId}-${seq}`) problems.push({ nodeId, seq, problem: 'inserted', detail: `event ${seq} carries id ${String(recordedSeq)} (moved or inserted)` });
    hashAt.set(seq, r.hash);
    prev = r.hash;
    expectedSeq = Math.max(expectedSeq, seq + 1);
  }
  let signedThrough = 0;
  for (const head of heads) {
    const seq = Number(head.seq);
    if (!trustedKeys.includes(head.public_key)) {
      problems.push({ nodeId, seq, problem: 'unknown-key', detail: `the head at ${seq} is signed by a key this node does not hold` });
      continue;
    }
    if (!verifyHead(nodeId, seq, head.hash, head.public_key, head.signature)) {
      problems.push({ nodeId, seq, problem: 'bad-signature', detail: `the signature of the head at ${seq} is not valid` });
      continue;
    }
    const at = hashAt.get(seq);
    if (at === undefined) problems.push({ nodeId, seq, problem: 'missing', detail: `the signed head at ${seq} names an event that is not there` });
    else if (at !== head.hash) problems.push({ nodeId, seq, problem: 'head-mismatch', detail: `the chain at ${seq} differs from the head signed then (events before it were rewritten)` });
    else signedThrough = Math.max(signedThrough, seq);
  }
  return { problems, lastSeq: expectedSeq - 1, signedThrough };
}

/** The answer of {@link headExtends}: `ok` with no problems, or what is wrong. */
export interface HeadExtension {
  ok: boolean;
  problems: ChainProblem[];
}

/**
 * The hub's check on a node's newly received signed head (pure, no I/O): `next` must be
 * validly signed by a trusted key of the node, and `events` — the node's events after
 * `prev.seq` up to and including `next.seq`, in order — must link from `prev.hash`
 * (genesis when `prev` is undefined) to exactly `next.hash`. So a node (or anyone holding
 * its database) cannot rewrite history the hub has already seen a signature for.
 * `trustedKeys` defaults to `prev`'s key (key continuity); pass the key learnt at
 * enrolment for a node's first head. A head equal to `prev` (re-sent) extends it; a head
 * with a lower seq, or the same seq and another hash, does not.
 */
export function headExtends(prev: HeadRow | undefined, next: HeadRow, events: readonly ChainRow[], trustedKeys: readonly string[] = prev ? [prev.public_key] : []): HeadExtension {
  const nodeId = next.node_id;
  const nextSeq = Number(next.seq);
  const prevSeq = prev ? Number(prev.seq) : 0;
  const fail = (seq: number, problem: ChainProblem['problem'], detail: string): HeadExtension => ({ ok: false, problems: [{ nodeId, seq, problem, detail }] });
  if (prev && prev.node_id !== nodeId) return fail(nextSeq, 'unknown-key', `the head is node ${nodeId}'s but the previous head is node ${prev.node_id}'s`);
  if (!trustedKeys.includes(next.public_key)) return fail(nextSeq, 'unknown-key', `the head at ${nextSeq} is signed by a key not trusted for node ${nodeId}`);
  if (!verifyHead(nodeId, nextSeq, next.hash, next.public_key, next.signature)) return fail(nextSeq, 'bad-signature', `the signature of the head at ${nextSeq} is not valid`);
  if (nextSeq < prevSeq) return fail(nextSeq, 'regressed', `the head at ${nextSeq} is behind the previous signed head at ${prevSeq}`);
  if (nextSeq === prevSeq) {
    if (prev && prev.hash !== next.hash) return fail(nextSeq, 'head-mismatch', `the head at ${nextSeq} differs from the one signed before at the same seq (history rewritten)`);
    if (events.length > 0) return fail(nextSeq, 'inserted', `events were sent with a head that did not move (${prevSeq})`);
    return { ok: true, problems: [] };
  }
  let expected = prevSeq + 1;
  let link = prev ? prev.hash : GENESIS_HASH;
  for (const e of events) {
    const seq = Number(e.seq);
    if (e.node_id !== nodeId) return fail(seq, 'inserted', `event ${seq} belongs to node ${e.node_id}, not ${nodeId}`);
    if (seq !== expected) return fail(seq, seq > expected ? 'missing' : 'inserted', `expected event ${expected}, got ${seq}`);
    if (e.prev_hash !== link) return fail(seq, 'broken-link', `event ${seq} does not follow ${prev && seq === prevSeq + 1 ? 'the previous signed head' : 'the event before it'}`);
    if (chainHash(e.prev_hash, e.content) !== e.hash) return fail(seq, 'edited', `event ${seq}'s content does not match its hash`);
    link = e.hash;
    expected++;
  }
  if (expected - 1 !== nextSeq) return fail(nextSeq, 'missing', `events ${expected}–${nextSeq} up to the new head were not supplied`);
  if (link !== next.hash) return fail(nextSeq, 'head-mismatch', `the events end at a hash other than the signed head at ${nextSeq}`);
  return { ok: true, problems: [] };
}
