/**
 * The safety valve over HTTP for the web app: a node whose peer pushes a session that
 * deletes too much holds the batch; `GET /api/sync/quarantine` lists it,
 * `POST /api/sync/quarantine/:id/approve` applies it (`{ stored }`), `…/reject` drops it
 * (`{}`). Administrators only, audited; unknown id 404, a decided batch 409 (nothing changed).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AuditLog } from '../src/security/audit-log.js';
import { ephemeralSigner } from '../src/security/audit-signing.js';
import { auditDb } from '../src/security/audit-tables.js';
import { SyncService } from '../src/sync/sync-service.js';
import { inProcessTransport } from '../src/sync/in-process-transport.js';
import { Replicator } from '../src/sync/replicator.js';
import { STORE_KINDS, sqliteTestStore } from './helpers/stores.js';
import type { TestStore } from './helpers/stores.js';
import { assertOutcome, assertUnchanged, fhirTestApp } from './helpers/fhir-app.js';
import type { ActingUser, FhirTestApp } from './helpers/fhir-app.js';
import { patient, syncTestNode } from './sync-kit.js';
import type { SyncTestNode } from './sync-kit.js';

interface Item {
  id: string;
  peer: string;
  status: string;
  docs: number;
  destructive: number;
  resources: number;
  createdAt: string;
  decidedAt: string | null;
}

for (const kind of STORE_KINDS) {
  describe(`quarantine approvals over HTTP (${kind.name})`, { skip: kind.skip }, () => {
    let store: TestStore;
    let audit: AuditLog;
    let sync: SyncService;
    let t: FhirTestApp;
    let source: SyncTestNode;
    let admin: ActingUser;
    let clinician: ActingUser;

    /** Pushes the source's changes to the node under test; true when everything was applied. */
    const push = async (): Promise<boolean> => {
      const r = await new Replicator({
        source: { nodeId: 'source', transport: inProcessTransport(source.endpoint, { nodeId: 'node' }) },
        target: { nodeId: 'node', transport: inProcessTransport(sync.endpoint, { nodeId: 'source' }) },
        sleep: async () => undefined,
      }).run();
      return r.ok;
    };
    const patients = async (): Promise<number> => (await t.repo.countByType()).Patient ?? 0;
    const list = async (who: ActingUser = admin): Promise<Item[]> => {
      const res = await who.request('GET', '/api/sync/quarantine');
      assert.equal(res.status, 200, res.text);
      return (res.body as { items: Item[] }).items;
    };

    before(async () => {
      store = await kind.open();
      audit = await AuditLog.open({ db: store.dialect.db, writes: store.writes, nodeId: 'node', signer: ephemeralSigner(), flushMs: 5 });
      sync = await SyncService.open({ store, nodeId: 'node', practice: 'Riverside', quarantine: { share: 0.05, floor: 2 }, log: () => undefined });
      t = await fhirTestApp(async () => store, { sync, audit });
      source = await syncTestNode('source', sqliteTestStore);
      admin = await t.actAs('admin');
      clinician = await t.actAs('clinician');
    });
    after(async () => {
      await sync?.close();
      await audit?.close();
      await t?.dispose();
      await source?.dispose();
    });

    it('lists nothing at first; only administrators may list or decide', async () => {
      assert.deepEqual(await list(), []);
      for (const role of ['clinician', 'nurse', 'front-desk'] as const) {
        const who = role === 'clinician' ? clinician : await t.actAs(role);
        assertOutcome(await who.request('GET', '/api/sync/quarantine'), 403);
        assertOutcome(await who.request('POST', '/api/sync/quarantine/00000000-0000-4000-8000-000000000000/approve'), 403);
      }
      assertOutcome(await t.request('GET', '/api/sync/quarantine', { as: null }), 401);
    });

    it('a destructive session is held; approving applies it once, a second decision is 409', async () => {
      for (let i = 0; i < 10; i++) await source.store.repo.update(patient(`p${i}`, `Family${i}`));
      assert.equal(await push(), true);
      assert.equal(await patients(), 10);
      for (let i = 0; i < 5; i++) await source.store.repo.delete('Patient', `p${i}`);
      assert.equal(await push(), false, 'the replicator reports the held batch as a failure');
      assert.equal(await patients(), 10, 'nothing deleted while held');

      const [held, ...rest] = await list();
      assert.ok(held);
      assert.equal(rest.length, 0);
      assert.equal(held.peer, 'source');
      assert.equal(held.status, 'pending');
      assert.equal(held.destructive, 5);
      assert.equal(held.resources, 10);
      assert.ok(held.docs >= 5);
      assert.ok(!Number.isNaN(Date.parse(held.createdAt)) && held.createdAt.endsWith('Z'), held.createdAt);
      assert.equal(held.decidedAt, null);
      assert.deepEqual(Object.keys(held).sort(), ['createdAt', 'decidedAt', 'destructive', 'docs', 'id', 'peer', 'resources', 'status']);
      const status = (await admin.request('GET', '/api/sync/status')).body as { quarantined: number };
      assert.equal(status.quarantined, 1);

      // Unknown ids: 404 OperationOutcome, nothing changed.
      await assertUnchanged(t, async () => {
        assertOutcome(await admin.request('POST', '/api/sync/quarantine/00000000-0000-4000-8000-000000000000/approve'), 404, { code: 'not-found' });
        assertOutcome(await admin.request('POST', '/api/sync/quarantine/nope/reject'), 404, { code: 'not-found' });
        assertOutcome(await admin.request('GET', '/api/sync/quarantine?status=maybe'), 400);
      });

      // Two approvals at once: one applies, the other is refused.
      const [first, second] = await Promise.all([admin.request('POST', `/api/sync/quarantine/${held.id}/approve`), admin.request('POST', `/api/sync/quarantine/${held.id}/approve`)]);
      const ok = [first, second].filter((r) => r.status === 200);
      assert.equal(ok.length, 1, `${first.status} ${first.text} / ${second.status} ${second.text}`);
      assert.ok((ok[0]?.body as { stored: number }).stored >= 5, ok[0]?.text);
      assertOutcome([first, second].find((r) => r.status !== 200) ?? first, 409, { code: 'conflict', diagnostics: /already approved/ });
      assert.equal(await patients(), 5);

      await assertUnchanged(t, async () => {
        assertOutcome(await admin.request('POST', `/api/sync/quarantine/${held.id}/reject`), 409, { diagnostics: /already approved/ });
      });
      const [decided] = await list();
      assert.equal(decided?.status, 'approved');
      assert.ok(decided?.decidedAt && !Number.isNaN(Date.parse(decided.decidedAt)));
      assert.equal(await push(), true, 'the next session goes through');
    });

    it('rejecting drops the held batch: nothing is applied', async () => {
      for (let i = 5; i < 10; i++) await source.store.repo.delete('Patient', `p${i}`);
      assert.equal(await push(), false);
      const pending = await admin.request('GET', '/api/sync/quarantine?status=pending');
      const [held] = (pending.body as { items: Item[] }).items;
      assert.ok(held);
      await assertUnchanged(t, async () => {
        const res = await admin.request('POST', `/api/sync/quarantine/${held.id}/reject`);
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(res.body, {});
      });
      assert.equal(await patients(), 5);
      assert.deepEqual((await list()).map((i) => i.status), ['rejected', 'approved']);
      assertOutcome(await admin.request('POST', `/api/sync/quarantine/${held.id}/approve`), 409, { diagnostics: /already rejected/ });
      assert.equal(await patients(), 5);
    });

    it('every list and decision is audited with the administrator', async () => {
      await audit.flush();
      const rows = await auditDb(store.dialect.db).selectFrom('audit_events').select(['action', 'outcome', 'resource', 'user_id']).where('resource', 'like', '%/api/sync/quarantine%').execute();
      const mine = rows.filter((r) => r.user_id === admin.userId);
      assert.ok(mine.some((r) => r.action === 'read' && r.outcome === 'success'), JSON.stringify(rows));
      assert.ok(mine.some((r) => r.action === 'privilege-change' && /approve$/.test(r.resource ?? '') && r.outcome === 'success'));
      assert.ok(mine.some((r) => r.action === 'privilege-change' && /reject$/.test(r.resource ?? '') && r.outcome === 'success'));
      assert.ok(mine.some((r) => r.outcome === 'failed' && /approve$/.test(r.resource ?? '')), 'a refused decision is audited as failed');
      assert.ok(rows.some((r) => r.user_id === clinician.userId && r.outcome === 'denied'), 'a non-admin attempt is audited as denied');
    });
  });
}
