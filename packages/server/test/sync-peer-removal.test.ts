/**
 * A removed peer is refused at once: its node token (valid an hour) stops working at its
 * next request, it cannot log in again, and nothing it sends is stored. Also through
 * `chartroom peer remove` in another process than the one holding the token.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SyncService } from '../src/sync/sync-service.js';
import { joinPeer } from '../src/sync/join-peer.js';
import { httpTransport } from '../src/sync/http-transport.js';
import { SyncTransportError } from '../src/sync/sync-transport.js';
import type { SyncTransport } from '../src/sync/sync-transport.js';
import { Replicator } from '../src/sync/replicator.js';
import { inProcessTransport } from '../src/sync/in-process-transport.js';
import { STORE_KINDS, sqliteTestStore } from './helpers/stores.js';
import type { TestStore } from './helpers/stores.js';
import { fhirTestApp } from './helpers/fhir-app.js';
import type { FhirTestApp } from './helpers/fhir-app.js';
import { patient } from './sync-kit.js';

for (const kind of STORE_KINDS) {
  describe(`removing a peer (hub on ${kind.name})`, { skip: kind.skip }, () => {
    let hub: SyncService;
    let t: FhirTestApp;
    let url: string;
    let nodeStore: TestStore;
    let node: SyncService;

    before(async () => {
      t = await fhirTestApp(
        async () => {
          const store = await kind.open();
          hub = await SyncService.open({ store, nodeId: 'hub', practice: 'Riverside', log: () => undefined });
          return store;
        },
        {
          get sync() {
            return hub;
          },
        },
      );
      url = await t.app.listen({ port: 0, host: '127.0.0.1' });
      nodeStore = await sqliteTestStore();
      node = await SyncService.open({ store: nodeStore, nodeId: 'node-a', practice: 'Riverside', log: () => undefined });
    });
    after(async () => {
      await node?.close();
      await nodeStore?.dispose();
      await hub?.close();
      await t?.dispose();
    });

    it('the removed node\'s live token is refused at its next request and nothing it pushes is stored', async () => {
      await joinPeer(node, url, await hub.registry.invite(hub.identity));
      const remote: SyncTransport = httpTransport({ url: `${url}/sync`, peerNodeId: 'hub', identity: node.identity });
      // Logged in and replicating: the token is now valid for an hour.
      assert.equal((await remote.request({ type: 'hello', versions: [1], nodeId: 'node-a' })).type, 'welcome');
      await node.repl.store.repo.update(patient('before-removal', 'Kept'));
      const push = (): Promise<{ ok: boolean; state: { status: string; lastError?: string } }> =>
        new Replicator({
          source: { nodeId: 'node-a', transport: inProcessTransport(node.endpoint, { nodeId: 'hub' }) },
          target: { nodeId: 'hub', transport: remote },
          sleep: async () => undefined,
        }).run();
      assert.equal((await push()).ok, true);
      assert.ok(await t.repo.readCurrent('Patient', 'before-removal'));

      assert.equal(await hub.registry.remove('node-a'), true);
      assert.equal(await hub.registry.remove('node-a'), false, 'removing twice finds nothing');
      const seq = await t.repo.lastSeq();
      await node.repl.store.repo.update(patient('after-removal', 'Refused'));
      const r = await push();
      assert.equal(r.ok, false);
      assert.equal(r.state.status, 'denied', 'authentication failures stop and say so');
      assert.match(r.state.lastError ?? '', /no longer a peer|does not accept this node/);
      await assert.rejects(remote.request({ type: 'changes', v: 1, since: 0, limit: 10, waitMs: 0 }), (err) => err instanceof SyncTransportError && err.kind === 'denied');
      // A fresh login is refused too.
      const fresh = httpTransport({ url: `${url}/sync`, peerNodeId: 'hub', identity: node.identity });
      await assert.rejects(fresh.request({ type: 'hello', versions: [1], nodeId: 'node-a' }), (err) => err instanceof SyncTransportError && err.kind === 'denied');
      assert.equal(await t.repo.readCurrent('Patient', 'after-removal'), undefined);
      assert.equal(await t.repo.lastSeq(), seq, 'nothing stored on the hub');
    });

    it('a disabled peer is refused the same way', async () => {
      await joinPeer(node, url, await hub.registry.invite(hub.identity));
      const remote = httpTransport({ url: `${url}/sync`, peerNodeId: 'hub', identity: node.identity });
      assert.equal((await remote.request({ type: 'hello', versions: [1], nodeId: 'node-a' })).type, 'welcome');
      const [peer] = (await hub.registry.list()).filter((p) => p.nodeId === 'node-a');
      assert.ok(peer);
      await hub.registry.save({ ...peer, disabled: true });
      await assert.rejects(remote.request({ type: 'hello', versions: [1], nodeId: 'node-a' }), (err) => err instanceof SyncTransportError && err.kind === 'denied' && /no longer a peer/.test(err.message));
    });
  });
}
