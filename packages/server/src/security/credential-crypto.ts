/**
 * Credential secrets at rest: password hashes and TOTP seeds are sealed with AES-256-GCM,
 * token, session, device and recovery-code secrets are stored as keyed hashes (HMAC-SHA-256),
 * both with keys derived from the data directory's key file — never stored in the database.
 * On PostgreSQL (a hub, whose database is not a file we encrypt) this is what keeps a dump of
 * the `auth_*` tables useless; on SQLite it adds to the encrypted file.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

export interface CredentialCrypto {
  /** Keyed hash of a high-entropy secret, for lookups (deterministic). */
  digest(secret: string): string;
  /** Encrypts a secret for its column. */
  seal(plain: string): string;
  /** Decrypts what {@link seal} wrote; throws on tampering or a wrong key. */
  open(sealed: string): string;
}

const SEALED_PREFIX = 'v1.';

/** Credential crypto with subkeys derived (HKDF-SHA-256) from a 256-bit master key given as hex. */
export function credentialCrypto(masterKeyHex: string): CredentialCrypto {
  if (!/^[0-9a-f]{64}$/i.test(masterKeyHex)) throw new Error('The credential master key must be 64 hexadecimal digits (256 bits).');
  const master = Buffer.from(masterKeyHex, 'hex');
  const derive = (info: string): Buffer => Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `chartroom credentials: ${info}`, 32));
  const macKey = derive('lookup hashes');
  const encKey = derive('sealed secrets');
  return {
    digest: (secret) => createHmac('sha256', macKey).update(secret, 'utf8').digest('base64url'),
    seal: (plain) => {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', encKey, iv);
      const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return SEALED_PREFIX + Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64url');
    },
    open: (sealed) => {
      if (!sealed.startsWith(SEALED_PREFIX)) throw new Error('A credential column does not hold a sealed value');
      const raw = Buffer.from(sealed.slice(SEALED_PREFIX.length), 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', encKey, raw.subarray(0, 12));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    },
  };
}
