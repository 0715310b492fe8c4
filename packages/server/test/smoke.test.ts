import { test } from 'node:test';
import assert from 'node:assert/strict';
import { STORE_KINDS } from './helpers/stores.js';

for (const kind of STORE_KINDS) {
  test(`${kind.name}: create then read returns the same resource with a revision id`, { skip: kind.skip }, async () => {
    const store = await kind.open();
    try {
      const v = await store.repo.create({ resourceType: 'Patient', name: [{ family: 'Núñez' }] });
      assert.match(v.rev, /^1-[0-9a-f]{32}$/);
      const read = await store.repo.read('Patient', v.id);
      assert.equal(read.json, v.json);
      assert.deepEqual(JSON.parse(read.json).name, [{ family: 'Núñez' }]);
    } finally {
      await store.dispose();
    }
  });
}
