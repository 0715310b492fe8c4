/**
 * Audit chain heads carried by sync: a node sends its signed audit chain head with the
 * events since the head the hub accepted; the hub accepts a head only when it extends the
 * previous one (security/audit-chain.ts headExtends). A rewritten history, a truncated
 * chain, a new signing key or another node's head is refused and flagged in the hub's
 * status; the accepted head stays. Over the real protocol endpoint, both databases.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AuditLog } from '../src/security/audit-log.js';
import { ephemeralSigner } from '../src/security/audit-signing.js';
import type { AuditSigner } from '../src/security/audit-signing.js';
import { auditDb } from '../src/security/audit-tables.js';
import { chainHash } from '../src/security/audit-chain.js';
import { SyncService } from '../src/sync/sync-service.js';
import { inProcessTransport } from '../src/sync/in-process-transport.js';
import { pushAuditHeads } from '../src/sync/audit-heads.js';
import { STORE_KINDS, sqliteTestStore } from './helpers/stores.js';
import type { TestStore } from './helpers/stores.js';

for (const kind of STORE_KINDS) {
  describe(`audit chain heads carried by sync (hub on ${kind.name})`, { skip: kind.skip }, () => {
    let hubStore: TestStore;
    let hub: SyncService;
    let nodeStore: TestStore;
    let node: SyncService;
    let audit: AuditLog;
    let signer: AuditSigner;

    const toHub = () => inProcessTransport(hub.endpoint, { nodeId: 'node-a' });
    const events = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) audit.record({ action: 'read', resources: [`Patient/p${i}`], patientIds: [`p${i}`] });
      await audit.flush();
      await audit.signHead();
    };
    const hubState = async () => (await hub.status()).peers.find((p) => p.nodeId === 'node-a')?.audit;

    before(async () => {
      hubStore = await kind.open();
      hub = await SyncService.open({ store: hubStore, nodeId: 'hub', practice: 'Riverside', log: () => undefined });
      nodeStore = await sqliteTestStore();
      node = await SyncService.open({ store: nodeStore, nodeId: 'node-a', practice: 'Riverside', log: () => undefined, transportFor: () => toHub() });
      signer = ephemeralSigner();
      audit = await AuditLog.open({ db: nodeStore.dialect.db, writes: nodeStore.writes, nodeId: 'node-a', signer, flushMs: 5 });
      // Both sides know each other (as after enrolment); the node reaches the hub in process.
      const now = Date.now();
      await node.registry.save({ nodeId: 'hub', name: 'Hub', direction: 'outbound', url: null, publicKey: hub.identity.publicKey, practice: 'Riverside', fingerprint: null, allowHttp: false, disabled: false, createdAt: now });
      await hub.registry.save({ nodeId: 'node-a', name: 'Node A', direction: 'inbound', url: null, publicKey: node.identity.publicKey, practice: 'Riverside', fingerprint: null, allowHttp: false, disabled: false, createdAt: now });
    });
    after(async () => {
      await audit?.close();
      await node?.close();
      await hub?.close();
      await nodeStore?.dispose();
      await hubStore?.dispose();
    });

    it('each sync carries the newest signed head; the hub accepts heads that extend the previous one', async () => {
      await events(5);
      const [r1] = await node.syncNow();
      assert.ok(r1?.audit.ok, JSON.stringify(r1));
      assert.deepEqual({ seq: (await hubState())?.seq, error: (await hubState())?.error }, { seq: 5, error: null });
      await events(7);
      const [r2] = await node.syncNow();
      assert.ok(r2?.audit.ok, JSON.stringify(r2));
      assert.equal((await hubState())?.seq, 12);
      // Nothing new: nothing sent, still accepted.
      assert.deepEqual(await pushAuditHeads(nodeStore.dialect.db, 'node-a', toHub()), { seq: 12, sent: 0 });
    });

    it('a rewritten history (same key) is refused and flagged; the accepted head stays', async () => {
      await events(3); // 13..15, signed
      // Someone with the node's database and signing key rewrites event 10 and everything after, and signs a new head.
      const adb = auditDb(nodeStore.dialect.db);
      const rows = await adb.selectFrom('audit_events').select(['seq', 'prev_hash', 'content']).where('node_id', '=', 'node-a').where('seq', '>=', 10).orderBy('seq').execute();
      let prev = rows[0]?.prev_hash as string;
      for (const r of rows) {
        const content = Number(r.seq) === 10 ? r.content.replace('Patient/p', 'Patient/q') : r.content;
        assert.ok(Number(r.seq) !== 10 || content !== r.content, 'the rewrite changed event 10');
        const hash = chainHash(prev, content);
        await adb.updateTable('audit_events').set({ content, prev_hash: prev, hash }).where('node_id', '=', 'node-a').where('seq', '=', r.seq).execute();
        prev = hash;
      }
      await adb.deleteFrom('audit_heads').where('node_id', '=', 'node-a').where('seq', '>', 12).execute();
      await adb.insertInto('audit_heads').values({ node_id: 'node-a', seq: 15, hash: prev, signed_at: Date.now(), public_key: signer.publicKeyPem, signature: signer.signHead('node-a', 15, prev) }).execute();

      const [r] = await node.syncNow();
      assert.equal(r?.audit.ok, false);
      assert.match(r?.audit.error ?? '', /refused/);
      const state = await hubState();
      assert.equal(state?.seq, 12, 'the accepted head stays');
      assert.match(state?.error ?? '', /head-mismatch|broken-link/);
      assert.ok(r?.push.ok && r.pull.ok, 'clinical replication goes on');
    });

    it('a head signed by another key, another node\'s head, or one that skips events is refused', async () => {
      const accepted = await hub.endpoint.handle({ type: 'audit-head', v: 1, head: null, events: [] }, { nodeId: 'node-a' });
      assert.equal(accepted.type === 'audit-head-result' ? accepted.seq : -1, 12);
      const adb = auditDb(nodeStore.dialect.db);
      const evs = (await adb.selectFrom('audit_events').select(['seq', 'prev_hash', 'hash', 'content']).where('node_id', '=', 'node-a').where('seq', '>', 12).orderBy('seq').execute()).map((e) => ({
        seq: Number(e.seq),
        prevHash: e.prev_hash,
        hash: e.hash,
        content: e.content,
      }));
      const last = evs.at(-1);
      assert.ok(last);
      const other = ephemeralSigner();
      const head = (s: AuditSigner, nodeId = 'node-a') => ({ nodeId, seq: last.seq, hash: last.hash, publicKey: s.publicKeyPem, signature: s.signHead(nodeId, last.seq, last.hash) });
      const refusals = [
        await hub.endpoint.handle({ type: 'audit-head', v: 1, head: head(other), events: evs }, { nodeId: 'node-a' }),
        await hub.endpoint.handle({ type: 'audit-head', v: 1, head: head(signer, 'node-b'), events: evs }, { nodeId: 'node-a' }),
        await hub.endpoint.handle({ type: 'audit-head', v: 1, head: head(signer), events: evs.slice(1) }, { nodeId: 'node-a' }),
      ];
      for (const [i, res] of refusals.entries()) {
        assert.equal(res.type, 'error', `refusal ${i}: ${JSON.stringify(res)}`);
        assert.match(res.type === 'error' ? res.message : '', /refused/);
      }
      assert.match((await hubState())?.error ?? '', /missing|broken-link/, 'the last refusal is flagged');
      assert.equal((await hubState())?.seq, 12);
    });
  });
}
