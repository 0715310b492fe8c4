/**
 * Replication over real HTTP on loopback: enrolment with one-time codes, node
 * authentication, a hub (SQLite or PostgreSQL, STORE_KINDS) relaying between two nodes in
 * continuous mode, new peers picked up without restart, the status and conflict routes,
 * and the transport conformance suite run against the in-process and the HTTP transport.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Resource } from '@medplum/fhirtypes';
import { computeRevision } from '@chartroom/core';
import type { RevisionId, SyncRequest } from '@chartroom/core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { STORE_KINDS, TEST_PG, sqliteTestStore } from './helpers/stores.js';
import pg from 'pg';
import { HostedPractices, hostedDatabaseName } from '../src/sync/hosted-practices.js';
import type { TestStore } from './helpers/stores.js';
import { fhirTestApp } from './helpers/fhir-app.js';
import type { FhirTestApp } from './helpers/fhir-app.js';
import { SyncService } from '../src/sync/sync-service.js';
import { joinPeer } from '../src/sync/join-peer.js';
import { httpTransport } from '../src/sync/http-transport.js';
import { inProcessTransport } from '../src/sync/in-process-transport.js';
import { SyncTransportError } from '../src/sync/sync-transport.js';
import type { SyncTransport } from '../src/sync/sync-transport.js';
import { patient } from './sync-kit.js';

interface HttpNode {
  name: string;
  t: FhirTestApp;
  sync: SyncService;
  url: string;
  dispose(): Promise<void>;
}

async function httpNode(name: string, open: () => Promise<TestStore>, practice = 'Riverside'): Promise<HttpNode> {
  let sync: SyncService | undefined;
  const t = await fhirTestApp(
    async () => {
      const store = await open();
      sync = await SyncService.open({ store, nodeId: name, practice, refreshMs: 100, waitMs: 1000, log: () => undefined });
      return store;
    },
    {
      get sync() {
        return sync;
      },
    },
  );
  const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
  const s = sync as SyncService;
  return {
    name,
    t,
    sync: s,
    url: address,
    dispose: async () => {
      await s.close();
      await t.dispose();
    },
  };
}

/** Polls `check` until it returns true (bounded; no timing assertion). */
async function eventually(what: string, check: () => Promise<boolean>, limitMs = 30_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting for: ${what}`);
}

async function has(node: HttpNode, type: string, id: string, text: string): Promise<boolean> {
  const v = await node.t.repo.readCurrent(type, id);
  return v !== undefined && v.json.includes(text);
}

for (const kind of STORE_KINDS) {
  describe(`sync over HTTP, hub on ${kind.name}`, { skip: kind.skip }, () => {
    let hub: HttpNode;
    let a: HttpNode;
    let b: HttpNode;
    before(async () => {
      hub = await httpNode('hub', kind.open);
      a = await httpNode('node-a', sqliteTestStore);
      b = await httpNode('node-b', sqliteTestStore);
    });
    after(async () => {
      for (const n of [a, b, hub]) await n?.dispose();
    });

    it('enrols with one-time codes; a used, foreign or malformed code is refused and records nothing', async () => {
      const code = await hub.sync.registry.invite(hub.sync.identity);
      assert.match(code, /^CRJOIN1-/);
      const peer = await joinPeer(a.sync, hub.url, code);
      assert.equal(peer.nodeId, 'hub');
      await assert.rejects(joinPeer(b.sync, hub.url, code), /already used/);
      const foreign = await a.sync.registry.invite(a.sync.identity);
      await assert.rejects(joinPeer(b.sync, hub.url, foreign), /issued by another node|another node/);
      await assert.rejects(joinPeer(b.sync, hub.url, 'not-a-code'), /not a Chartroom enrolment code/);
      await assert.rejects(joinPeer(b.sync, 'http://192.0.2.1:9/', await hub.sync.registry.invite(hub.sync.identity)), /plain http/);
      assert.deepEqual((await b.sync.registry.list()).length, 0);
      assert.deepEqual((await hub.sync.registry.list()).map((p) => p.nodeId), ['node-a']);
    });

    it('refuses unauthenticated or forged node requests', async () => {
      const res = await fetch(`${hub.url}/sync/v1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'hello', versions: [1], nodeId: 'x' }) });
      assert.equal(res.status, 401);
      // A node that is not enrolled cannot log in, whatever it signs.
      const intruder = httpTransport({ url: `${hub.url}/sync`, peerNodeId: 'hub', identity: b.sync.identity });
      await assert.rejects(intruder.request({ type: 'hello', versions: [1], nodeId: 'node-b' }), (err) => err instanceof SyncTransportError && err.kind === 'denied');
    });

    it('relays a write from node A to node B through the hub in continuous mode, with B joining while running', async () => {
      a.sync.start();
      b.sync.start();
      const r1 = await a.t.call('PUT', 'Patient/relay-1', { body: patient('relay-1', 'Relayed') });
      assert.ok(r1.status === 201 || r1.status === 200, r1.text);
      await eventually('hub has the write', () => has(hub, 'Patient', 'relay-1', 'Relayed'));
      // B joins now; its running service picks the peer up without a restart.
      await joinPeer(b.sync, hub.url, await hub.sync.registry.invite(hub.sync.identity));
      await eventually('B has the write', () => has(b, 'Patient', 'relay-1', 'Relayed'));
      const r2 = await b.t.call('PUT', 'Patient/relay-2', { body: patient('relay-2', 'FromB') });
      assert.ok(r2.status < 300, r2.text);
      await eventually('A has B\'s write', () => has(a, 'Patient', 'relay-2', 'FromB'));
      await eventually('A reports nothing pending', async () => {
        const s = await a.t.request('GET', '/api/sync/status');
        const body = s.body as { state?: string; pendingChanges?: number; peers?: { nodeId: string; connected: boolean }[] };
        return s.status === 200 && body.state === 'connected' && body.pendingChanges === 0 && body.peers?.[0]?.connected === true;
      });
      const hubStatus = (await hub.t.request('GET', '/api/sync/status')).body as { peers: { nodeId: string; direction: string }[] };
      assert.deepEqual(hubStatus.peers.map((p) => `${p.nodeId}:${p.direction}`).sort(), ['node-a:inbound', 'node-b:inbound']);
    });

    it('lists a conflict in the inbox on every node and resolves it through the API', async () => {
      await a.t.call('PUT', 'Patient/c1', { body: patient('c1', 'First') });
      await a.t.call('PUT', 'Patient/c1', { body: patient('c1', 'Second') });
      await eventually('B has c1', () => has(b, 'Patient', 'c1', 'Second'));
      // A concurrent edit made elsewhere: a sibling of A's second revision.
      const tree = await a.sync.repl.revisionTree('Patient', 'c1');
      const parent = tree[0]?.rev as RevisionId;
      const body = patient('c1', 'Sibling') as Resource;
      const rev = computeRevision(parent, body);
      const content = JSON.stringify({ ...body, meta: { versionId: rev, lastUpdated: new Date().toISOString() } });
      await b.sync.repl.putRevisions([{ type: 'Patient', id: 'c1', revisions: [{ rev, parentRev: parent, deleted: false, lastUpdated: Date.now(), content }] }]);
      await eventually('A sees the conflict', async () => (await a.t.request('GET', '/api/conflicts')).body.total === 1);
      const read = await a.t.call('GET', 'Patient/c1');
      assert.equal(read.headers['x-chartroom-conflict'], '2');
      const inbox = (await a.t.request('GET', '/api/conflicts')).body as { conflicts: { winner: string; leaves: { rev: string }[] }[] };
      assert.equal(inbox.conflicts[0]?.leaves.length, 2);
      const bad = await a.t.request('POST', '/api/conflicts/Patient/c1/resolve', { body: {} });
      assert.equal(bad.status, 400);
      const ok = await a.t.request('POST', '/api/conflicts/Patient/c1/resolve', { body: { rev } });
      assert.equal(ok.status, 200, ok.text);
      await eventually('B sees the resolution', async () => (await b.t.request('GET', '/api/conflicts')).body.total === 0 && (await has(b, 'Patient', 'c1', 'Sibling')));
    });

    it('a hub hosts another practice in its own store: each node sees only its own practice', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'chartroom-hosted-'));
      let storeUrl: string | undefined;
      if (hub.t.store.databaseName && TEST_PG) {
        const u = new URL(TEST_PG);
        u.pathname = `/${hub.t.store.databaseName}`;
        storeUrl = u.toString();
      }
      const hosted = new HostedPractices({ dataDir: dir, keyHex: randomBytes(32).toString('hex'), storeUrl, hubNodeId: 'hub', log: () => undefined });
      hub.sync.hostedPractice = (slug) => hosted.get(slug);
      const lake = await httpNode('lake-1', sqliteTestStore, 'Lakeside Psychiatry');
      try {
        const slug = hosted.add('Lakeside Psychiatry');
        assert.equal(slug, 'lakeside-psychiatry');
        const lakeHub = (await hosted.get(slug)) as SyncService;
        const peer = await joinPeer(lake.sync, hub.url, await lakeHub.registry.invite(lakeHub.identity, 3600_000, `/sync/practice/${slug}`));
        assert.equal(peer.url, `${hub.url}/sync/practice/${slug}`);
        await lake.t.call('PUT', 'Patient/lake-only', { body: patient('lake-only', 'Lakeside') });
        await a.t.call('PUT', 'Patient/river-only', { body: patient('river-only', 'Riverside') });
        const results = await lake.sync.syncNow();
        assert.ok(results[0]?.push.ok && results[0].pull.ok, JSON.stringify(results));
        await a.sync.syncNow();
        assert.ok(await lakeHub.repl.store.repo.readCurrent('Patient', 'lake-only'), 'the hosted practice holds its node\'s write');
        assert.equal(await hub.t.repo.readCurrent('Patient', 'lake-only'), undefined, 'the hub\'s own practice does not');
        assert.equal(await lake.t.repo.readCurrent('Patient', 'river-only'), undefined, 'the Lakeside node never receives Riverside data');
        assert.equal(await lake.t.repo.readCurrent('Patient', 'relay-1'), undefined);
        assert.equal(await a.t.repo.readCurrent('Patient', 'lake-only'), undefined, 'Riverside never receives Lakeside data');
        // Lakeside's node cannot log in to the hub's own practice, nor to an unknown one.
        const cross = httpTransport({ url: `${hub.url}/sync`, peerNodeId: 'hub', identity: lake.sync.identity });
        await assert.rejects(cross.request({ type: 'hello', versions: [1], nodeId: 'lake-1' }), (err) => err instanceof SyncTransportError && err.kind === 'denied');
        const unknown = await fetch(`${hub.url}/sync/practice/nowhere/auth/challenge`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ nodeId: 'lake-1' }) });
        assert.equal(unknown.status, 404);
      } finally {
        await lake.dispose();
        await hosted.close();
        hub.sync.hostedPractice = undefined;
        if (storeUrl && TEST_PG) {
          const admin = new pg.Client({ connectionString: TEST_PG });
          await admin.connect();
          await admin.query(`DROP DATABASE IF EXISTS ${hostedDatabaseName(storeUrl, 'lakeside-psychiatry')} WITH (FORCE)`);
          await admin.end();
        }
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('"sync now" reports failure honestly when the peer is unreachable', async () => {
      const lonely = await httpNode('lonely', sqliteTestStore);
      try {
        await joinPeer(lonely.sync, hub.url, await hub.sync.registry.invite(hub.sync.identity));
        const good = await lonely.sync.syncNow();
        assert.ok(good[0]?.push.ok && good[0].pull.ok, JSON.stringify(good));
        const [enrolled] = await lonely.sync.registry.list();
        assert.ok(enrolled);
        await lonely.sync.registry.save({ ...enrolled, url: 'http://127.0.0.1:9/sync' });
        const admin = await lonely.t.actAs('admin');
        const nurse = await lonely.t.actAs('nurse');
        assert.equal((await nurse.request('POST', '/api/sync/now')).status, 403);
        const res = await admin.request('POST', '/api/sync/now');
        assert.equal(res.status, 502, res.text);
        assert.equal((res.body as { ok: boolean }).ok, false);
      } finally {
        await lonely.dispose();
      }
    });
  });
}

