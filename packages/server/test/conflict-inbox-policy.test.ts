/**
 * The reconciliation inbox (`GET /api/conflicts`) obeys the access policy as FHIR search
 * does: a conflict with a version the caller may not read (another clinician's
 * psychotherapy note; any note for an administrator) is withheld and counted, and
 * never appears in the answer; resolving such a conflict is refused and changes nothing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { DocumentReference, Resource } from '@medplum/fhirtypes';
import { PSYCHOTHERAPY_LABEL, RESTRICTED_CONFIDENTIALITY, computeRevision } from '@chartroom/core';
import type { Principal, RevisionId, UserId } from '@chartroom/core';
import { SyncService } from '../src/sync/sync-service.js';
import { STORE_KINDS } from './helpers/stores.js';
import { assertOutcome, assertUnchanged, fhirTestApp } from './helpers/fhir-app.js';
import type { FhirReply, FhirTestApp } from './helpers/fhir-app.js';
import { patient } from './sync-kit.js';

const CANARY = `canary-${randomBytes(8).toString('hex')}-psychotherapy`;

function note(id: string, author: string, text: string): DocumentReference {
  return {
    resourceType: 'DocumentReference',
    id,
    status: 'current',
    subject: { reference: 'Patient/p1' },
    author: [{ reference: `Practitioner/${author}` }],
    description: text,
    content: [{ attachment: { contentType: 'text/plain', data: Buffer.from(text).toString('base64') } }],
    meta: { security: [{ ...PSYCHOTHERAPY_LABEL }, { ...RESTRICTED_CONFIDENTIALITY }] },
  };
}

interface Inbox {
  total: number;
  withheld: number;
  conflicts: { type: string; id: string; leaves: { rev: string }[] }[];
}

for (const kind of STORE_KINDS) {
  describe(`conflict inbox filtered by the access policy (${kind.name})`, { skip: kind.skip }, () => {
    let t: FhirTestApp;
    let sync: SyncService;
    const principals = new Map<string, Principal>();
    const as = (who: string, method: string, url: string, body?: unknown): Promise<FhirReply> => t.request(method, url, { headers: { 'x-test-as': who }, ...(body !== undefined ? { body } : {}) });

    /** Makes `type/id` a conflict: `first` then `second` written here, plus a sibling of `second` arriving by replication. */
    async function conflictOn(first: Resource, second: Resource, sibling: Resource): Promise<RevisionId> {
      await t.repo.update(first);
      const parent = (await t.repo.read(first.resourceType, first.id as string)).rev as RevisionId;
      await t.repo.update(second);
      const rev = computeRevision(parent, sibling);
      const content = JSON.stringify({ ...sibling, meta: { ...sibling.meta, versionId: rev, lastUpdated: new Date().toISOString() } });
      await sync.repl.putRevisions([{ type: first.resourceType, id: first.id as string, revisions: [{ rev, parentRev: parent, deleted: false, lastUpdated: Date.now(), content }] }]);
      return rev;
    }

    before(async () => {
      t = await fhirTestApp(
        async () => {
          const store = await kind.open();
          sync = await SyncService.open({ store, nodeId: 'node', practice: 'Riverside', log: () => undefined });
          return store;
        },
        {
          get sync() {
            return sync;
          },
        },
      );
      t.app.addHook('onRequest', async (req) => {
        const who = req.headers['x-test-as'];
        const p = typeof who === 'string' ? principals.get(who) : undefined;
        if (p) req.principal = { ...p, address: req.ip };
      });
      const now = Date.now();
      const session = (id: string, role: Principal['role'], extra: Partial<Principal> = {}): Principal => ({ kind: 'session', userId: id as UserId, username: id, role, mfaAt: now, ...extra });
      principals.set('drA', session('dr-a-user', 'clinician', { practitionerId: 'dr-a' }));
      principals.set('drB', session('dr-b-user', 'clinician', { practitionerId: 'dr-b' }));
      principals.set('nurse', session('nurse-user', 'nurse'));
      principals.set('admin', session('admin-user', 'admin'));
      await t.repo.importMany([{ resourceType: 'Practitioner', id: 'dr-a' }, { resourceType: 'Practitioner', id: 'dr-b' }]);
      await conflictOn(patient('p1', 'First'), patient('p1', 'Second'), patient('p1', 'Sibling'));
      await conflictOn(note('psy1', 'dr-a', 'Session one.'), note('psy1', 'dr-a', 'Session one, edited.'), note('psy1', 'dr-a', `Session one, edited elsewhere. ${CANARY}`));
    });
    after(async () => {
      await sync?.close();
      await t?.dispose();
    });

    it('the author sees both conflicts; another clinician and a nurse get the note withheld and counted; an admin sees no notes', async () => {
      const seen = async (who: string): Promise<Inbox & { text: string }> => {
        const res = await as(who, 'GET', '/api/conflicts');
        assert.equal(res.status, 200, res.text);
        return { ...(res.body as unknown as Inbox), text: res.text };
      };
      const a = await seen('drA');
      assert.deepEqual(a.conflicts.map((c) => `${c.type}/${c.id}`).sort(), ['DocumentReference/psy1', 'Patient/p1']);
      assert.equal(a.withheld, 0);
      assert.ok(a.text.includes(CANARY), 'the author sees the note\'s versions');
      for (const who of ['drB', 'nurse']) {
        const b = await seen(who);
        assert.deepEqual(b.conflicts.map((c) => `${c.type}/${c.id}`), ['Patient/p1'], who);
        assert.equal(b.total, 1);
        assert.equal(b.withheld, 1, `${who}: the withheld conflict is counted`);
        assert.ok(!b.text.includes(CANARY) && !b.text.includes('Session one'), `${who} never receives the note's content`);
      }
      // Administrators may read demographics (the policy table), never notes.
      const admin = await seen('admin');
      assert.deepEqual(admin.conflicts.map((c) => `${c.type}/${c.id}`), ['Patient/p1']);
      assert.equal(admin.withheld, 1);
      assert.ok(!admin.text.includes('Session one'));
    });

    it('resolving a conflict with a version the caller may not read is refused and changes nothing; the author may', async () => {
      const leaves = (await sync.liveLeaves('DocumentReference', 'psy1')).map((l) => l.rev);
      assert.equal(leaves.length, 2);
      await assertUnchanged(t, async () => {
        assertOutcome(await as('drB', 'POST', '/api/conflicts/DocumentReference/psy1/resolve', { rev: leaves[0] }), 403);
        assertOutcome(await as('drB', 'POST', '/api/conflicts/DocumentReference/psy1/resolve', { resource: note('psy1', 'dr-b', 'Overwritten by B') }), 403);
      });
      const ok = await as('drA', 'POST', '/api/conflicts/DocumentReference/psy1/resolve', { rev: leaves[1] });
      assert.equal(ok.status, 200, ok.text);
      assert.equal((await as('drA', 'GET', '/api/conflicts')).body.total, 1);
    });
  });
}
