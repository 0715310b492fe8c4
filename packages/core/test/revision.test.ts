/**
 * Revision ids (ARCHITECTURE §4): deterministic from parent and canonical content, and one
 * winner among leaves that every node picks the same way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Resource } from '@medplum/fhirtypes';
import { compareLeaves, computeRevision, generationOf, isRevisionId } from '../src/index.js';
import type { RevisionId } from '../src/index.js';

const patient = { resourceType: 'Patient', id: 'p', name: [{ family: 'Ng', given: ['A', 'B'] }], active: true } as Resource;

test('computeRevision is deterministic: key order and server meta do not matter', () => {
  const a = computeRevision(undefined, patient);
  assert.match(a, /^1-[0-9a-f]{32}$/);
  assert.ok(isRevisionId(a));
  const reordered = { active: true, name: [{ given: ['A', 'B'], family: 'Ng' }], id: 'p', resourceType: 'Patient' } as Resource;
  assert.equal(computeRevision(undefined, reordered), a);
  assert.equal(computeRevision(undefined, { ...patient, meta: { versionId: '9-x', lastUpdated: '2000-01-01T00:00:00Z' } } as Resource), a);
  assert.notEqual(computeRevision(undefined, { ...patient, meta: { tag: [{ code: 't' }] } } as Resource), a, 'other meta is content');
  assert.notEqual(computeRevision(undefined, { ...patient, name: [{ family: 'Ng', given: ['B', 'A'] }] } as Resource), a, 'array order is content');
  assert.notEqual(computeRevision(undefined, patient, true), a, 'a tombstone differs from the live content');
});

test('computeRevision chains generations through the parent', () => {
  const r1 = computeRevision(undefined, patient);
  const r2 = computeRevision(r1, patient);
  const r3 = computeRevision(r2, patient);
  assert.equal(generationOf(r1), 1);
  assert.equal(generationOf(r2), 2);
  assert.equal(generationOf(r3), 3);
  assert.notEqual(r2.slice(2), r1.slice(2));
  const other = computeRevision('1-00000000000000000000000000000000' as RevisionId, patient);
  assert.notEqual(other, r2, 'a different parent gives a different id');
  assert.equal(computeRevision(r1, patient), r2);
});

test('isRevisionId', () => {
  assert.equal(isRevisionId('1-0123456789abcdef0123456789abcdef'), true);
  for (const bad of ['0-0123456789abcdef0123456789abcdef', '1-0123456789ABCDEF0123456789ABCDEF', '1-0123', 'x-0123456789abcdef0123456789abcdef', '']) {
    assert.equal(isRevisionId(bad), false, bad);
  }
});

test('compareLeaves: live before deleted, then higher generation, then higher id', () => {
  const rev = (g: number, h: string): RevisionId => `${g}-${h.repeat(32).slice(0, 32)}` as RevisionId;
  const leaves = [
    { rev: rev(5, 'f'), deleted: true },
    { rev: rev(2, 'a'), deleted: false },
    { rev: rev(3, '1'), deleted: false },
    { rev: rev(3, '9'), deleted: false },
    { rev: rev(10, '0'), deleted: false },
  ];
  const sorted = [...leaves].sort(compareLeaves).map((l) => l.rev);
  assert.deepEqual(sorted, [rev(10, '0'), rev(3, '9'), rev(3, '1'), rev(2, 'a'), rev(5, 'f')]);
  assert.equal(compareLeaves(leaves[1]!, { ...leaves[1]! }), 0);
});

test('property: every order of the same leaves picks the same winner', () => {
  const leaf = fc.record({
    rev: fc.tuple(fc.integer({ min: 1, max: 30 }), fc.stringMatching(/^[0-9a-f]{32}$/)).map(([g, h]) => `${g}-${h}` as RevisionId),
    deleted: fc.boolean(),
  });
  fc.assert(
    fc.property(fc.uniqueArray(leaf, { minLength: 1, maxLength: 8, selector: (l) => l.rev }), fc.integer(), (leaves, seed) => {
      const shuffled = [...leaves].sort((a, b) => ((a.rev.charCodeAt(5) * seed) % 7) - ((b.rev.charCodeAt(5) * seed) % 7));
      assert.equal([...leaves].sort(compareLeaves)[0]?.rev, shuffled.sort(compareLeaves)[0]?.rev);
      const winner = [...leaves].sort(compareLeaves)[0];
      for (const l of leaves) assert.ok(compareLeaves(winner!, l) <= 0);
    }),
  );
});
