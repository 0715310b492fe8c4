/**
 * The in-process transport: requests go to a {@link SyncEndpoint} in the same process,
 * through JSON and the protocol guards both ways, exactly as over HTTP. Tests inject faults
 * (a request lost before or after it was handled, a duplicated request).
 */
import { parseSyncRequest, parseSyncResponse } from '@chartroom/core';
import type { SyncRequest, SyncResponseFor } from '@chartroom/core';
import type { SyncCaller, SyncEndpoint } from './sync-endpoint.js';
import { SyncTransportError, expectResponse, protocolFailure } from './sync-transport.js';
import type { SyncTransport } from './sync-transport.js';

/** What happens to one request (tests): delivered, lost before the peer sees it, lost after, or delivered twice. */
export type DeliveryFault = 'deliver' | 'drop-request' | 'drop-response' | 'duplicate';

export interface InProcessOptions {
  /** Decides the fate of each request (default: deliver). */
  fault?: (req: SyncRequest) => DeliveryFault;
  /** False makes every request fail as offline (a partition). */
  online?: () => boolean;
}

/** A transport to `endpoint`, calling as `caller`. */
export function inProcessTransport(endpoint: SyncEndpoint, caller: SyncCaller, options: InProcessOptions = {}): SyncTransport {
  return {
    async request<T extends SyncRequest>(req: T): Promise<SyncResponseFor<T['type']>> {
      if (options.online && !options.online()) throw new SyncTransportError('offline', 'peer unreachable (partition)');
      const fault = options.fault?.(req) ?? 'deliver';
      if (fault === 'drop-request') throw new SyncTransportError('offline', `${req.type} request lost`);
      const wire = parseSyncRequest(JSON.parse(JSON.stringify(req)));
      if (fault === 'duplicate') await endpoint.handle(wire, caller);
      const res = await endpoint.handle(wire, caller);
      if (fault === 'drop-response') throw new SyncTransportError('offline', `${req.type} response lost`);
      let parsed;
      try {
        parsed = parseSyncResponse(JSON.parse(JSON.stringify(res)));
      } catch (err) {
        protocolFailure(err);
      }
      return expectResponse(req, parsed);
    },
  };
}
