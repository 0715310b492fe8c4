/**
 * The audit trail's store side on every store: staged events are written in batches with
 * contiguous sequence numbers, hash-chained and signed; `verifyAuditTrail` finds every kind
 * of tampering done directly to the rows (edit, delete, insert, reorder, rewritten tail).
 */
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { AuditEvent } from '@medplum/fhirtypes';
import { AuditLog } from '../src/security/audit-log.js';
import { ephemeralSigner } from '../src/security/audit-signing.js';
import type { AuditSigner } from '../src/security/audit-signing.js';
import { verifyAuditTrail } from '../src/security/audit-verify.js';
import { auditDb } from '../src/security/audit-tables.js';
import { chainHash } from '../src/security/audit-chain.js';
import { auditReport } from '../src/security/audit-report.js';
import { auditEventOfRecord } from '../src/security/audit-event.js';
import { STORE_KINDS } from './helpers/stores.js';
import type { TestStore } from './helpers/stores.js';
import type { Principal, UserId } from '@chartroom/core';

const clinician: Principal = { kind: 'session', userId: 'u1' as UserId, username: 'dr.ames', role: 'clinician', practitionerId: 'pr-1', address: '10.0.0.7' };
const nurse: Principal = { kind: 'session', userId: 'u2' as UserId, username: 'rn.baker', role: 'nurse', address: '10.0.0.8' };

