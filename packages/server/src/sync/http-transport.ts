/**
 * The HTTP transport: protocol requests as JSON over `POST <sync base>/v1`, authenticated
 * with a node token obtained by signing the peer's challenge (node-auth.ts). Connection
 * failures and timeouts are `offline`; 401/403 (twice, after a fresh login) are `denied`;
 * anything malformed is a retryable `error`. Plain HTTP only to loopback unless allowed;
 * HTTPS only with the peer's certificate fingerprint pinned at enrolment (pinned-https.ts):
 * another certificate is `denied` ("certificate changed") and nothing is sent.
 */
import { parseSyncResponse } from '@chartroom/core';
import type { SyncRequest, SyncResponseFor } from '@chartroom/core';
import { SyncTransportError, expectResponse, protocolFailure } from './sync-transport.js';
import type { SyncTransport } from './sync-transport.js';
import type { NodeIdentity } from './node-identity.js';
import { signWith } from './node-identity.js';
import { authMessage } from './node-auth.js';
import { plainHttpAllowed } from './peer-registry.js';
import { CertificateChangedError, pinnedPost } from './pinned-https.js';

export interface HttpTransportOptions {
  /** The peer's sync base URL (e.g. `https://hub.example:8443/sync`, or `…/sync/practice/<slug>` on a hub). */
  url: string;
  /** The peer's node id (signed into the login, so a token for one node is useless at another). */
  peerNodeId: string;
  identity: NodeIdentity;
  allowHttp?: boolean;
  /** SHA-256 of the peer's certificate (pinned at enrolment); required for an https:// URL. */
  fingerprint?: string | null;
  /** Request timeout beyond any long-poll wait, in ms (default 30 s). */
  timeoutMs?: number;
}

/** Sends one JSON POST: pinned HTTPS when `pin` is given, else plain fetch (loopback or allowed HTTP). */
export async function postJson(url: string, body: unknown, headers: Record<string, string>, timeoutMs: number, pin?: string | null): Promise<{ status: number; json: unknown }> {
  let status: number;
  let text: string;
  if (pin) {
    try {
      ({ status, text } = await pinnedPost(url, JSON.stringify(body), headers, pin, timeoutMs));
    } catch (err) {
      if (err instanceof CertificateChangedError) throw new SyncTransportError('denied', err.message);
      throw new SyncTransportError('offline', `cannot reach ${url}: ${(err as Error).message}`);
    }
  } else {
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      throw new SyncTransportError('offline', `cannot reach ${url}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`);
    }
    status = res.status;
    try {
      text = await res.text();
    } catch (err) {
      throw new SyncTransportError('offline', `connection to ${url} broke while reading the answer: ${(err as Error).message}`);
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new SyncTransportError(status >= 500 ? 'offline' : 'error', `${url} answered ${status} with a body that is not JSON (truncated or not a Chartroom node)`);
  }
  return { status, json };
}

function diagnostics(json: unknown): string {
  const issue = (json as { issue?: { diagnostics?: string }[] } | undefined)?.issue?.[0];
  return issue?.diagnostics ?? JSON.stringify(json).slice(0, 200);
}

/** A transport to the peer at `opts.url`. */
export function httpTransport(opts: HttpTransportOptions): SyncTransport {
  const base = opts.url.replace(/\/+$/, '');
  if (!plainHttpAllowed(base, opts.allowHttp ?? false)) {
    throw new SyncTransportError('denied', `${base}: plain HTTP is allowed only to this machine (loopback); use https:// or enrol with --allow-http`);
  }
  const pin = base.startsWith('https:') ? opts.fingerprint : null;
  if (base.startsWith('https:') && !pin) {
    throw new SyncTransportError('denied', `${base}: no certificate fingerprint was pinned for this peer at enrolment; remove it and enrol again with a new code`);
  }
  const post = (url: string, body: unknown, headers: Record<string, string>, ms: number): Promise<{ status: number; json: unknown }> => postJson(url, body, headers, ms, pin);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  let token: string | undefined;

  async function login(): Promise<string> {
    const c = await post(`${base}/auth/challenge`, { nodeId: opts.identity.nodeId }, {}, timeoutMs);
    const challenge = (c.json as { challenge?: unknown }).challenge;
    if (c.status !== 200 || typeof challenge !== 'string') throw new SyncTransportError(c.status >= 500 ? 'offline' : 'error', `challenge refused (${c.status}): ${diagnostics(c.json)}`);
    const signature = signWith(opts.identity, authMessage(challenge, opts.peerNodeId));
    const t = await post(`${base}/auth/token`, { nodeId: opts.identity.nodeId, challenge, signature }, {}, timeoutMs);
    const tok = (t.json as { token?: unknown }).token;
    if (t.status === 401 || t.status === 403) throw new SyncTransportError('denied', `${base} does not accept this node (${t.status}): ${diagnostics(t.json)}`);
    if (t.status !== 200 || typeof tok !== 'string') throw new SyncTransportError(t.status >= 500 ? 'offline' : 'error', `login failed (${t.status}): ${diagnostics(t.json)}`);
    return tok;
  }

  return {
    async request<T extends SyncRequest>(req: T): Promise<SyncResponseFor<T['type']>> {
      const wait = req.type === 'changes' ? req.waitMs : 0;
      for (let attempt = 0; ; attempt++) {
        token ??= await login();
        const res = await post(`${base}/v1`, req, { authorization: `Bearer ${token}` }, timeoutMs + wait);
        if (res.status === 401 && attempt === 0) {
          token = undefined; // expired or the peer restarted: log in again once
          continue;
        }
        if (res.status === 401 || res.status === 403) throw new SyncTransportError('denied', `${base} refused this node (${res.status}): ${diagnostics(res.json)}`);
        if (res.status >= 500 && (res.json as { type?: unknown }).type !== 'error') throw new SyncTransportError('offline', `${base} failed (${res.status}): ${diagnostics(res.json)}`);
        let parsed;
        try {
          parsed = parseSyncResponse(res.json);
        } catch (err) {
          protocolFailure(err);
        }
        return expectResponse(req, parsed);
      }
    },
  };
}
