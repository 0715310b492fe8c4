/**
 * The demo practice exercises labs and correspondence (SQLite and PostgreSQL): José Muñoz's
 * lithium series spans more than five years with levels out of range, the psychiatrist's
 * results inbox holds unacknowledged abnormal results, a draft referral renders as a PDF, a
 * signed work note has its stored PDF and is locked, and a message thread is open.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { STORE_KINDS } from './helpers/stores.js';
import { assertOutcome, fhirTestApp } from './helpers/fhir-app.js';
import { loadDemo } from '../src/demo/load-demo.js';
import { demoIds } from '../src/demo/demo-ids.js';

const TODAY = new Date(2026, 0, 14, 10, 0, 0);
const id = demoIds('1');
const munoz = id('Patient/0');
const psychiatrist = id('Practitioner/psychiatrist');

for (const kind of STORE_KINDS) {
  describe(`demo labs and correspondence (${kind.name})`, { skip: kind.skip }, () => {
    it('has a 5-year lithium trend with out-of-range levels, an inbox, a draft and a signed letter and an open thread', async () => {
      const t = await fhirTestApp(kind.open, { clinicalClock: { now: () => TODAY.getTime() } });
      try {
        await loadDemo(t.repo, { patients: 6, seed: 1, today: TODAY });
        const trend = await t.request('GET', `/api/patients/${munoz}/labs/trend?code=14334-7`);
        assert.equal(trend.status, 200, trend.text);
        const points = trend.body.points as { date: string; value: number; flag?: string }[];
        const years = (Date.parse(points[points.length - 1]?.date ?? '') - Date.parse(points[0]?.date ?? '')) / (365.25 * 86_400_000);
        assert.ok(years >= 5, `series spans ${years.toFixed(1)} years`);
        assert.deepEqual(trend.body.range, { source: 'loinc-table', low: 0.8, high: 1.2 });
        assert.ok(points.some((p) => p.flag === 'H') && points.some((p) => p.flag === 'L'), 'levels above and below the range');
        assert.ok(points.every((p, i) => i === 0 || p.date >= (points[i - 1]?.date ?? '')), 'in date order');

        const inbox = await t.request('GET', `/api/results-inbox?practitioner=${psychiatrist}`);
        const items = inbox.body.items as { id: string; patient: { id: string }; results: { code: string; flag: string }[] }[];
        const lithium = items.find((i) => i.patient.id === munoz && i.results[0]?.code === '14334-7');
        assert.ok(lithium, 'Muñoz\'s high lithium waits in the psychiatrist\'s inbox');
        assert.equal(lithium.results[0]?.flag, 'H');
        const all = await t.request('GET', '/api/results-inbox?practitioner=all');
        assert.ok((all.body.items as unknown[]).length >= items.length);

        const letters = await t.request('GET', `/api/patients/${munoz}/letters`);
        const [letter] = letters.body.letters as { id: string; status: string; template: string }[];
        assert.equal(letter?.status, 'draft');
        assert.equal(letter?.template, 'referral');
        const pdf = await t.app.inject({ method: 'GET', url: `/api/letters/${letter?.id}/pdf`, headers: { authorization: `Bearer ${t.token}` } });
        assert.equal(pdf.statusCode, 200);
        assert.match(pdf.rawPayload.subarray(0, 8).toString('latin1'), /^%PDF-1\./);

        // Zoë Brontë's work note is signed: locked, with the PDF stored when it was signed.
        const signed = await t.request('GET', `/api/patients/${id('Patient/1')}/letters`);
        const [note] = signed.body.letters as { id: string; status: string; template: string; signedBy?: string; signedAt?: string }[];
        assert.deepEqual([note?.status, note?.template, note?.signedBy], ['signed', 'work-school-note', id('Practitioner/psychotherapist')]);
        assert.equal(note?.signedAt, TODAY.toISOString());
        const stored = await t.app.inject({ method: 'GET', url: `/api/letters/${note?.id}/pdf`, headers: { authorization: `Bearer ${t.token}` } });
        assert.equal(stored.statusCode, 200);
        assert.doesNotMatch(String(stored.headers['content-disposition']), /draft/, 'the stored signed PDF, not a draft rendering');
        assertOutcome(await t.request('PUT', `/api/letters/${note?.id}`, { body: { body: 'changed' } }), 409, { diagnostics: /signed and cannot be edited/ });

        const threads = await t.request('GET', `/api/patients/${munoz}/messages?status=open`);
        const [thread] = threads.body.threads as { messages: { direction: string }[] }[];
        assert.deepEqual(thread?.messages.map((m) => m.direction), ['from-patient', 'to-patient']);
      } finally {
        await t.dispose();
      }
    });
  });
}
