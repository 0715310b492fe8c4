/**
 * HTTPS to a peer whose certificate fingerprint was pinned at enrolment: no certificate
 * authority is consulted; the TLS handshake must present exactly the pinned certificate
 * (SHA-256 of its DER bytes), else the connection is closed before a single byte of the
 * request (and its node token) is written, and the caller gets a {@link CertificateChangedError}.
 */
import https from 'node:https';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { certificateFingerprint, showFingerprint } from './tls-certificate.js';

/** The peer presented another certificate than the one pinned at enrolment. */
export class CertificateChangedError extends Error {
  constructor(
    readonly host: string,
    readonly expected: string,
    readonly presented: string | undefined,
  ) {
    super(
      `certificate changed: ${host} presented ${presented ? showFingerprint(presented) : 'no certificate'}, but ${showFingerprint(expected)} was pinned at enrolment; ` +
        'nothing was sent. If the peer really got a new certificate, remove the peer and enrol again with a new code (chartroom peer remove / peer join).',
    );
    this.name = 'CertificateChangedError';
  }
}

const HEX64 = /^[0-9a-f]{64}$/;

/** A keep-alive agent that accepts only connections presenting the pinned certificate. */
export class PinnedAgent extends https.Agent {
  constructor(readonly pin: string) {
    // No TLS session resumption: every new connection shows its certificate again.
    super({ keepAlive: true, maxCachedSessions: 0 });
    if (!HEX64.test(pin)) throw new Error('a pinned fingerprint is 64 lowercase hex digits (SHA-256)');
  }

  override createConnection(options: https.RequestOptions, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    const host = options.host ?? options.hostname ?? 'peer';
    // The chain is not judged by a CA (the peer's certificate is self-signed); the pin is the check.
    const socket = tls.connect({ ...(options as tls.ConnectionOptions), session: undefined, rejectUnauthorized: false, checkServerIdentity: () => undefined });
    let done = false;
    const finish = (err: Error | null): void => {
      if (done) return;
      done = true;
      socket.off('error', finish);
      if (err) {
        socket.destroy();
        callback?.(err, socket);
      } else callback?.(null, socket);
    };
    socket.once('secureConnect', () => {
      const raw = socket.getPeerCertificate(false)?.raw as Buffer | undefined;
      const presented = raw && raw.length ? certificateFingerprint(raw) : undefined;
      finish(presented === this.pin ? null : new CertificateChangedError(String(host), this.pin, presented));
    });
    socket.once('error', finish);
    return undefined;
  }
}

const agents = new Map<string, PinnedAgent>();

/** One shared agent per pin (connections are reused across requests). */
export function pinnedAgent(pin: string): PinnedAgent {
  let a = agents.get(pin);
  if (!a) {
    a = new PinnedAgent(pin);
    agents.set(pin, a);
  }
  return a;
}

/** POSTs JSON over pinned HTTPS; resolves with the status and body text. Rejects with CertificateChangedError or a connection error. */
export function pinnedPost(url: string, body: string, headers: Record<string, string>, pin: string, timeoutMs: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      { method: 'POST', agent: pinnedAgent(pin), headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers }, signal: AbortSignal.timeout(timeoutMs) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