for (const kind of STORE_KINDS) {
  describe(`${kind.name}: audit chain`, { skip: kind.skip }, () => {
    let store: TestStore;
    let log: AuditLog;
    let signer: AuditSigner;
    let now = Date.parse('2026-11-25T09:00:00Z');
    const clock = { now: () => now };

    const open = (): Promise<AuditLog> =>
      AuditLog.open({ db: store.dialect.db, writes: store.writes, nodeId: 'node-a', signer, clock, flushMs: 5, signEvery: 4 });

    beforeEach(async () => {
      now = Date.parse('2026-11-25T09:00:00Z');
      store = await kind.open();
      signer = ephemeralSigner();
      log = await open();
    });
    afterEach(async () => {
      await log.close();
      await store.dispose();
    });

    async function recordSome(n: number): Promise<void> {
      for (let i = 0; i < n; i++) {
        now += 1000;
        log.record({ action: i % 2 ? 'read' : 'search', principal: i % 3 ? clinician : nurse, patientIds: [`p${i % 2}`], resources: [`Observation/o${i}`], query: i % 2 ? undefined : 'Observation?subject=p0' });
      }
      await log.flush();
    }

    const trusted = (): Record<string, string[]> => ({ 'node-a': [signer.publicKeyPem] });
    const db = (): ReturnType<typeof auditDb> => auditDb(store.dialect.db);

    it('records nothing until flushed, then writes contiguous hash-chained events shaped as FHIR AuditEvent', async () => {
      log.record({ action: 'read', principal: clinician, patientIds: ['p1'], resources: ['Patient/p1'] });
      assert.equal(log.pending, 1);
      assert.equal((await db().selectFrom('audit_events').select('seq').execute()).length, 0, 'staged in memory, not yet written');
      await recordSome(9);
      assert.equal(log.pending, 0);
      const rows = await db().selectFrom('audit_events').selectAll().orderBy('seq').execute();
      assert.deepEqual(rows.map((r) => Number(r.seq)), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      assert.equal(rows[0]?.prev_hash, '0'.repeat(64));
      for (let i = 1; i < rows.length; i++) assert.equal(rows[i]?.prev_hash, rows[i - 1]?.hash);
      const ev: AuditEvent = auditEventOfRecord(rows[0]?.content ?? '{}', 'node-a', 1);
      assert.equal(ev.resourceType, 'AuditEvent');
      assert.equal(ev.id, 'node-a-1');
      assert.equal(ev.action, 'R');
      assert.equal(ev.outcome, '0');
      assert.equal(ev.recorded, '2026-11-25T09:00:00.000Z', 'UTC time');
      assert.equal(ev.agent[0]?.who?.reference, 'Practitioner/pr-1');
      assert.equal(ev.agent[0]?.network?.address, '10.0.0.7');
      assert.equal(ev.agent[0]?.purposeOfUse?.[0]?.coding?.[0]?.code, 'TREAT');
      assert.equal(ev.source.observer.identifier?.value, 'node-a');
      assert.deepEqual(ev.entity?.map((e) => e.what?.reference), ['Patient/p1', 'Patient/p1']);
      const r = await verifyAuditTrail(store.dialect.db, trusted());
      assert.equal(r.ok, true, JSON.stringify(r.problems));
      assert.equal(r.events, 10);
      assert.ok((r.nodes['node-a']?.signedThrough ?? 0) >= 4, 'heads were signed along the way');
    });

    it('reopening continues the same chain', async () => {
      await recordSome(3);
      await log.close();
      log = await open();
      await recordSome(3);
      const seqs = (await db().selectFrom('audit_events').select('seq').orderBy('seq').execute()).map((r) => Number(r.seq));
      assert.deepEqual(seqs, [1, 2, 3, 4, 5, 6]);
      assert.equal((await verifyAuditTrail(store.dialect.db, trusted())).ok, true);
    });

    it('detects an edited event', async () => {
      await recordSome(6);
      await log.signHead();
      const row = await db().selectFrom('audit_events').select('content').where('seq', '=', 3).executeTakeFirstOrThrow();
      await db().updateTable('audit_events').set({ content: row.content.replace('"outcome":"success"', '"outcome":"denied"') }).where('seq', '=', 3).execute();
      const r = await verifyAuditTrail(store.dialect.db, trusted());
      assert.equal(r.ok, false);
      assert.ok(r.problems.some((p) => p.seq === 3 && p.problem === 'edited'), JSON.stringify(r.problems));
    });

    it('detects a deleted event', async () => {
      await recordSome(6);
      await db().deleteFrom('audit_events').where('seq', '=', 4).execute();
      const r = await verifyAuditTrail(store.dialect.db, trusted());
      assert.equal(r.ok, false);
      assert.ok(r.problems.some((p) => p.seq === 5 && p.problem === 'missing'), JSON.stringify(r.problems));
      assert.ok(r.problems.some((p) => p.seq === 5 && p.problem === 'broken-link'));
    });

    it('detects an inserted event (later events renumbered to make room)', async () => {
      await recordSome(6);
      for (let s = 6; s >= 3; s--) await db().updateTable('audit_events').set({ seq: s + 1 }).where('seq', '=', s).execute();
      const prev = await db().selectFrom('audit_events').select('hash').where('seq', '=', 2).executeTakeFirstOrThrow();
      const content = JSON.stringify({ resourceType: 'AuditEvent', id: 'node-a-3', note: 'forged' });
      await db()
        .insertInto('audit_events')
        .values({ node_id: 'node-a', seq: 3, recorded_at: now, action: 'read', outcome: 'success', severity: 'normal', user_id: null, username: 'x', role: null, address: null, purpose: 'TREAT', resource: null, content, prev_hash: prev.hash, hash: chainHash(prev.hash, content) })
        .execute();
      const r = await verifyAuditTrail(store.dialect.db, trusted());
      assert.equal(r.ok, false);
      assert.ok(r.problems.some((p) => p.seq === 4 && (p.problem === 'inserted' || p.problem === 'broken-link')), JSON.stringify(r.problems));
    });

    it('detects reordered events', async () => {
      await recordSome(6);
      await db().updateTable('audit_events').set({ seq: -1 }).where('seq', '=', 2).execute();
      await db().updateTable('audit_events').set({ seq: 2 }).where('seq', '=', 3).execute();
      await db().updateTable('audit_events').set({ seq: 3 }).where('seq', '=', -1).execute();
      const r = await verifyAuditTrail(store.dialect.db, trusted());
      assert.equal(r.ok, false);
      assert.ok(r.problems.some((p) => p.seq === 2 && (p.problem === 'inserted' || p.problem === 'broken-link')), JSON.stringify(r.problems));
    });

    it('detects a rewritten tail whose hashes were recomputed, by the signed head', async () => {
      await recordSome(6);
      await log.signHead();
      const rows = await db().selectFrom('audit_events').selectAll().orderBy('seq').execute();
      let prev = rows[1]?.hash ?? '';
      for (const r of rows.slice(2)) {
        const content = r.content.replace('"action":"search"', '"action":"read"').replace('"outcome":"success"', '"outcome":"success","note":"rewritten"');
        const hash = chainHash(prev, content);
        await db().updateTable('audit_events').set({ content, prev_hash: prev, hash }).where('seq', '=', r.seq).execute();
        prev = hash;
      }
      const r = await verifyAuditTrail(store.dialect.db, trusted());
      assert.equal(r.ok, false);
      assert.ok(r.problems.some((p) => p.problem === 'head-mismatch'), JSON.stringify(r.problems));
    });

    it('refuses a head signed by a key the node does not hold, and a forged signature', async () => {
      await recordSome(4);
      await log.signHead();
      const other = ephemeralSigner();
      const r1 = await verifyAuditTrail(store.dialect.db, { 'node-a': [other.publicKeyPem] });
      assert.ok(r1.problems.some((p) => p.problem === 'unknown-key'));
      await db().updateTable('audit_heads').set({ signature: other.signHead('node-a', 4, 'x') }).execute();
      const r2 = await verifyAuditTrail(store.dialect.db, trusted());
      assert.ok(r2.problems.some((p) => p.problem === 'bad-signature'), JSON.stringify(r2.problems));
    });

    it('report: who looked at a chart, filtered by time, sortable by every field', async () => {
      await recordSome(8);
      log.record({ action: 'export', principal: clinician, patientIds: ['p0'], resources: ['Patient/p0'], description: 'CCD to Dr Who' });
      await log.flush();
      const all = await auditReport(store.dialect.db, { patientId: 'p0' });
      assert.equal(all.length, 5, 'four searches and one export of p0');
      assert.ok(all.every((r) => r.patient === 'p0'));
      assert.deepEqual(all.map((r) => r.time), [...all.map((r) => r.time)].sort(), 'default sort: time ascending');
      const byUser = await auditReport(store.dialect.db, { patientId: 'p0', sort: ['-user', 'time'] });
      assert.deepEqual(byUser.map((r) => r.user), [...byUser.map((r) => r.user)].sort().reverse());
      for (const f of ['time', 'user', 'role', 'action', 'outcome', 'severity', 'patient', 'resource', 'address', 'purpose', 'node', 'seq']) {
        const rows = await auditReport(store.dialect.db, { patientId: 'p0', sort: [f] });
        const vals = rows.map((r) => (r as unknown as Record<string, string | number>)[f]);
        const sorted = [...vals].sort((a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b))));
        assert.deepEqual(vals, sorted, `sorted by ${f}`);
      }
      const window = await auditReport(store.dialect.db, { patientId: 'p0', from: Date.parse('2026-11-25T09:00:02Z'), to: Date.parse('2026-11-25T09:00:05Z') });
      assert.deepEqual(window.map((r) => r.time), ['2026-11-25T09:00:03.000Z', '2026-11-25T09:00:05.000Z']);
      const disclosures = await auditReport(store.dialect.db, { patientId: 'p0', disclosures: true });
      assert.deepEqual(disclosures.map((r) => r.action), ['export']);
      await assert.rejects(auditReport(store.dialect.db, { sort: ['password'] }), /Cannot sort by "password"/);
    });

    it('a batch the store refuses stays staged and is written by the next flush, in order', async () => {
      await recordSome(2);
      await sql`DROP TABLE audit_event_patients`.execute(store.dialect.db);
      log.record({ action: 'read', principal: clinician, patientIds: ['p9'] });
      await assert.rejects(log.flush());
      assert.equal(log.pending, 1, 'kept');
      await sql`CREATE TABLE audit_event_patients (patient_id text not null, recorded_at bigint not null, node_id text not null, seq bigint not null)`.execute(store.dialect.db);
      log.record({ action: 'read', principal: clinician, patientIds: ['p9'] });
      await log.flush();
      const seqs = (await db().selectFrom('audit_events').select('seq').orderBy('seq').execute()).map((r) => Number(r.seq));
      assert.deepEqual(seqs, [1, 2, 3, 4]);
      assert.equal((await verifyAuditTrail(store.dialect.db, trusted())).ok, true);
    });
  });
}
