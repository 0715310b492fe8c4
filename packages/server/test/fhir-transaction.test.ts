/**
 * Transaction and batch Bundles posted to the base (https://hl7.org/fhir/R4/http.html#transaction):
 * urn:uuid rewriting, conditional references and creates, all-or-nothing failure, and batch
 * entries that fail alone.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Bundle, BundleEntry, Observation, OperationOutcome } from '@medplum/fhirtypes';
import { STORE_KINDS } from './helpers/stores.js';
import { assertOutcome, assertUnchanged, fhirTestApp } from './helpers/fhir-app.js';
import type { FhirTestApp } from './helpers/fhir-app.js';

const SYS = 'http://example.org/mrn';

function transaction(entry: BundleEntry[], type: 'transaction' | 'batch' = 'transaction'): Bundle {
  return { resourceType: 'Bundle', type, entry };
}

/** `Type/id` from a response location (`Type/id/_history/rev`, relative or absolute). */
function refOf(location: string | undefined): string {
  const m = /([A-Z][A-Za-z]+\/[A-Za-z0-9\-.]+)\/_history\//.exec(location ?? '');
  assert.ok(m?.[1], `a location with a version: ${location}`);
  return m[1];
}

for (const kind of STORE_KINDS) {
  describe(`${kind.name}: FHIR transaction and batch`, { skip: kind.skip }, () => {
    let t: FhirTestApp;
    let existing: string;

    before(async () => {
      t = await fhirTestApp(() => kind.open());
      const res = await t.call('POST', 'Patient', { body: { resourceType: 'Patient', identifier: [{ system: SYS, value: 'existing-1' }] } });
      existing = `Patient/${res.body.id}`;
    });
    after(async () => t.dispose());

    it('rewrites urn:uuid references to the ids it assigns', async () => {
      const res = await t.call('POST', '', {
        body: transaction([
          {
            fullUrl: 'urn:uuid:0b7c1b8e-0000-4000-8000-000000000001',
            request: { method: 'POST', url: 'Patient' },
            resource: { resourceType: 'Patient', id: 'client-chosen', name: [{ family: 'Okafor' }] },
          },
          {
            fullUrl: 'urn:uuid:0b7c1b8e-0000-4000-8000-000000000002',
            request: { method: 'POST', url: 'Encounter' },
            resource: { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'urn:uuid:0b7c1b8e-0000-4000-8000-000000000001' } },
          },
          {
            request: { method: 'POST', url: 'Observation' },
            resource: {
              resourceType: 'Observation',
              status: 'final',
              code: { text: 'Heart rate' },
              subject: { reference: 'urn:uuid:0b7c1b8e-0000-4000-8000-000000000001' },
              encounter: { reference: 'urn:uuid:0b7c1b8e-0000-4000-8000-000000000002' },
            },
          },
        ]),
      });
      assert.equal(res.status, 200, res.text);
      const out = res.body as unknown as Bundle;
      assert.equal(out.type, 'transaction-response');
      assert.deepEqual(out.entry?.map((e) => e.response?.status), ['201', '201', '201']);
      const [patient, encounter, observation] = (out.entry ?? []).map((e) => refOf(e.response?.location));
      assert.ok(patient && encounter && observation);
      assert.notEqual(patient, 'Patient/client-chosen', 'a POST ignores the client id');
      const obs = (await t.call('GET', observation)).body as unknown as Observation;
      assert.equal(obs.subject?.reference, patient);
      assert.equal(obs.encounter?.reference, encounter);
      const enc = await t.call('GET', encounter);
      assert.deepEqual(enc.body.subject, { reference: patient });
      const search = await t.call('GET', `Observation?subject=${patient}`);
      assert.equal((search.body.entry as unknown[]).length, 1, 'the rewritten reference is indexed');
    });

    it('resolves conditional references by search', async () => {
      const res = await t.call('POST', '', {
        body: transaction([
          {
            request: { method: 'POST', url: 'Observation' },
            resource: { resourceType: 'Observation', status: 'final', code: { text: 'Weight' }, subject: { reference: `Patient?identifier=${SYS}|existing-1` } },
          },
        ]),
      });
      assert.equal(res.status, 200, res.text);
      const ref = refOf((res.body as unknown as Bundle).entry?.[0]?.response?.location);
      const obs = (await t.call('GET', ref)).body as unknown as Observation;
      assert.equal(obs.subject?.reference, existing);
    });

    const badReference = (reference: string) =>
      transaction([
        { fullUrl: 'urn:uuid:11111111-0000-4000-8000-000000000001', request: { method: 'POST', url: 'Patient' }, resource: { resourceType: 'Patient' } },
        {
          request: { method: 'POST', url: 'Observation' },
          resource: { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference } },
        },
      ]);

    for (const [what, reference, message] of [
      ['a urn:uuid that is not in the bundle', 'urn:uuid:99999999-0000-4000-8000-000000000000', /points at no entry of this transaction/],
      ['a resource that does not exist', 'Patient/does-not-exist', /does not exist/],
      ['a conditional reference that matches nothing', `Patient?identifier=${SYS}|nobody`, /matches no resource/],
    ] as const) {
      it(`a reference to ${what} is a 400 at the element and stores nothing`, async () => {
        await assertUnchanged(t, async () => {
          assertOutcome(await t.call('POST', '', { body: badReference(reference) }), 400, {
            code: 'invalid',
            diagnostics: message,
            expression: 'Bundle.entry[1].resource.subject.reference',
          });
        });
      });
    }

    it('one invalid entry fails the whole transaction and names Bundle.entry[i]', async () => {
      await assertUnchanged(t, async () => {
        const res = await t.call('POST', '', {
          body: transaction([
            { request: { method: 'POST', url: 'Patient' }, resource: { resourceType: 'Patient', name: [{ family: 'Fine' }] } },
            { request: { method: 'PUT', url: 'Patient/tx-put-ok' }, resource: { resourceType: 'Patient', id: 'tx-put-ok' } },
            { request: { method: 'POST', url: 'Patient' }, resource: { resourceType: 'Patient', birthDate: 'not-a-date' } },
          ]),
        });
        const oo = assertOutcome(res, 400, { expression: 'Bundle.entry[2].resource.birthDate' });
        assert.match(oo.issue[0]?.diagnostics ?? '', /^Bundle\.entry\[2\]/);
      });
      assertOutcome(await t.call('GET', 'Patient/tx-put-ok'), 404);
      const fine = await t.call('GET', 'Patient?family=Fine&_summary=count');
      assert.equal(fine.body.total, 0);
    });

    it('malformed bundles and entries are 400s at the bad element', async () => {
      await assertUnchanged(t, async () => {
        assertOutcome(await t.call('POST', '', { body: { resourceType: 'Bundle', type: 'collection', entry: [] } }), 400, { expression: 'Bundle.type' });
        assertOutcome(await t.call('POST', '', { body: { resourceType: 'Patient' } }), 400, { expression: 'Bundle.resourceType' });
        assertOutcome(await t.call('POST', '', { body: transaction([{ resource: { resourceType: 'Patient' } }]) }), 400, { expression: 'Bundle.entry[0].request' });
        assertOutcome(
          await t.call('POST', '', { body: transaction([{ request: { method: 'PATCH', url: 'Patient/1' } }]) }),
          400,
          { expression: 'Bundle.entry[0].request.method' },
        );
        const numeric = transaction([{ request: { method: 'POST', url: 'Patient', ifNoneExist: 5 as unknown as string }, resource: { resourceType: 'Patient' } }]);
        assertOutcome(await t.call('POST', '', { body: numeric }), 400, { expression: 'Bundle.entry[0].request.ifNoneExist' });
        const typo = transaction([{ request: { method: 'POST', url: 'Patient', ifNoneExist: 'identifer=x|1' }, resource: { resourceType: 'Patient' } }]);
        assertOutcome(await t.call('POST', '', { body: typo }), 400, { diagnostics: /identifer/, expression: 'Bundle.entry[0].request.ifNoneExist' });
        const twice = transaction([
          { request: { method: 'PUT', url: 'Patient/tx-twice' }, resource: { resourceType: 'Patient', id: 'tx-twice' } },
          { request: { method: 'DELETE', url: 'Patient/tx-twice' } },
        ]);
        assertOutcome(await t.call('POST', '', { body: twice }), 400, { diagnostics: /more than one entry/, expression: 'Bundle.entry[1].request.url' });
        assertOutcome(
          await t.call('POST', '', { body: transaction([{ request: { method: 'PUT', url: 'Patient' }, resource: { resourceType: 'Patient' } }]) }),
          400,
          { expression: 'Bundle.entry[0].request.url' },
        );
        assertOutcome(
          await t.call('POST', '', { body: transaction([{ request: { method: 'POST', url: 'Patient' }, resource: { resourceType: 'Observation' } as unknown as Observation }]) }),
          400,
          { expression: 'Bundle.entry[0].resource.resourceType' },
        );
      });
    });

    it('posting the same transaction twice with conditional creates stores no duplicates', async () => {
      const bundle = transaction([
        {
          fullUrl: 'urn:uuid:22222222-0000-4000-8000-000000000001',
          request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=${SYS}|twice-1` },
          resource: { resourceType: 'Patient', identifier: [{ system: SYS, value: 'twice-1' }] },
        },
        {
          request: { method: 'POST', url: 'Observation', ifNoneExist: `identifier=${SYS}|obs-twice-1` },
          resource: {
            resourceType: 'Observation',
            identifier: [{ system: SYS, value: 'obs-twice-1' }],
            status: 'final',
            code: { text: 'x' },
            subject: { reference: 'urn:uuid:22222222-0000-4000-8000-000000000001' },
          },
        },
      ]);
      const first = await t.call('POST', '', { body: bundle });
      assert.equal(first.status, 200, first.text);
      const firstEntries = (first.body as unknown as Bundle).entry ?? [];
      assert.deepEqual(firstEntries.map((e) => e.response?.status), ['201', '201']);
      await assertUnchanged(t, async () => {
        const second = await t.call('POST', '', { body: bundle });
        assert.equal(second.status, 200, second.text);
        const entries = (second.body as unknown as Bundle).entry ?? [];
        assert.deepEqual(entries.map((e) => e.response?.status), ['200', '200']);
        assert.deepEqual(
          entries.map((e) => refOf(e.response?.location)),
          firstEntries.map((e) => refOf(e.response?.location)),
        );
      });
      for (const [type, value] of [['Patient', 'twice-1'], ['Observation', 'obs-twice-1']]) {
        const count = await t.call('GET', `${type}?identifier=${SYS}|${value}&_summary=count`);
        assert.equal(count.body.total, 1, `one ${type}`);
      }
    });

    it('runs PUT, DELETE and GET entries, deletes first', async () => {
      await t.call('PUT', 'Patient/tx-delete-me', { body: { resourceType: 'Patient', id: 'tx-delete-me' } });
      const res = await t.call('POST', '', {
        body: transaction([
          { request: { method: 'GET', url: 'Patient/tx-updated' } },
          { request: { method: 'PUT', url: 'Patient/tx-updated' }, resource: { resourceType: 'Patient', id: 'tx-updated', gender: 'female' } },
          { request: { method: 'DELETE', url: 'Patient/tx-delete-me' } },
        ]),
      });
      assert.equal(res.status, 200, res.text);
      const entries = (res.body as unknown as Bundle).entry ?? [];
      assert.deepEqual(entries.map((e) => e.response?.status), ['200', '201', '200']);
      assert.equal((entries[0]?.resource as { gender?: string }).gender, 'female', 'GET runs after the PUT');
      assertOutcome(await t.call('GET', 'Patient/tx-delete-me'), 410);
    });

    it('a batch runs each entry on its own: one failure leaves the others stored', async () => {
      const res = await t.call('POST', '', {
        body: transaction(
          [
            { request: { method: 'POST', url: 'Patient' }, resource: { resourceType: 'Patient', name: [{ family: 'BatchOne' }] } },
            { request: { method: 'POST', url: 'Patient' }, resource: { resourceType: 'Patient', birthDate: '2020-99-99' } },
            { request: { method: 'GET', url: 'Patient/does-not-exist' } },
            { request: { method: 'PUT', url: 'Patient/batch-two' }, resource: { resourceType: 'Patient', id: 'batch-two', name: [{ family: 'BatchTwo' }] } },
          ],
          'batch',
        ),
      });
      assert.equal(res.status, 200, res.text);
      const out = res.body as unknown as Bundle;
      assert.equal(out.type, 'batch-response');
      const entries = out.entry ?? [];
      assert.deepEqual(entries.map((e) => e.response?.status), ['201', '400', '404', '201']);
      const failed = entries[1]?.response?.outcome as OperationOutcome | undefined;
      assert.equal(failed?.resourceType, 'OperationOutcome');
      assert.deepEqual(failed?.issue[0]?.expression, ['Patient.birthDate']);
      assert.equal((entries[2]?.response?.outcome as OperationOutcome | undefined)?.issue[0]?.code, 'not-found');
      assert.equal((await t.call('GET', 'Patient?family=BatchOne&_summary=count')).body.total, 1);
      assert.equal((await t.call('GET', 'Patient/batch-two')).status, 200);
    });
  });
}
