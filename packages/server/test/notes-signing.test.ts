/**
 * Clinical notes on both databases: templates (built-in and the practice's, smart fields),
 * drafts, signing (locked: author, signer, time), addenda, amendments on a patient's
 * request (accepted and denied, both recorded), psychotherapy notes labelled and kept from
 * other clinicians, and refusals that change nothing: editing a signed note, editing or
 * signing someone else's note, notes by non-clinicians.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DocumentReference } from '@medplum/fhirtypes';
import { STORE_KINDS } from './helpers/stores.js';
import { assertOutcome, assertUnchanged, fhirTestApp } from './helpers/fhir-app.js';
import type { ActingUser, FhirTestApp } from './helpers/fhir-app.js';
import { MONDAY_8AM, TestClock, seedClinic } from './helpers/clinic-fixture.js';
import type { NoteDetail } from '../src/clinical/notes/note-service.js';
import type { NoteView } from '../src/clinical/notes/note-model.js';
import type { ChartSummary } from '../src/clinical/chart-summary/chart-summary.js';

for (const kind of STORE_KINDS) {
  describe(`notes (${kind.name})`, { skip: kind.skip }, () => {
    let t: FhirTestApp;
    let drA: ActingUser;
    let drB: ActingUser;
    const clock = new TestClock(MONDAY_8AM);
    before(async () => {
      t = await fhirTestApp(() => kind.open(), { clinicalClock: clock });
      await seedClinic(t.repo);
      drA = await t.actAs('clinician', { practitionerId: 'dr-a' });
      drB = await t.actAs('clinician', { practitionerId: 'dr-b' });
    });
    after(async () => t?.dispose());

    let soap = '';

    it('lists the built-in templates and keeps the practice its own, with smart fields checked', async () => {
      const r = await drA.request('GET', '/api/note-templates');
      assert.equal(r.status, 200, r.text);
      const list = r.body.templates as { id: string; psychotherapy: boolean; builtIn: boolean }[];
      assert.deepEqual(list.map((x) => x.id), ['soap', 'psychiatric-evaluation', 'medication-management', 'psychotherapy', 'phone', 'letter']);
      assert.equal(list.find((x) => x.id === 'psychotherapy')?.psychotherapy, true);
      await assertUnchanged(t, async () => {
        assertOutcome(await t.request('POST', '/api/note-templates', { body: { title: 'X', sections: [{ key: 'a', title: 'A', text: '{{labs}}' }] } }), 400, { diagnostics: /unknown smart field \{\{labs\}\}/ });
        assertOutcome(await t.request('POST', '/api/note-templates', { body: { title: 'X', sections: [] } }), 400, { expression: 'sections' });
        assertOutcome(await t.request('PUT', '/api/note-templates/soap', { body: { title: 'X', sections: [{ key: 'a', title: 'A' }] } }), 400, { diagnostics: /built-in/ });
      });
      const mine = await t.request('POST', '/api/note-templates', {
        body: { title: 'Allergy check', kind: 'clinical', sections: [{ key: 'allergies', title: 'Allergies', text: 'Known: {{allergies}}' }, { key: 'plan', title: 'Plan' }] },
      });
      assert.equal(mine.status, 201, mine.text);
      const edited = await t.request('PUT', `/api/note-templates/${mine.body.id as string}`, {
        body: { title: 'Allergy review', sections: [{ key: 'allergies', title: 'Allergies', text: 'Known: {{allergies}} for {{patient.name}}' }, { key: 'plan', title: 'Plan' }] },
      });
      assert.equal(edited.status, 200, edited.text);
      const note = await drA.request('POST', '/api/patients/bob/notes', { body: { template: mine.body.id } });
      assert.equal(note.status, 201, note.text);
      const v = note.body as unknown as NoteView;
      assert.equal(v.title, 'Allergy review');
      assert.equal(v.sections[0]?.text, "Known: Penicillin for Robert O'Connor");
    });

    it('starts a draft from a template with smart fields, edited only by its author', async () => {
      const r = await drA.request('POST', '/api/patients/alice/notes', { body: { template: 'soap', sections: { subjective: 'Sleeping better.' } } });
      assert.equal(r.status, 201, r.text);
      const v = r.body as unknown as NoteView;
      soap = v.id;
      assert.equal(v.status, 'draft');
      assert.equal(v.author.reference, 'Practitioner/dr-a');
      assert.deepEqual(v.sections.map((s) => [s.key, s.text]), [
        ['subjective', 'Sleeping better.'],
        ['objective', 'Vitals: no vitals recorded'],
        ['assessment', 'Problems: no active problems'],
        ['plan', 'Medications: no active medications'],
      ]);
      const doc = (await t.call('GET', `DocumentReference/${soap}`)).body as unknown as DocumentReference;
      assert.equal(doc.docStatus, 'preliminary');
      assert.match(Buffer.from(doc.content[0]?.attachment.data ?? '', 'base64').toString(), /Subjective\nSleeping better\./);

      const edit = await drA.request('PUT', `/api/notes/${soap}`, { body: { sections: { plan: 'Continue lithium; level in 3 months.' } } });
      assert.equal(edit.status, 200, edit.text);
      assert.equal((edit.body as unknown as NoteView).sections[3]?.text, 'Continue lithium; level in 3 months.');
      await assertUnchanged(t, async () => {
        assertOutcome(await drB.request('PUT', `/api/notes/${soap}`, { body: { sections: { plan: 'Stop everything' } } }), 403, { diagnostics: /only its author can edit it/ });
        assertOutcome(await drA.request('PUT', `/api/notes/${soap}`, { body: { sections: { nonsense: 'x' } } }), 400, { expression: 'sections.nonsense' });
        assertOutcome(await drA.request('POST', '/api/patients/alice/notes', { body: { template: 'nope' } }), 400, { expression: 'template' });
        assertOutcome(await drA.request('POST', '/api/patients/nobody/notes', { body: { template: 'soap' } }), 404);
        const desk = await t.actAs('front-desk');
        const r2 = await desk.request('POST', '/api/patients/alice/notes', { body: { template: 'soap' } });
        assert.equal(r2.status, 403, r2.text);
      });
    });

    it('signs only the author’s own draft; a signed note is locked', async () => {
      await assertUnchanged(t, async () => {
        assertOutcome(await drB.request('POST', `/api/notes/${soap}/sign`), 403, { diagnostics: /only its author can sign it/ });
        assertOutcome(await drA.request('POST', `/api/notes/${soap}/addendum`, { body: { text: 'x' } }), 409, { diagnostics: /still a draft/ });
      });
      clock.ms += 3_600_000;
      const s = await drA.request('POST', `/api/notes/${soap}/sign`);
      assert.equal(s.status, 200, s.text);
      const v = s.body as unknown as NoteView;
      assert.equal(v.status, 'signed');
      assert.equal(v.signedBy, 'Practitioner/dr-a');
      assert.match(v.signedAt ?? '', /^2030-03-04T09:00:00/);
      assert.match(v.text, /Electronically signed by Dr\. Amara Okafor at 2030-03-04T09:00:00/);
      await assertUnchanged(t, async () => {
        assertOutcome(await drA.request('PUT', `/api/notes/${soap}`, { body: { sections: { plan: 'changed' } } }), 409, { diagnostics: /signed and locked/ });
        assertOutcome(await drA.request('POST', `/api/notes/${soap}/sign`), 409, { diagnostics: /already signed/ });
      });
      const history = await t.call('GET', `DocumentReference/${soap}/_history`);
      assert.equal((history.body.entry as unknown[]).length, 3, 'created, edited, signed');
    });

    it('appends addenda to a signed note', async () => {
      const a = await drB.request('POST', `/api/notes/${soap}/addendum`, { body: { text: 'Lithium level drawn today: 0.8 mmol/L.' } });
      assert.equal(a.status, 201, a.text);
      const av = a.body as unknown as NoteView;
      assert.equal(av.kind, 'addendum');
      assert.equal(av.status, 'signed');
      assert.equal(av.appends, soap);
      assert.equal(av.author.reference, 'Practitioner/dr-b');
      await assertUnchanged(t, async () => {
        assertOutcome(await drB.request('POST', `/api/notes/${soap}/addendum`, { body: { text: '  ' } }), 400, { expression: 'text' });
        assertOutcome(await drB.request('POST', `/api/notes/${av.id}/addendum`, { body: { text: 'nested' } }), 409);
        assertOutcome(await drB.request('PUT', `/api/notes/${av.id}`, { body: { text: 'rewrite' } }), 409);
      });
      const detail = (await drA.request('GET', `/api/notes/${soap}`)).body as unknown as NoteDetail;
      assert.deepEqual(detail.addenda.map((x) => x.id), [av.id]);
      assert.match(detail.addenda[0]?.text ?? '', /0\.8 mmol\/L/);
    });

    it('records amendment requests, accepted or denied, appended to the note', async () => {
      const req1 = await t.request('POST', `/api/notes/${soap}/amendments`, { body: { request: 'I sleep 6 hours, not 4.', requestedBy: 'Alicia Muñoz (patient)' } });
      assert.equal(req1.status, 201, req1.text);
      assert.equal(req1.body.status, 'requested');
      const req2 = await t.request('POST', `/api/notes/${soap}/amendments`, { body: { request: 'Remove the bipolar diagnosis.' } });
      await assertUnchanged(t, async () => {
        assertOutcome(await drA.request('POST', `/api/amendments/${req2.body.id as string}/decision`, { body: { decision: 'denied' } }), 400, { expression: 'reason' });
        assertOutcome(await drA.request('POST', `/api/amendments/${req2.body.id as string}/decision`, { body: { decision: 'maybe' } }), 400, { expression: 'decision' });
        assertOutcome(await drA.request('POST', `/api/amendments/${req1.body.id as string}/decision`, { body: { decision: 'accepted' } }), 400, { expression: 'amendment' });
        assertOutcome(await t.request('POST', `/api/notes/${soap}/amendments`, { body: {} }), 400, { expression: 'request' });
      });
      const ok = await drA.request('POST', `/api/amendments/${req1.body.id as string}/decision`, { body: { decision: 'accepted', amendment: 'Patient reports about 6 hours of sleep a night.' } });
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.body.status, 'accepted');
      const no = await drA.request('POST', `/api/amendments/${req2.body.id as string}/decision`, { body: { decision: 'denied', reason: 'The diagnosis is supported by the clinical record.' } });
      assert.equal(no.body.status, 'denied');
      await assertUnchanged(t, async () => {
        assertOutcome(await drA.request('POST', `/api/amendments/${req2.body.id as string}/decision`, { body: { decision: 'accepted', amendment: 'x' } }), 409, { diagnostics: /already denied/ });
      });
      const detail = (await drA.request('GET', `/api/notes/${soap}`)).body as unknown as NoteDetail;
      assert.deepEqual(detail.amendments.map((a) => [a.status, a.decidedBy]).sort(), [['accepted', 'Dr. Amara Okafor'], ['denied', 'Dr. Amara Okafor']].sort());
      const kinds = detail.addenda.map((x) => x.kind).sort();
      assert.deepEqual(kinds, ['addendum', 'amendment-accepted', 'amendment-denied']);
      const denied = detail.addenda.find((x) => x.kind === 'amendment-denied');
      assert.match(denied?.text ?? '', /Remove the bipolar diagnosis\.[\s\S]*Request denied\nThe diagnosis is supported/);
      assert.equal(detail.status, 'signed', 'the original stays as signed');
      assert.equal(detail.sections[0]?.text, 'Sleeping better.', 'and unchanged');
    });

    it('labels psychotherapy notes and keeps them from other clinicians', async () => {
      const r = await drA.request('POST', '/api/patients/alice/notes', { body: { template: 'psychotherapy', sections: { session: 'Worked on grief.' } } });
      assert.equal(r.status, 201, r.text);
      const id = (r.body as unknown as NoteView).id;
      assert.equal((r.body as unknown as NoteView).psychotherapy, true);
      const doc = JSON.parse((await t.repo.read('DocumentReference', id)).json) as DocumentReference;
      assert.deepEqual(doc.meta?.security?.map((s) => s.code).sort(), ['PSYTHPN', 'R']);
      const other = await drB.request('GET', `/api/notes/${id}`);
      assert.equal(other.status, 403, other.text);
      const list = (await drB.request('GET', '/api/patients/alice/notes')).body.notes as { id: string }[];
      assert.ok(!list.some((n) => n.id === id), 'left out of another clinician’s list');
      const own = (await drA.request('GET', '/api/patients/alice/notes')).body.notes as { id: string }[];
      assert.ok(own.some((n) => n.id === id));
      const sumB = (await drB.request('GET', '/api/patients/alice/summary')).body as unknown as ChartSummary;
      assert.ok(!sumB.notes.some((n) => n.id === id));
      assert.equal((await drA.request('POST', `/api/notes/${id}/sign`)).status, 200);
    });

    it('accepts a free-text note (title, text, templateId), as the web editor sends it', async () => {
      const r = await drA.request('POST', '/api/patients/carmen/notes', { body: { templateId: 'phone', title: 'Phone call', text: 'Called about refill. Sent to pharmacy.' } });
      assert.equal(r.status, 201, r.text);
      const v = r.body as unknown as NoteView;
      assert.equal(v.title, 'Phone call');
      assert.equal(v.templateId, 'phone');
      assert.match(v.text, /^Phone call\nCarmen Muñoz\n\nCalled about refill\. Sent to pharmacy\.\n$/);
      const u = await drA.request('PUT', `/api/notes/${v.id}`, { body: { title: 'Phone call', text: 'Called about refill. Sent to pharmacy. Advised follow-up.' } });
      assert.equal(u.status, 200, u.text);
      assert.match((u.body as unknown as NoteView).text, /Advised follow-up/);
    });
  });
}
