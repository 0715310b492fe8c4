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
import { UsageError } from '../cli/usage-error.js';
import { ensureNodeCertificate } from './tls-certificate.js';

/** True for a host name or address that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** How `serve` listens: HTTPS with the node certificate, or plain HTTP (loopback, or explicitly allowed). */
export interface ServeTls {
  https?: { key: string; cert: string };
  /** The certificate's SHA-256 (what enrolment codes carry), when serving HTTPS. */
  fingerprint?: string;
}

/**
 * Chooses HTTPS or HTTP for `serve`: `--tls` (or `"tls": true` in config.json) serves HTTPS
 * with the node's certificate (created on first use); plain HTTP is refused on an address
 * other machines can reach unless `--allow-http` says so (a trusted network, or TLS ended
 * by a proxy in front).
 */
export function chooseServeTls(dd: DataDir, host: string, opts: { tls?: boolean; allowHttp?: boolean }): ServeTls {
  const tls = opts.tls ?? (dd.config as { tls?: boolean }).tls === true;
  if (tls) {
    const c = ensureNodeCertificate(dd.dir, `Chartroom ${dd.config.practiceName} node ${dd.config.nodeId}`);
    return { https: { key: c.key, cert: c.cert }, fingerprint: c.fingerprint };
  }
  if (!isLoopbackHost(host) && !opts.allowHttp) {
    throw new UsageError(`serving plain HTTP on ${host} would expose the practice to the network unencrypted; add --tls (HTTPS with this node's certificate, pinned by peers at enrolment) or --allow-http on a trusted network`);
  }
  return {};
}

/** Opens and starts replication for a serving node; `close()` also closes hosted practices. */
export async function startSync(store: Store, dd: DataDir, storeUrl?: string): Promise<SyncService> {
  const sync = await SyncService.open({ store, nodeId: dd.config.nodeId, practice: dd.config.practiceName });
  const hosted = new HostedPractices({ dataDir: dd.dir, keyHex: readKey(dd), storeUrl, hubNodeId: sync.identity.nodeId });
  sync.hostedPractice = (slug) => hosted.get(slug);
  sync.onClose(() => hosted.close());
  sync.start();
  return sync;
}
