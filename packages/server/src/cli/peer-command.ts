/**
 * `chartroom peer invite|join|list|remove`: enrol replication peers. `invite` prints a one-time
 * code (alone on the last line, valid 24 hours) carrying the SHA-256 fingerprint of this
 * node's TLS certificate (created on first use), which the joining node pins for HTTPS;
 * `join URL CODE` on the other node
 * exchanges node ids and Ed25519 public keys with the inviter and records it as a peer,
 * which a running `serve` starts syncing with within seconds.
 */
import { parseArgs } from 'node:util';
import { hostname } from 'node:os';
import { openDataDir, readKey } from '../data-dir.js';
import { HostedPractices } from '../sync/hosted-practices.js';
import { openDataStore } from './open-data-store.js';
import { UsageError } from './usage-error.js';
import type { ModuleCommand } from './main.js';
import { SyncService } from '../sync/sync-service.js';
import { OutcomeError } from '@chartroom/core';
import { plainHttpAllowed } from '../sync/peer-registry.js';
import { joinPeer } from '../sync/join-peer.js';
import { ensureNodeCertificate, showFingerprint } from '../sync/tls-certificate.js';
import type { DataDir } from '../data-dir.js';

/** This node's certificate fingerprint (the certificate `serve --tls` presents), created on first use. */
function nodeFingerprint(dd: DataDir): string {
  return ensureNodeCertificate(dd.dir, `Chartroom ${dd.config.practiceName} node ${dd.config.nodeId}`).fingerprint;
}

const USAGE = `peer invite --data DIR [--store URL] [--hours 24] [--practice NAME]
                                                   print a one-time enrolment code for another node (--practice: for a
                                                   practice this hub hosts, with its own separate store)
  peer join   --data DIR [--store URL] [--allow-http] [--name NAME] URL CODE
                                                   enrol with the node at URL (plain http only to loopback unless --allow-http)
  peer list   --data DIR [--store URL]             list enrolled peers
  peer remove --data DIR [--store URL] NODE_ID     remove a peer: a running serve refuses it from its next request
                                                   and stops replicating with it`;

async function withSync<T>(data: string, storeUrl: string | undefined, fn: (sync: SyncService) => Promise<T>): Promise<T> {
  const dd = openDataDir(data);
  const store = await openDataStore(data, storeUrl);
  try {
    const sync = await SyncService.open({ store, nodeId: dd.config.nodeId, practice: dd.config.practiceName });
    return await fn(sync);
  } finally {
    await store.close();
  }
}

export const peerCommand: ModuleCommand = {
  usage: USAGE,
  async run(args: string[]): Promise<number> {
    const [sub, ...rest] = args;
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: { data: { type: 'string' }, store: { type: 'string' }, hours: { type: 'string' }, practice: { type: 'string' }, 'allow-http': { type: 'boolean' }, name: { type: 'string' } },
    });
    const data = values.data;
    if (!data) throw new UsageError(`chartroom peer ${sub ?? ''} needs --data DIR`);
    switch (sub) {
      case 'invite': {
        const hours = Number(values.hours ?? 24);
        if (!(hours > 0 && hours <= 24 * 30)) throw new UsageError('--hours must be between 0 and 720');
        const hosted = values.practice;
        if (hosted !== undefined) {
          // A practice this hub hosts besides its own: its own store, peers and codes.
          return withSync(data, values.store, async (hub) => {
            const practices = new HostedPractices({ dataDir: openDataDir(data).dir, keyHex: readKey(openDataDir(data)), storeUrl: values.store, hubNodeId: hub.identity.nodeId, log: () => undefined });
            try {
              const slug = practices.add(hosted);
              const sync = (await practices.get(slug)) as SyncService;
              const fingerprint = nodeFingerprint(openDataDir(data));
              const code = await sync.registry.invite(sync.identity, hours * 3600_000, `/sync/practice/${slug}`, fingerprint);
              console.log(`Enrolment code for ${hosted}, hosted on this hub (node ${sync.identity.nodeId}), usable once within ${hours} h.`);
              console.log(`It pins this hub's certificate for HTTPS (serve --tls): SHA-256 ${showFingerprint(fingerprint)}`);
              console.log('On the practice\'s node run: chartroom peer join --data DIR <URL of this hub> <code>');
              console.log(code);
              return 0;
            } finally {
              await practices.close();
            }
          });
        }
        return withSync(data, values.store, async (sync) => {
          const fingerprint = nodeFingerprint(openDataDir(data));
          const code = await sync.registry.invite(sync.identity, hours * 3600_000, '/sync', fingerprint);
          console.log(`Enrolment code for ${sync.identity.practice} (node ${sync.identity.nodeId}), usable once within ${hours} h.`);
          console.log(`It pins this node's certificate for HTTPS (serve --tls): SHA-256 ${showFingerprint(fingerprint)}`);
          console.log('On the other node run: chartroom peer join --data DIR <URL of this node> <code>');
          console.log(code);
          return 0;
        });
      }
      case 'join': {
        const [url, code] = positionals;
        if (!url || !code || positionals.length !== 2) throw new UsageError('chartroom peer join needs URL and CODE');
        let parsed: URL;
        try {
          parsed = new URL(url);
        } catch {
          throw new UsageError(`"${url}" is not a URL`);
        }
        if (!plainHttpAllowed(parsed.toString(), values['allow-http'] ?? false)) {
          throw new UsageError(`${url}: plain http:// is allowed only to this machine; use https:// or pass --allow-http on a trusted network`);
        }
        return withSync(data, values.store, async (sync) => {
          try {
            const peer = await joinPeer(sync, parsed.toString(), code, { allowHttp: values['allow-http'] ?? false, name: values.name ?? `${sync.identity.practice} (${hostname()})` });
            console.log(`Enrolled with ${peer.practice} (node ${peer.nodeId}) at ${peer.url ?? ''}. A running chartroom serve starts syncing with it within seconds.`);
            if (peer.url?.startsWith('https:') && peer.fingerprint) console.log(`Pinned its certificate: SHA-256 ${showFingerprint(peer.fingerprint)} (any other certificate is refused).`);
            return 0;
          } catch (err) {
            if (!(err instanceof OutcomeError)) throw err;
            console.error(`chartroom: ${err.message}`);
            return 1;
          }
        });
      }
      case 'list':
        return withSync(data, values.store, async (sync) => {
          const peers = await sync.registry.list();
          if (peers.length === 0) console.log('No peers: this node does not replicate (chartroom peer invite / join).');
          for (const p of peers) console.log(`${p.nodeId}\t${p.direction}\t${p.practice}\t${p.url ?? '(calls this node)'}${p.disabled ? '\tdisabled' : ''}`);
          return 0;
        });
      case 'remove': {
        const [nodeId] = positionals;
        if (!nodeId || positionals.length !== 1) throw new UsageError('chartroom peer remove needs the NODE_ID of one peer (see chartroom peer list)');
        return withSync(data, values.store, async (sync) => {
          if (!(await sync.registry.remove(nodeId))) {
            console.error(`chartroom: no peer ${nodeId} (see chartroom peer list); nothing was changed`);
            return 1;
          }
          console.log(`Removed peer ${nodeId}: it is refused from its next request; enrol it again with a new code to resume.`);
          return 0;
        });
      }
      default:
        throw new UsageError(`Usage: chartroom ${USAGE}`);
    }
  },
};
