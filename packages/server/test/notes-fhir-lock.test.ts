/**
 * A signed note is locked on every path, not only through the notes routes: the raw FHIR
 * API refuses to edit or delete a DocumentReference whose docStatus is final, and leaves it
 * as it was; a draft stays editable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertOutcome, assertUnchanged, fhirTestApp } from './helpers/fhir-app.js';

test('FHIR PUT and DELETE of a signed note are refused with 409 and change nothing; drafts stay editable', async () => {
  const t = await fhirTestApp();
  try {
    const patient = await t.repo.create({ resourceType: 'Patient', name: [{ family: 'Ng' }] });
    const note = (status: 'final' | 'preliminary', text: string): Record<string, unknown> => ({
      resourceType: 'DocumentReference',
      status: 'current',
      docStatus: status,
      subject: { reference: `Patient/${patient.id}` },
      content: [{ attachment: { contentType: 'text/plain', data: Buffer.from(text).toString('base64') } }],
    });
    const signed = await t.repo.create(note('final', 'Signed text'));
    const draft = await t.repo.create(note('preliminary', 'Draft text'));

    await assertUnchanged(t, async () => {
      const put = await t.call('PUT', `DocumentReference/${signed.id}`, { body: { ...note('final', 'Rewritten'), id: signed.id } });
      assertOutcome(put, 409, { code: 'conflict', diagnostics: /signed and locked.*cannot be edited/ });
      const del = await t.call('DELETE', `DocumentReference/${signed.id}`);
      assertOutcome(del, 409, { code: 'conflict', diagnostics: /cannot be deleted/ });
      const tx = await t.call('POST', '', {
        body: { resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'DELETE', url: `DocumentReference/${signed.id}` } }] },
      });
      assert.equal(tx.status, 409, tx.text);
    });
    assert.equal((await t.repo.read('DocumentReference', signed.id)).rev, signed.rev);

    const edited = await t.call('PUT', `DocumentReference/${draft.id}`, { body: { ...note('preliminary', 'Draft, edited'), id: draft.id } });
    assert.equal(edited.status, 200, edited.text);
  } finally {
    await t.dispose();
  }
});
