/**
 * The 50 Synthea patients of ../shared/data (transaction Bundles with urn:uuid fullUrls)
 * import whole: every reference resolves to a stored resource and every resource reads back
 * equal to its source, apart from the ids assigned and meta. Skips visibly without ../shared.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importPaths } from '../src/import/import-paths.js';
import { danglingReferences } from '../src/import/reference-check.js';
import { rewriteReferences } from '../src/import/rewrite-references.js';
import { sqliteTestStore } from './helpers/stores.js';
import { allResources } from './helpers/all-resources.js';

const SYNTHEA = fileURLToPath(new URL('../../../../shared/data/synthea-r4/', import.meta.url));
const SKIP = existsSync(SYNTHEA) ? false : `Synthea import skipped: ${SYNTHEA} absent (../shared/data is not part of the repository)`;

type Json = Record<string, unknown> & { resourceType: string; id?: string };

function withoutMeta(r: Json): Json {
  const { meta: _meta, ...rest } = r;
  return rest as Json;
}

test('Synthea: 50 transaction Bundles import with every reference resolved and every resource equal to its source', { skip: SKIP, timeout: 600_000 }, async () => {
  const store = await sqliteTestStore();
  try {
    let n = 0;
    // newId is called once per created resource, in file and entry order (documented on ImportOptions).
    const summary = await importPaths(store.repo, [SYNTHEA], { newId: () => `syn-${n++}` });
    assert.deepEqual(summary.errors, []);
    assert.equal(summary.files, 50);
    assert.deepEqual(summary.transactions, { stored: 50, failed: 0 });
    assert.equal(summary.resources, 15_671);

    // The expected resources: the sources with the ids given in that order and references rewritten.
    const files = readdirSync(SYNTHEA).filter((f) => f.endsWith('.json')).sort();
    const expected = new Map<string, Json>();
    let k = 0;
    for (const file of files) {
      const bundle = JSON.parse(readFileSync(join(SYNTHEA, file), 'utf8')) as { entry: { fullUrl: string; resource: Json }[] };
      const idOf = new Map<string, string>();
      const resources = bundle.entry.map((e) => {
        const id = `syn-${k++}`;
        idOf.set(e.fullUrl, `${e.resource.resourceType}/${id}`);
        return { ...e.resource, id };
      });
      for (const r of resources) {
        rewriteReferences(r, (ref) => idOf.get(ref) ?? ref);
        expected.set(`${r.resourceType}/${r.id}`, withoutMeta(r));
      }
    }

    const stored = await allResources(store.repo);
    assert.equal(stored.length, 15_671);
    assert.deepEqual(danglingReferences(stored), []);
    let compared = 0;
    for (const r of stored) {
      const want = expected.get(`${r.resourceType}/${r.id}`);
      assert.ok(want, `${r.resourceType}/${r.id} is not from the source`);
      assert.deepEqual(withoutMeta(r), want, `${r.resourceType}/${r.id} differs from its source`);
      assert.match(String((r.meta as { versionId?: string } | undefined)?.versionId), /^1-/);
      compared++;
    }
    assert.equal(compared, expected.size);
    // A sample of references: an Observation points at its patient and encounter.
    const obs = stored.find((r) => r.resourceType === 'Observation') as unknown as { subject: { reference: string }; encounter: { reference: string } };
    assert.match(obs.subject.reference, /^Patient\/syn-\d+$/);
    assert.match(obs.encounter.reference, /^Encounter\/syn-\d+$/);
  } finally {
    await store.dispose();
  }
});
