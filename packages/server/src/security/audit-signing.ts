/**
 * The Ed25519 key pair a node signs its audit chain heads with, kept in the data directory
 * (`audit-signing.key`, PKCS#8 PEM, mode 0600) beside the database key, never in the database.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { headMessage } from './audit-chain.js';

/** Signs chain heads. */
export interface AuditSigner {
  /** SPKI PEM of the public key. */
  readonly publicKeyPem: string;
  /** Base64 Ed25519 signature of the head `nodeId`/`seq`/`hash`. */
  signHead(nodeId: string, seq: number, hash: string): string;
}

/** The signing key file's name inside the data directory. */
export const AUDIT_KEY_FILE = 'audit-signing.key';

function signerOf(privateKey: KeyObject): AuditSigner {
  const publicKeyPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
  return { publicKeyPem, signHead: (nodeId, seq, hash) => sign(null, headMessage(nodeId, seq, hash), privateKey).toString('base64') };
}

/** A signer over a fresh key held in memory (tests). */
export function ephemeralSigner(): AuditSigner {
  return signerOf(generateKeyPairSync('ed25519').privateKey);
}

/** Loads the data directory's signing key, creating it (mode 0600) on first use. */
export function dataDirSigner(dir: string): AuditSigner {
  const file = join(dir, AUDIT_KEY_FILE);
  if (!existsSync(file)) {
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
  }
  return signerOf(createPrivateKey(readFileSync(file)));
}
