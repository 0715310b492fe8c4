/**
 * ONC 170.315(d)(9) trusted connection (and HIPAA 164.312(e)(1) transmission security): a
 * node served with `--tls` speaks TLS 1.2 or newer with its own certificate (the one peers
 * pin), sends HSTS, and its session cookie is `Secure`; over plain HTTP neither HSTS nor a
 * `Secure` cookie is claimed, and plain HTTP on a non-loopback address is refused without
 * `--allow-http` (serve: tls-sync.test.ts; peers: the same file).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../src/http/app.js';
import { SESSION_COOKIE } from '../src/http/authenticate.js';
import { openAuthService } from '../src/security/open-auth-service.js';
import { ensureNodeCertificate } from '../src/sync/tls-certificate.js';
import { sqliteTestStore } from './helpers/stores.js';

interface TlsReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  protocol: string | null;
  peerFingerprint: string;
}

/** One HTTPS request that accepts the node's self-signed certificate and reports what was negotiated. */
function httpsCall(port: number, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<TlsReply> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      { host: '127.0.0.1', port, method, path, rejectUnauthorized: false, headers: { accept: 'application/json', ...(payload ? { 'content-type': 'application/json' } : {}), ...headers } },
      (res) => {
        const socket = res.socket as TLSSocket;
        const raw = socket.getPeerCertificate().raw;
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, protocol: socket.getProtocol(), peerFingerprint: createHash('sha256').update(raw).digest('hex') }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

test('(d)(9) trusted connection: TLS ≥ 1.2 with the node certificate, HSTS, Secure session cookie', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'chartroom-tls-'));
  const store = await sqliteTestStore();
  const auth = openAuthService(store, randomBytes(32).toString('hex'));
  const password = 'a long enough passphrase for tls';
  await auth.accounts.add({ username: 'rn.tls', displayName: 'Nurse TLS', role: 'nurse', password });
  const cert = ensureNodeCertificate(dir, 'Chartroom test node');
  const app = await buildApp({ repo: store.repo, auth, https: { key: cert.key, cert: cert.cert }, logger: false });
  try {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as { port: number }).port;
    const meta = await httpsCall(port, 'GET', '/fhir/R4/metadata');
    assert.equal(meta.status, 200);
    assert.ok(meta.protocol === 'TLSv1.2' || meta.protocol === 'TLSv1.3', `negotiated ${String(meta.protocol)}`);
    assert.equal(meta.peerFingerprint, cert.fingerprint, 'the node presents its own (pinned) certificate');
    assert.equal(meta.peerFingerprint, createHash('sha256').update(new X509Certificate(cert.cert).raw).digest('hex'));
    assert.match(String(meta.headers['strict-transport-security']), /max-age=\d{7,}/, 'HSTS under TLS');

    const login = await httpsCall(port, 'POST', '/api/session', { username: 'rn.tls', password }, { origin: `https://127.0.0.1:${port}`, host: `127.0.0.1:${port}` });
    assert.equal(login.status, 200);
    const cookies = ([] as string[]).concat(login.headers['set-cookie'] ?? []);
    const session = cookies.find((c) => c.startsWith(`${SESSION_COOKIE}=`));
    assert.ok(session, cookies.join('\n'));
    assert.match(session, /;\s*Secure/i);
    assert.match(session, /;\s*HttpOnly/i);
    assert.match(session, /;\s*SameSite=Strict/i);
  } finally {
    await app.close();
    await store.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
