/**
 * Replication for `chartroom serve`: opens the node's {@link SyncService} over its store
 * and starts it (continuous replication with every outbound peer, new peers picked up
 * while running).
 */
import type { Store } from '../store/open-store.js';
import { SyncService } from './sync-service.js';

/** Opens and starts replication for a serving node. */
export async function startSync(store: Store, config: { nodeId: string; practiceName: string }): Promise<SyncService> {
  const sync = await SyncService.open({ store, nodeId: config.nodeId, practice: config.practiceName });
  sync.start();
  return sync;
}
