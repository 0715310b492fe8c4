/**
 * The node's TLS certificate: a self-signed ECDSA P-256 certificate made with node:crypto
 * alone (a minimal DER encoder below, no dependency), kept in `DATA/tls/` (key 0600) and
 * created the first time it is needed (`chartroom peer invite`, `chartroom serve --tls`).
 * Peers do not trust it through a certificate authority: its SHA-256 fingerprint travels in
 * the enrolment code and is pinned by the joining node (sync/pinned-https.ts).
 */
import { X509Certificate, createHash, createPrivateKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** A certificate with its private key (PEM) and fingerprint. */
export interface NodeCertificate {
  cert: string;
  key: string;
  /** SHA-256 of the DER certificate, 64 lowercase hex digits. */
  fingerprint: string;
}

/** The pinned form of a certificate: SHA-256 of its DER bytes, lowercase hex. */
export function certificateFingerprint(pemOrDer: string | Buffer): string {
  const der = typeof pemOrDer === 'string' ? new X509Certificate(pemOrDer).raw : pemOrDer;
  return createHash('sha256').update(der).digest('hex');
}

/** A fingerprint as people compare it (AB:CD:…). */
export function showFingerprint(fp: string): string {
  return (fp.toUpperCase().match(/../g) ?? []).join(':');
}

// --- a minimal DER encoder (X.690), enough for one certificate ---

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let x = n; x > 0; x = Math.floor(x / 256)) bytes.unshift(x & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const tlv = (tag: number, body: Buffer): Buffer => Buffer.concat([Buffer.from([tag]), length(body.length), body]);
const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
/** Context-specific constructed tag [n] (EXPLICIT). */
const explicit = (n: number, body: Buffer): Buffer => tlv(0xa0 + n, body);

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out = [40 * (parts[0] ?? 0) + (parts[1] ?? 0)];
  for (const v of parts.slice(2)) {
    const bytes = [v & 0x7f];
    for (let x = Math.floor(v / 128); x > 0; x = Math.floor(x / 128)) bytes.unshift(0x80 | (x & 0x7f));
    out.push(...bytes);
  }
  return tlv(0x06, Buffer.from(out));
}

function unsignedInteger(bytes: Buffer): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const b = bytes.subarray(i);
  return tlv(0x02, (b[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
}

function time(d: Date): Buffer {
  const s = d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z'; // YYYYMMDDHHMMSSZ
  const year = d.getUTCFullYear();
  return year >= 1950 && year < 2050 ? tlv(0x17, Buffer.from(s.slice(2), 'ascii')) : tlv(0x18, Buffer.from(s, 'ascii'));
}

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  // IPv6: expand "::" and write 8 groups.
  const [head = '', tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = ip.includes('::') ? (tail ? tail.split(':') : []) : [];
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return Buffer.concat(groups.map((g) => Buffer.from([parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff])));
}

const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));

/**
 * A new self-signed certificate for `commonName` (valid from a day ago for 10 years; the
 * pin, not the dates, is what peers check), with the host names and addresses in
 * `altNames` as subjectAltName so a browser can be told to trust it.
 */
export function createSelfSignedCertificate(commonName: string, altNames: readonly string[] = [], now = new Date()): NodeCertificate {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const name = seq(set(seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(commonName.slice(0, 64), 'utf8')))));
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  const san = seq(...altNames.map((n) => (isIP(n) ? tlv(0x87, ipBytes(n)) : tlv(0x82, Buffer.from(n, 'ascii')))));
  const extensions = seq(
    seq(oid('2.5.29.19'), tlv(0x01, Buffer.from([0xff])), tlv(0x04, seq())), // basicConstraints: critical, not a CA
    ...(altNames.length ? [seq(oid('2.5.29.17'), tlv(0x04, san))] : []),
  );
  const tbs = seq(
    explicit(0, unsignedInteger(Buffer.from([2]))), // v3
    unsignedInteger(serial),
    ECDSA_SHA256,
    name,
    seq(time(new Date(now.getTime() - 86_400_000)), time(new Date(now.getTime() + 10 * 365 * 86_400_000))),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, extensions),
  );
  const signature = sign('sha256', tbs, privateKey); // DER-encoded ECDSA signature
  const der = seq(tbs, ECDSA_SHA256, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const cert = `-----BEGIN CERTIFICATE-----\n${(der.toString('base64').match(/.{1,64}/g) ?? []).join('\n')}\n-----END CERTIFICATE-----\n`;
  // Parse it back: a malformed encoding fails here, not in a peer's handshake.
  const parsed = new X509Certificate(cert);
  if (!parsed.verify(publicKey)) throw new Error('the new certificate does not verify with its own key');
  return { cert, key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, fingerprint: certificateFingerprint(der) };
}

/** Where a data directory keeps its certificate and key. */
export function certificatePaths(dataDir: string): { dir: string; cert: string; key: string } {
  const dir = join(dataDir, 'tls');
  return { dir, cert: join(dir, 'node-cert.pem'), key: join(dir, 'node-key.pem') };
}

/** The data directory's certificate, created on first use (key file mode 0600). */
export function ensureNodeCertificate(dataDir: string, commonName: string): NodeCertificate {
  const p = certificatePaths(dataDir);
  if (existsSync(p.cert) && existsSync(p.key)) {
    const cert = readFileSync(p.cert, 'utf8');
    const key = readFileSync(p.key, 'utf8');
    createPrivateKey(key); // refuses a damaged key file loudly
    return { cert, key, fingerprint: certificateFingerprint(cert) };
  }
  const made = createSelfSignedCertificate(commonName, ['localhost', hostname(), '127.0.0.1', '::1']);
  mkdirSync(p.dir, { recursive: true, mode: 0o700 });
  writeFileSync(p.key, made.key, { mode: 0o600 });
  chmodSync(p.key, 0o600);
  writeFileSync(p.cert, made.cert, { mode: 0o644 });
  return made;
}
