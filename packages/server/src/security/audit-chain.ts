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
  problem: 'edited' | 'missing' | 'inserted' | 'broken-link' | 'bad-signature' | 'head-mismatch' | 'unknown-key';
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
