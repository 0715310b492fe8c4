/**
 * Patient messages (FHIR Communication) over HTTP on SQLite and PostgreSQL: write, reply,
 * mark handled (who and when), part of the patient's chart; bad input changes nothing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Communication } from '@medplum/fhirtypes';
import { STORE_KINDS } from './helpers/stores.js';
import { assertOutcome, assertUnchanged, fhirTestApp } from './helpers/fhir-app.js';
import { smallPractice } from './labs-fixtures.js';

let tick = Date.parse('2026-01-10T09:00:00Z');
const clock = { now: () => (tick += 60_000) };

interface Thread {
  id: string;
  status: string;
  subject: string;
  handledBy?: string;
  handledAt?: string;
  messages: { id: string; direction: string; from?: string; to?: string; text: string; inResponseTo?: string }[];
}

for (const kind of STORE_KINDS) {
  describe(`patient messages (${kind.name})`, { skip: kind.skip }, () => {
    it('writes a thread, replies, marks it handled, reopens it with a reply, and keeps it in the chart', async () => {
      const t = await fhirTestApp(kind.open, { clinicalClock: clock });
      try {
        await smallPractice(t.repo);
        const doctor = await t.actAs('clinician', { practitionerId: 'dr-okafor' });
        const nurse = await t.actAs('nurse', { username: 'nurse.kim' });
        const w = await nurse.request('POST', '/api/patients/pat-munoz/messages', {
          body: { subject: 'Tremor since new pain medicine', text: 'Hands shaking more this week, is it the ibuprofen?', direction: 'from-patient' },
        });
        assert.equal(w.status, 201, w.text);
        const thread = w.body as unknown as Thread;
        assert.equal(thread.status, 'open');
        assert.equal(thread.messages[0]?.direction, 'from-patient');
        assert.equal(thread.messages[0]?.from, 'José Muñoz');

        const r = await doctor.request('POST', `/api/patients/pat-munoz/messages/${thread.id}/reply`, { body: { text: 'Please stop ibuprofen and come in for a lithium level tomorrow.' } });
        assert.equal(r.status, 201, r.text);
        const replied = r.body as unknown as Thread;
        assert.equal(replied.messages.length, 2);
        assert.equal(replied.messages[1]?.from, 'Dr. Amaka Okafor');
        assert.equal(replied.messages[1]?.to, 'José Muñoz');
        assert.equal(replied.messages[1]?.inResponseTo, thread.id);

        const h = await doctor.request('POST', `/api/patients/pat-munoz/messages/${replied.messages[1]?.id}/handled`);
        assert.equal(h.status, 200, h.text);
        const handled = h.body as unknown as Thread;
        assert.equal(handled.status, 'handled');
        assert.equal(handled.handledBy, 'Dr. Amaka Okafor');
        assert.match(handled.handledAt ?? '', /^2026-01-10T09:0\d:00\.000Z$/);
        const stored = JSON.parse((await t.repo.read('Communication', thread.id)).json) as Communication;
        assert.equal(stored.status, 'completed');
        assert.equal(stored.subject?.reference, 'Patient/pat-munoz');

        assert.deepEqual(((await doctor.request('GET', '/api/patients/pat-munoz/messages?status=open')).body.threads as Thread[]).length, 0);
        await nurse.request('POST', `/api/patients/pat-munoz/messages/${thread.id}/reply`, { body: { text: 'Patient called back: stopped ibuprofen.', direction: 'from-patient' } });
        const open = (await doctor.request('GET', '/api/patients/pat-munoz/messages?status=open')).body.threads as Thread[];
        assert.deepEqual(open.map((x) => [x.id, x.subject, x.messages.length]), [[thread.id, 'Tremor since new pain medicine', 3]]);

        const everything = await t.call('GET', 'Patient/pat-munoz/$everything');
        const types = ((everything.body.entry ?? []) as { resource: { resourceType: string } }[]).map((e) => e.resource.resourceType);
        assert.equal(types.filter((x) => x === 'Communication').length, 3, 'messages are part of the chart');
      } finally {
        await t.dispose();
      }
    });

    it('refuses bad messages and other patients\' ids, changing nothing', async () => {
      const t = await fhirTestApp(kind.open, { clinicalClock: clock });
      try {
        await smallPractice(t.repo);
        const doctor = await t.actAs('clinician', { practitionerId: 'dr-okafor' });
        const w = await doctor.request('POST', '/api/patients/pat-munoz/messages', { body: { subject: 'Results', text: 'Your lithium level is fine.' } });
        const id = String(w.body.id);
        await assertUnchanged(t, async () => {
          assertOutcome(await doctor.request('POST', '/api/patients/pat-munoz/messages', { body: { subject: 'x', text: '   ' } }), 400, { diagnostics: /text is required/ });
          assertOutcome(await doctor.request('POST', '/api/patients/pat-munoz/messages', { body: { text: 'no subject' } }), 400, { diagnostics: /subject is required/ });
          assertOutcome(await doctor.request('POST', '/api/patients/pat-munoz/messages', { body: { subject: 'x', text: 'y'.repeat(10_001) } }), 400, { diagnostics: /at most 10000/ });
          assertOutcome(await doctor.request('POST', '/api/patients/pat-munoz/messages', { body: { subject: 'x', text: 'y', direction: 'sideways' } }), 400, { diagnostics: /direction/ });
          assertOutcome(await doctor.request('POST', '/api/patients/nobody/messages', { body: { subject: 'x', text: 'y' } }), 404);
          assertOutcome(await doctor.request('POST', `/api/patients/pat-bronte/messages/${id}/reply`, { body: { text: 'wrong chart' } }), 404, { diagnostics: /not found for Patient\/pat-bronte/ });
          assertOutcome(await doctor.request('POST', '/api/patients/pat-munoz/messages/nope/handled'), 404);
          assertOutcome(await doctor.request('GET', '/api/patients/pat-munoz/messages?status=maybe'), 400);
        });
      } finally {
        await t.dispose();
      }
    });
  });
}
