/**
 * "Allergy additions are not merged automatically" (left open by the last session), checked:
 * allergies added on two nodes for the same patient while apart are separate
 * AllergyIntolerance resources with their own ids, so they never conflict: after syncing,
 * both nodes hold both allergies and the inbox is empty. Only two nodes editing the SAME
 * allergy record concurrently (e.g. each adding a reaction) is a conflict for a human — on
 * purpose: a reaction or criticality must not be dropped or guessed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AllergyIntolerance, Resource } from '@medplum/fhirtypes';
import { STORE_KINDS, sqliteTestStore } from './helpers/stores.js';
import { nodeSnapshot, patient, syncBoth, syncTestNode } from './sync-kit.js';

function allergy(code: string, display: string, extra: Partial<AllergyIntolerance> = {}): AllergyIntolerance {
  return {
    resourceType: 'AllergyIntolerance',
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' }] },
    code: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code, display }] },
    patient: { reference: 'Patient/p1' },
    ...extra,
  };
}

for (const kind of STORE_KINDS) {
  describe(`allergy additions on two nodes (${kind.name})`, { skip: kind.skip }, () => {
    it('allergies added on each node while apart all arrive, with no conflict', async () => {
      const a = await syncTestNode('node-a', kind.open);
      const b = await syncTestNode('node-b', sqliteTestStore);
      try {
        await a.store.repo.update(patient('p1', 'Allergic'));
        await syncBoth(a, b);
        // Apart: the front desk on A records penicillin, the clinician on B sulfa and latex.
        await a.store.repo.create(allergy('7980', 'penicillin G'));
        await b.store.repo.create(allergy('10180', 'sulfamethoxazole'));
        await b.store.repo.create(allergy('1311629', 'latex'));
        await syncBoth(a, b);
        await syncBoth(a, b);
        for (const n of [a, b]) {
          const rows = await n.store.dialect.db.selectFrom('resources').select(['content', 'deleted']).where('type', '=', 'AllergyIntolerance').execute();
          const codes = rows.filter((r) => !r.deleted).map((r) => (JSON.parse(r.content) as AllergyIntolerance).code?.coding?.[0]?.display).sort();
          assert.deepEqual(codes, ['latex', 'penicillin G', 'sulfamethoxazole'], n.name);
          assert.equal(await n.repl.conflictCount(), 0, `${n.name}: nothing in the inbox`);
        }
        assert.deepEqual(await nodeSnapshot(a), await nodeSnapshot(b));
      } finally {
        await a.dispose();
        await b.dispose();
      }
    });

    it('concurrent edits of the same allergy record go to the inbox (kept, never guessed)', async () => {
      const a = await syncTestNode('node-a', kind.open);
      const b = await syncTestNode('node-b', sqliteTestStore);
      try {
        await a.store.repo.update(patient('p1', 'Allergic'));
        await a.store.repo.update({ ...allergy('7980', 'penicillin G'), id: 'pcn' } as Resource);
        await syncBoth(a, b);
        await a.store.repo.update({ ...allergy('7980', 'penicillin G', { reaction: [{ manifestation: [{ text: 'hives' }] }] }), id: 'pcn' } as Resource);
        await b.store.repo.update({ ...allergy('7980', 'penicillin G', { criticality: 'high' }), id: 'pcn' } as Resource);
        await syncBoth(a, b);
        for (const n of [a, b]) assert.equal(await n.repl.conflictCount(), 1, n.name);
        const [entry] = await a.repl.listConflicts();
        assert.equal(entry?.leaves.length, 2, 'both versions kept for the clinician to merge');
      } finally {
        await a.dispose();
        await b.dispose();
      }
    });
  });
}
