/**
 * A node's identity for replication: its node id and its own Ed25519 key pair, kept in the
 * (encrypted) store on first use. Peers know each other by node id and public key; a node
 * proves it holds its private key by signing the challenge of the peer it calls
 * (node-auth.ts).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { syncDb } from '../store/sync-tables.js';
import type { StoreDialect } from '../store/dialect.js';
import type { TransactionRunner } from '../store/transaction-runner.js';

/** This node, as peers see it. */
export interface NodeIdentity {
  nodeId: string;
  practice: string;
  /** Ed25519 public key, SPKI DER in base64. */
  publicKey: string;
  privateKey: KeyObject;
}

/** Signs `message` with this node's private key (base64 signature). */
export function signWith(identity: Pick<NodeIdentity, 'privateKey'>, message: string): string {
  return sign(null, Buffer.from(message), identity.privateKey).toString('base64');
}

/** Checks a base64 signature of `message` by the holder of `publicKey` (SPKI DER base64). */
export function verifySignature(publicKey: string, message: string, signature: string): boolean {
  try {
    const key = createPublicKey({ key: Buffer.from(publicKey, 'base64'), format: 'der', type: 'spki' });
    return verify(null, Buffer.from(message), key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

/**
 * Loads this node's identity from the store, creating it (with `nodeId` and `practice`,
 * e.g. from config.json) the first time.
 */
export async function loadNodeIdentity(store: { dialect: StoreDialect; writes: TransactionRunner }, init: { nodeId: string; practice: string }): Promise<NodeIdentity> {
  const db = syncDb(store.dialect.db);
  const rows = await db.selectFrom('sync_identity').select(['key', 'value']).execute();
  const get = (k: string): string | undefined => rows.find((r) => r.key === k)?.value;
  let nodeId = get('node_id');
  let practice = get('practice');
  let pkcs8 = get('private_key');
  if (!nodeId || !practice || !pkcs8) {
    const pair = generateKeyPairSync('ed25519');
    nodeId = init.nodeId;
    practice = init.practice;
    pkcs8 = pair.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64');
    const values = [
      { key: 'node_id', value: nodeId },
      { key: 'practice', value: practice },
      { key: 'private_key', value: pkcs8 },
    ];
    await store.writes.run(async (tx) => {
      for (const v of values) await syncDb(tx).insertInto('sync_identity').values(v).onConflict((oc) => oc.column('key').doUpdateSet({ value: v.value })).execute();
    });
  }
  const privateKey = createPrivateKey({ key: Buffer.from(pkcs8, 'base64'), format: 'der', type: 'pkcs8' });
  const publicKey = createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).toString('base64');
  return { nodeId, practice, publicKey, privateKey };
}