describe('sync transport conformance', () => {
  let server: HttpNode;
  let client: SyncService;
  let clientStore: TestStore;
  before(async () => {
    server = await httpNode('server', sqliteTestStore);
    clientStore = await sqliteTestStore();
    client = await SyncService.open({ store: clientStore, nodeId: 'client', practice: 'Riverside', log: () => undefined });
    await joinPeer(client, server.url, await server.sync.registry.invite(server.sync.identity));
    await server.t.repo.update(patient('t1', 'Transport'));
  });
  after(async () => {
    await client.close();
    await clientStore.dispose();
    await server.dispose();
  });

  const transports: { name: string; make: () => SyncTransport }[] = [
    { name: 'in-process', make: () => inProcessTransport(server.sync.endpoint, { nodeId: 'client' }) },
    { name: 'http', make: () => httpTransport({ url: `${server.url}/sync`, peerNodeId: 'server', identity: client.identity }) },
  ];
  for (const tr of transports) {
    describe(tr.name, () => {
      it('negotiates the version and refuses one it does not speak', async () => {
        const t = tr.make();
        const w = await t.request({ type: 'hello', versions: [1], nodeId: 'client' });
        assert.equal(w.type, 'welcome');
        assert.equal(w.nodeId, 'server');
        await assert.rejects(t.request({ type: 'hello', versions: [99], nodeId: 'client' }), (err) => err instanceof SyncTransportError && err.kind === 'denied');
      });
      it('answers changes, revs-diff and fetch with validated responses', async () => {
        const t = tr.make();
        const ch = await t.request({ type: 'changes', v: 1, since: 0, limit: 10, waitMs: 0 });
        const c = ch.changes.find((x) => x.id === 't1');
        assert.ok(c);
        const diff = await t.request({ type: 'revs-diff', v: 1, items: [{ type: 'Patient', id: 't1', revs: [c.rev, '1-00000000000000000000000000000000' as RevisionId] }] });
        assert.deepEqual(diff.items[0]?.missing, ['1-00000000000000000000000000000000']);
        const f = await t.request({ type: 'fetch', v: 1, items: [{ type: 'Patient', id: 't1', revs: [c.rev], have: [] }] });
        assert.equal(f.docs[0]?.revisions[0]?.rev, c.rev);
      });
      it('refuses a corrupted batch as a retryable error and stores nothing', async () => {
        const t = tr.make();
        const before = await server.t.repo.lastSeq();
        const body = patient('evil', 'Evil');
        const req: SyncRequest = {
          type: 'put',
          v: 1,
          session: 's1',
          docs: [{ type: 'Patient', id: 'evil', revisions: [{ rev: '1-0123456789abcdef0123456789abcdef' as RevisionId, parentRev: null, deleted: false, lastUpdated: 1, content: JSON.stringify({ ...body, meta: { versionId: '1-0123456789abcdef0123456789abcdef' } }) }] }],
        };
        await assert.rejects(t.request(req), (err) => err instanceof SyncTransportError && err.kind === 'error' && /hash/.test(err.message));
        assert.equal(await server.t.repo.lastSeq(), before);
      });
    });
  }

  it('a truncated or non-protocol HTTP body is a 400 and changes nothing', async () => {
    const before = await server.t.repo.lastSeq();
    const t = httpTransport({ url: `${server.url}/sync`, peerNodeId: 'server', identity: client.identity });
    await t.request({ type: 'hello', versions: [1], nodeId: 'client' }); // logs in
    // Raw requests with a valid token: log in by hand.
    const c = (await (await fetch(`${server.url}/sync/auth/challenge`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ nodeId: 'client' }) })).json()) as { challenge: string };
    const { signWith } = await import('../src/sync/node-identity.js');
    const { authMessage } = await import('../src/sync/node-auth.js');
    const tok = (await (
      await fetch(`${server.url}/sync/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ nodeId: 'client', challenge: c.challenge, signature: signWith(client.identity, authMessage(c.challenge, 'server')) }),
      })
    ).json()) as { token: string };
    const post = (body: string): Promise<Response> => fetch(`${server.url}/sync/v1`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${tok.token}` }, body });
    const full = JSON.stringify({ type: 'put', v: 1, session: 's', docs: [] });
    assert.equal((await post(full.slice(0, full.length - 5))).status, 400);
    assert.equal((await post(JSON.stringify({ type: 'drop-tables', v: 1 }))).status, 400);
    assert.equal((await post(JSON.stringify({ type: 'changes', v: 1, since: -1, limit: 5, waitMs: 0 }))).status, 400);
    assert.equal(await server.t.repo.lastSeq(), before);
  });
});
