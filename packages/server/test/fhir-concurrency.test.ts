/**
 * Twin requests in flight at once: conditional creates (plain, in a batch, in a transaction)
 * store one resource, and concurrent writes never answer 5xx.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Bundle } from '@medplum/fhirtypes';
import { STORE_KINDS } from './helpers/stores.js';
import { fhirTestApp } from './helpers/fhir-app.js';
import type { FhirTestApp } from './helpers/fhir-app.js';

const SYS = 'http://example.org/mrn';
const N = 8;

function conditionalPatient(value: string) {
  return { resourceType: 'Patient', identifier: [{ system: SYS, value }] };
}

for (const kind of STORE_KINDS) {
  describe(`${kind.name}: FHIR concurrent requests`, { skip: kind.skip }, () => {
    let t: FhirTestApp;
    before(async () => {
      t = await fhirTestApp(() => kind.open());
    });
    after(async () => t.dispose());

    const countOf = async (value: string): Promise<number> => (await t.call('GET', `Patient?identifier=${SYS}|${value}&_summary=count`)).body.total as number;

    it('identical conditional creates at once store one resource', async () => {
      const replies = await Promise.all(
        Array.from({ length: N }, () => t.call('POST', 'Patient', { body: conditionalPatient('race-1'), headers: { 'if-none-exist': `identifier=${SYS}|race-1` } })),
      );
      assert.deepEqual(replies.map((r) => r.status).sort(), [200, 200, 200, 200, 200, 200, 200, 201]);
      assert.equal(new Set(replies.map((r) => r.body.id)).size, 1);
      assert.equal(await countOf('race-1'), 1);
    });

    it('identical transactions and batches with conditional creates at once store one resource', async () => {
      const bundle = (type: 'transaction' | 'batch', value: string): Bundle => ({
        resourceType: 'Bundle',
        type,
        entry: [{ request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=${SYS}|${value}` }, resource: conditionalPatient(value) as never }],
      });
      const replies = await Promise.all([
        ...Array.from({ length: N / 2 }, () => t.call('POST', '', { body: bundle('transaction', 'race-2') })),
        ...Array.from({ length: N / 2 }, () => t.call('POST', '', { body: bundle('batch', 'race-2') })),
      ]);
      for (const r of replies) assert.equal(r.status, 200, r.text);
      const statuses = replies.map((r) => (r.body as unknown as Bundle).entry?.[0]?.response?.status).sort();
      assert.deepEqual(statuses, ['200', '200', '200', '200', '200', '200', '200', '201']);
      assert.equal(await countOf('race-2'), 1);
    });

    it(
      'concurrent PUTs that create the same new id never answer 5xx',
      async () => {
        const replies = await Promise.all(
          Array.from({ length: N }, (_, i) => t.call('PUT', 'Patient/race-put', { body: { resourceType: 'Patient', id: 'race-put', gender: i % 2 ? 'male' : 'female' } })),
        );
        assert.deepEqual(replies.map((r) => r.status).sort(), [200, 200, 200, 200, 200, 200, 200, 201]);
        const history = await t.call('GET', 'Patient/race-put/_history');
        assert.equal((history.body.entry as unknown[]).length, N);
      },
    );
  });
}
