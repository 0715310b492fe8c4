/**
 * Replication over HTTPS with the hub's certificate pinned at enrolment: the enrolment code
 * carries the certificate's SHA-256, `join` stores it, sync works over HTTPS; a server with
 * another certificate (same node identity, same routes) is refused before anything is sent
 * ("certificate changed", a denied event) and nothing is stored; plain HTTP to a
 * non-loopback address is refused without the explicit flag, for peers and for `serve`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import Fastify from 'fastify';
import type { FastifyInstance } from 'fastify';
import type { ReplicatorEvent } from '@chartroom/core';
import { SyncService } from '../src/sync/sync-service.js';
import { joinPeer } from '../src/sync/join-peer.js';
import { httpTransport } from '../src/sync/http-transport.js';
import { inProcessTransport } from '../src/sync/in-process-transport.js';
import { Replicator } from '../src/sync/replicator.js';
import { SyncTransportError } from '../src/sync/sync-transport.js';
import { decodeInvite, encodeInvite } from '../src/sync/peer-registry.js';
import { createSelfSignedCertificate, ensureNodeCertificate } from '../src/sync/tls-certificate.js';
import { chooseServeTls } from '../src/sync/serve-sync.js';
import { registerSyncRoutes } from '../src/http/sync-routes.js';
import { initDataDir } from '../src/data-dir.js';
import { main } from '../src/cli/main.js';
import { STORE_KINDS, sqliteTestStore } from './helpers/stores.js';
import type { TestStore } from './helpers/stores.js';
import { fhirTestApp } from './helpers/fhir-app.js';
import type { FhirTestApp } from './helpers/fhir-app.js';
import { patient } from './sync-kit.js';

const hubCert = createSelfSignedCertificate('Chartroom test hub', ['localhost', '127.0.0.1']);
const otherCert = createSelfSignedCertificate('Chartroom test hub', ['localhost', '127.0.0.1']);

for (const kind of STORE_KINDS) {
  describe(`sync over HTTPS with a pinned certificate (hub on ${kind.name})`, { skip: kind.skip }, () => {
    let hub: SyncService;
    let t: FhirTestApp;
    let url: string;
    let nodeStore: TestStore;
    let node: SyncService;
    let impostor: FastifyInstance;
    let impostorUrl: string;
    let impostorRequests = 0;

    before(async () => {
      t = await fhirTestApp(
        async () => {
          const store = await kind.open();
          hub = await SyncService.open({ store, nodeId: 'hub', practice: 'Riverside', log: () => undefined });
          return store;
        },
        {
          https: { key: hubCert.key, cert: hubCert.cert },
          get sync() {
            return hub;
          },
        },
      );
      url = await t.app.listen({ port: 0, host: '127.0.0.1' });
      // The same node identity and routes behind another certificate (a stolen node key, a
      // man in the middle relaying to the real hub, or a replaced server).
      impostor = Fastify({ https: { key: otherCert.key, cert: otherCert.cert } }) as unknown as FastifyInstance;
      impostor.addHook('onRequest', async () => void impostorRequests++);
      registerSyncRoutes(impostor, { sync: hub });
      impostorUrl = await impostor.listen({ port: 0, host: '127.0.0.1' });
      nodeStore = await sqliteTestStore();
      node = await SyncService.open({ store: nodeStore, nodeId: 'node-a', practice: 'Riverside', log: () => undefined, refreshMs: 100, waitMs: 500 });
    });
    after(async () => {
      await node?.close();
      await nodeStore?.dispose();
      await impostor?.close();
      await hub?.close();
      await t?.dispose();
    });

    it('serves HTTPS; enrolment pins the certificate carried by the code; replication works both ways', async () => {
      assert.match(url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const code = await hub.registry.invite(hub.identity, 3600_000, '/sync', hubCert.fingerprint);
      assert.equal(decodeInvite(code).fingerprint, hubCert.fingerprint);
      const peer = await joinPeer(node, url, code);
      assert.equal(peer.fingerprint, hubCert.fingerprint);
      assert.equal(peer.url, `${url}/sync`);
      assert.equal((await node.registry.list())[0]?.fingerprint, hubCert.fingerprint, 'stored in the peers table');

      await node.repl.store.repo.update(patient('tls-up', 'Upward'));
      await t.repo.update(patient('tls-down', 'Downward'));
      const [r] = await node.syncNow();
      assert.ok(r?.push.ok && r.pull.ok, JSON.stringify(r));
      assert.ok(await t.repo.readCurrent('Patient', 'tls-up'), 'the hub stored the node\'s write');
      assert.ok(await node.repl.store.repo.readCurrent('Patient', 'tls-down'), 'the node stored the hub\'s write');
    });

    it('another certificate is refused before anything is sent: a "certificate changed" denied event, nothing stored', async () => {
      const [peer] = await node.registry.list();
      assert.ok(peer);
      await node.registry.save({ ...peer, url: `${impostorUrl}/sync` });
      await node.repl.store.repo.update(patient('tls-refused', 'NeverSent'));
      const hubSeq = await t.repo.lastSeq();
      const nodeSeq = await node.repl.store.repo.lastSeq();

      const [r] = await node.syncNow();
      assert.equal(r?.push.ok, false);
      assert.equal(r?.pull.ok, false);
      assert.match(r?.push.error ?? '', /certificate changed/);

      const events: ReplicatorEvent[] = [];
      const rep = new Replicator({
        source: { nodeId: 'node-a', transport: inProcessTransport(node.endpoint, { nodeId: 'hub' }) },
        target: { nodeId: 'hub', transport: httpTransport({ url: `${impostorUrl}/sync`, peerNodeId: 'hub', identity: node.identity, fingerprint: hubCert.fingerprint }) },
        sleep: async () => undefined,
        onEvent: (e) => events.push(e),
      });
      const result = await rep.run();
      assert.equal(result.ok, false);
      assert.equal(result.state.status, 'denied', 'an authentication failure stops (no retry loop)');
      const denied = events.find((e) => e.type === 'denied');
      assert.ok(denied && 'message' in denied && /certificate changed/.test(String(denied.message)), JSON.stringify(events));

      assert.equal(impostorRequests, 0, 'not one HTTP request (so no token or data) reached the other certificate\'s server');
      assert.equal(await t.repo.readCurrent('Patient', 'tls-refused'), undefined);
      assert.equal(await t.repo.lastSeq(), hubSeq, 'nothing stored on the hub');
      assert.equal(await node.repl.store.repo.lastSeq(), nodeSeq, 'nothing stored on the node');
      await node.registry.save(peer);
    });

    it('a running node stops at "certificate changed" and resumes on its own once the peer is enrolled again', async () => {
      const [peer] = await node.registry.list();
      assert.ok(peer);
      await node.registry.save({ ...peer, url: `${impostorUrl}/sync` });
      node.start();
      const until = async (what: string, check: () => Promise<boolean>): Promise<void> => {
        const end = Date.now() + 20_000;
        while (Date.now() < end) {
          if (await check()) return;
          await new Promise((r) => setTimeout(r, 100));
        }
        assert.fail(`timed out waiting for: ${what}`);
      };
      await until('denied', async () => {
        const s = await node.status();
        return s.state === 'denied' && /certificate changed/.test(s.peers[0]?.lastError ?? '');
      });
      await node.registry.save(peer); // enrolled again: the real hub's URL and pin
      await node.repl.store.repo.update(patient('tls-resumed', 'Resumed'));
      await until('the write reaches the hub', async () => (await t.repo.readCurrent('Patient', 'tls-resumed')) !== undefined);
      await until('connected', async () => (await node.status()).state === 'connected');
    });

    it('enrolment refuses a server whose certificate is not the one in the code, and the code stays usable', async () => {
      const other = await sqliteTestStore();
      const joiner = await SyncService.open({ store: other, nodeId: 'node-b', practice: 'Riverside', log: () => undefined });
      try {
        const code = await hub.registry.invite(hub.identity, 3600_000, '/sync', hubCert.fingerprint);
        const before = impostorRequests;
        await assert.rejects(joinPeer(joiner, impostorUrl, code), /certificate changed/);
        assert.equal(impostorRequests, before, 'the code was never sent');
        assert.deepEqual(await joiner.registry.list(), []);
        // An https code without a fingerprint cannot be checked: refused.
        const inv = decodeInvite(await hub.registry.invite(hub.identity));
        await assert.rejects(joinPeer(joiner, url, encodeInvite({ ...inv, fingerprint: undefined })), /no certificate fingerprint/);
        // A tampered fingerprint is refused too.
        await assert.rejects(joinPeer(joiner, url, encodeInvite({ ...decodeInvite(code), fingerprint: otherCert.fingerprint })), /certificate changed/);
        assert.deepEqual(await joiner.registry.list(), []);
        const peer = await joinPeer(joiner, url, code);
        assert.equal(peer.fingerprint, hubCert.fingerprint);
      } finally {
        await joiner.close();
        await other.dispose();
      }
    });
  });
}

describe('plain HTTP only on loopback or with an explicit flag', () => {
  const root = mkdtempSync(join(tmpdir(), 'chartroom-tls-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('peers: joining or replicating over http:// to another machine is refused without --allow-http', async () => {
    const store = await sqliteTestStore();
    const sync = await SyncService.open({ store, nodeId: 'lonely', practice: 'Riverside', log: () => undefined });
    try {
      const code = encodeInvite({ secret: 'x', nodeId: 'hub', practice: 'Riverside', path: '/sync', fingerprint: hubCert.fingerprint });
      await assert.rejects(joinPeer(sync, 'http://192.0.2.10:8080', code), /plain http/);
      assert.deepEqual(await sync.registry.list(), []);
      assert.throws(() => httpTransport({ url: 'http://192.0.2.10:8080/sync', peerNodeId: 'hub', identity: sync.identity }), (err) => err instanceof SyncTransportError && err.kind === 'denied' && /plain HTTP/.test(err.message));
      assert.throws(() => httpTransport({ url: 'https://192.0.2.10:8443/sync', peerNodeId: 'hub', identity: sync.identity }), /no certificate fingerprint was pinned/);
      // With the flag (a trusted network) the transport is built.
      assert.ok(httpTransport({ url: 'http://192.0.2.10:8080/sync', peerNodeId: 'hub', identity: sync.identity, allowHttp: true }));
    } finally {
      await sync.close();
      await store.dispose();
    }
  });

  it('serve: plain HTTP on a non-loopback address needs --allow-http; --tls serves the node certificate (key 0600, stable)', async () => {
    const dd = initDataDir(join(root, 'node'), { practiceName: 'Riverside' });
    assert.throws(() => chooseServeTls(dd, '0.0.0.0', {}), /--tls.*--allow-http/);
    assert.deepEqual(chooseServeTls(dd, '127.0.0.1', {}), {});
    assert.deepEqual(chooseServeTls(dd, '0.0.0.0', { allowHttp: true }), {});
    const a = chooseServeTls(dd, '0.0.0.0', { tls: true });
    assert.ok(a.https && a.fingerprint);
    assert.equal(new X509Certificate(a.https.cert).fingerprint256.replace(/:/g, '').toLowerCase(), a.fingerprint);
    assert.equal(chooseServeTls(dd, '0.0.0.0', { tls: true }).fingerprint, a.fingerprint, 'the same certificate on every start');
    assert.equal(ensureNodeCertificate(dd.dir, 'x').fingerprint, a.fingerprint);
    assert.equal(statSync(join(dd.dir, 'tls', 'node-key.pem')).mode & 0o077, 0, 'the key is private to the node\'s user');

    const err: string[] = [];
    const original = console.error;
    console.error = (...x: unknown[]) => void err.push(x.join(' '));
    try {
      assert.equal(await main(['serve', '--data', dd.dir, '--host', '0.0.0.0', '--port', '0']), 2);
    } finally {
      console.error = original;
    }
    assert.match(err.join('\n'), /plain HTTP on 0\.0\.0\.0/);
  });
});
