/**
 * Replication for `chartroom serve`: opens the node's {@link SyncService} over its store
 * and starts it (continuous replication with every outbound peer, new peers picked up
 * while running), with the practices it hosts as a hub answered under
 * `/sync/practice/<slug>`.
 */
import type { Store } from '../store/open-store.js';
import { SyncService } from './sync-service.js';
import { HostedPractices } from './hosted-practices.js';
import { readKey } from '../data-dir.js';
import type { DataDir } from '../data-dir.js';

/** Opens and starts replication for a serving node; `close()` also closes hosted practices. */
export async function startSync(store: Store, dd: DataDir, storeUrl?: string): Promise<SyncService> {
  const sync = await SyncService.open({ store, nodeId: dd.config.nodeId, practice: dd.config.practiceName });
  const hosted = new HostedPractices({ dataDir: dd.dir, keyHex: readKey(dd), storeUrl, hubNodeId: sync.identity.nodeId });
  sync.hostedPractice = (slug) => hosted.get(slug);
  sync.onClose(() => hosted.close());
  sync.start();
  return sync;
}
