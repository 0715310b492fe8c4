/**
 * The transport contract of replication: send one request, get its validated response.
 * Two implementations (in-process and HTTP) pass one conformance suite
 * (test/sync-transport.test.ts). Failures are {@link SyncTransportError}s whose kind tells
 * the replicator what to do: offline and error back off and retry, denied stops.
 */
import { RESPONSE_TYPE, SyncProtocolError } from '@chartroom/core';
import type { ReplicatorFailure, SyncRequest, SyncResponse, SyncResponseFor } from '@chartroom/core';

/** Sends protocol requests to one peer. */
export interface SyncTransport {
  request<T extends SyncRequest>(req: T): Promise<SyncResponseFor<T['type']>>;
}

/** A failed exchange, classified for the replicator. */
export class SyncTransportError extends Error {
  constructor(
    readonly kind: Exclude<ReplicatorFailure, 'quarantined'>,
    message: string,
  ) {
    super(message);
    this.name = 'SyncTransportError';
  }
}

/**
 * Checks that `res` answers `req` (or turns a protocol `error` response into a
 * {@link SyncTransportError}); shared by every transport.
 */
export function expectResponse<T extends SyncRequest>(req: T, res: SyncResponse): SyncResponseFor<T['type']> {
  if (res.type === 'error') {
    const kind = res.code === 'denied' || res.code === 'version' ? 'denied' : res.code === 'unavailable' ? 'offline' : 'error';
    throw new SyncTransportError(kind, `peer refused ${req.type}: ${res.message}`);
  }
  if (res.type !== RESPONSE_TYPE[req.type]) throw new SyncTransportError('error', `peer answered ${req.type} with ${res.type}`);
  return res as SyncResponseFor<T['type']>;
}

/** A SyncProtocolError while reading a response is the peer's fault: a retryable error. */
export function protocolFailure(err: unknown): never {
  if (err instanceof SyncProtocolError) throw new SyncTransportError('error', `malformed response: ${err.message}`);
  throw err;
}
