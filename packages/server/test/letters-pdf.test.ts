/**
 * Letters over HTTP on SQLite and PostgreSQL: a referral filled from the chart, edited,
 * signed by its author (locked, PDF stored), rendered as a real PDF; bad input and
 * signing someone else's letter change nothing. The renderer is also read back as text.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { STORE_KINDS } from './helpers/stores.js';
import { assertOutcome, assertUnchanged, fhirTestApp } from './helpers/fhir-app.js';
import type { FhirTestApp } from './helpers/fhir-app.js';
import { renderLetterPdf } from '../src/clinical/letters/letter-pdf.js';
import { smallPractice } from './labs-fixtures.js';

const clock = { now: () => Date.parse('2026-01-10T12:00:00Z') };

/** Checks the PDF's skeleton: header, `startxref` pointing at the cross-reference table, `%%EOF` trailer. */
export function assertRealPdf(bytes: Buffer): void {
  const text = bytes.toString('latin1');
  assert.match(text.slice(0, 16), /^%PDF-1\.\d/, 'PDF header');
  assert.match(text.slice(-32), /%%EOF\s*$/, 'PDF trailer');
  const m = /startxref\s+(\d+)\s+%%EOF\s*$/.exec(text);
  assert.ok(m?.[1], 'startxref');
  assert.equal(text.slice(Number(m[1]), Number(m[1]) + 4), 'xref', 'startxref points at the xref table');
  assert.match(text, /\/Type \/Page\b/, 'at least one page');
}

/** The text shown by an uncompressed pdfkit PDF (hex strings of its TJ operators). */
function shownText(bytes: Buffer): string {
  const hex = [...bytes.toString('latin1').matchAll(/<([0-9a-f]+)>/g)].map((m) => Buffer.from(m[1] ?? '', 'hex').toString('latin1'));
  return hex.join('');
}

async function pdfOf(t: FhirTestApp, id: string): Promise<{ status: number; type: unknown; bytes: Buffer }> {
  const res = await t.app.inject({ method: 'GET', url: `/api/letters/${id}/pdf`, headers: { authorization: `Bearer ${t.token}` } });
  return { status: res.statusCode, type: res.headers['content-type'], bytes: res.rawPayload };
}

async function chart(t: FhirTestApp): Promise<void> {
  await t.repo.importMany([
    {
      resourceType: 'Condition',
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
      code: { coding: [{ system: 'http://hl7.org/fhir/sid/icd-10-cm', code: 'F31.70' }], text: 'Bipolar disorder, in remission' },
      subject: { reference: 'Patient/pat-munoz' },
    },
    {
      resourceType: 'MedicationRequest',
      status: 'active',
      intent: 'order',
      medicationCodeableConcept: { text: 'lithium carbonate 300 mg tablet' },
      subject: { reference: 'Patient/pat-munoz' },
      dosageInstruction: [{ text: '2 tablets at night' }],
    },
    {
      resourceType: 'AllergyIntolerance',
      clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' }] },
      code: { text: 'Penicillin' }, patient: { reference: 'Patient/pat-munoz' }, reaction: [{ manifestation: [{ text: 'Hives' }] }] },
  ]);
}

for (const kind of STORE_KINDS) {
  describe(`letters (${kind.name})`, { skip: kind.skip }, () => {
    it('fills a referral from the chart, edits it, signs it (locked, PDF stored) and serves a real PDF', async () => {
      const t = await fhirTestApp(kind.open, { clinicalClock: clock, practiceName: 'Riverside Family & Psychiatry' });
      try {
        await smallPractice(t.repo);
        await chart(t);
        const doctor = await t.actAs('clinician', { practitionerId: 'dr-okafor' });
        const other = await t.actAs('clinician', { practitionerId: 'np-lindqvist' });
        const templates = await doctor.request('GET', '/api/letter-templates');
        assert.deepEqual((templates.body.templates as { id: string }[]).map((x) => x.id), ['referral', 'consult-reply', 'work-school-note', 'to-whom-it-may-concern']);

        const created = await doctor.request('POST', '/api/patients/pat-munoz/letters', { body: { template: 'referral', recipient: 'Dr. Ruth Adler\nRiverside Cardiology' } });
        assert.equal(created.status, 201, created.text);
        const id = created.body.id as string;
        assert.equal(created.body.status, 'draft');
        assert.equal(created.body.subject, 'Referral: José Muñoz, born 1968-03-14');
        const text = created.body.body as string;
        assert.match(text, /see José Muñoz \(born 1968-03-14\)/);
        assert.match(text, /- Bipolar disorder, in remission \(F31\.70\)/);
        assert.match(text, /- lithium carbonate 300 mg tablet: 2 tablets at night/);
        assert.match(text, /- Penicillin \(Hives\)/);
        assert.equal(created.body.author, 'dr-okafor');

        const draftPdf = await pdfOf(t, id);
        assert.equal(draftPdf.status, 200);
        assert.equal(draftPdf.type, 'application/pdf');
        assertRealPdf(draftPdf.bytes);

        const edited = await doctor.request('PUT', `/api/letters/${id}`, { body: { body: `${text.replace('[reason for referral]', 'palpitations on lithium')}` } });
        assert.equal(edited.status, 200, edited.text);
        assert.match(edited.body.body as string, /regarding: palpitations on lithium/);

        await assertUnchanged(t, async () => {
          assertOutcome(await other.request('POST', `/api/letters/${id}/sign`), 403, { diagnostics: /Only the letter's author/ });
        });
        const signed = await doctor.request('POST', `/api/letters/${id}/sign`);
        assert.equal(signed.status, 200, signed.text);
        assert.equal(signed.body.status, 'signed');
        assert.equal(signed.body.signedBy, 'dr-okafor');
        assert.equal(signed.body.signedAt, '2026-01-10T12:00:00.000Z');
        const a = await pdfOf(t, id);
        const b = await pdfOf(t, id);
        assertRealPdf(a.bytes);
        assert.ok(a.bytes.equals(b.bytes), 'the signed PDF is the stored one');
        assert.ok(!a.bytes.equals(draftPdf.bytes));

        await assertUnchanged(t, async () => {
          assertOutcome(await doctor.request('PUT', `/api/letters/${id}`, { body: { body: 'changed' } }), 409, { diagnostics: /signed and cannot be edited/ });
          assertOutcome(await doctor.request('POST', `/api/letters/${id}/sign`), 409, { diagnostics: /already signed/ });
        });
        const list = await doctor.request('GET', '/api/patients/pat-munoz/letters');
        assert.deepEqual((list.body.letters as { id: string; status: string }[]).map((l) => [l.id, l.status]), [[id, 'signed']]);
      } finally {
        await t.dispose();
      }
    });

    it('refuses bad letters and keeps the front desk out, changing nothing', async () => {
      const t = await fhirTestApp(kind.open, { clinicalClock: clock });
      try {
        await smallPractice(t.repo);
        const doctor = await t.actAs('clinician', { practitionerId: 'dr-okafor' });
        const desk = await t.actAs('front-desk');
        await assertUnchanged(t, async () => {
          assertOutcome(await doctor.request('POST', '/api/patients/pat-munoz/letters', { body: { template: 'poem' } }), 400, { diagnostics: /template must be one of/ });
          assertOutcome(await doctor.request('POST', '/api/patients/nobody/letters', { body: { template: 'referral' } }), 404);
          assertOutcome(await doctor.request('POST', '/api/patients/pat-munoz/letters', { body: { template: 'referral', subject: 'x'.repeat(301) } }), 400, { diagnostics: /subject must be at most 300/ });
          assertOutcome(await doctor.request('PUT', '/api/letters/nope', { body: { body: 'x' } }), 404);
          assertOutcome(await desk.request('POST', '/api/patients/pat-munoz/letters', { body: { template: 'referral' } }), 403);
          assertOutcome(await t.request('GET', '/api/letters/nope/pdf'), 404);
        });
        const created = await doctor.request('POST', '/api/patients/pat-munoz/letters', { body: { template: 'work-school-note' } });
        await assertUnchanged(t, async () => {
          assertOutcome(await doctor.request('PUT', `/api/letters/${String(created.body.id)}`, { body: { owner: 'me' } }), 400, { diagnostics: /Unknown field/ });
          assertOutcome(await doctor.request('PUT', `/api/letters/${String(created.body.id)}`, { body: { body: 'x' }, headers: { 'if-match': 'W/"1-0000"' } }), 412);
        });
      } finally {
        await t.dispose();
      }
    });
  });
}

describe('letter PDF rendering', () => {
  it('puts the letterhead, subject, body, and a DRAFT mark or the signature on the page', async () => {
    const base = {
      practiceName: 'Riverside Family & Psychiatry',
      letterhead: ['200 River Street · Riverside, MA 01901', 'Tel. +1 413 555 0100'],
      date: '2026-01-10',
      recipient: 'Dr. Ruth Adler',
      subject: 'Referral: Jose Munoz',
      body: 'Dear colleague,\nPlease see this patient.',
      patientLine: 'Patient: Jose Munoz, born 1968-03-14',
      createdAt: Date.parse('2026-01-10T12:00:00Z'),
      compress: false,
    };
    const draft = await renderLetterPdf({ ...base, draft: true });
    assertRealPdf(draft);
    const shown = shownText(draft);
    for (const s of ['Riverside Family & Psychiatry', '200 River Street', 'Referral: Jose Munoz', 'Please see this patient.', 'DRAFT', 'Dr. Ruth Adler']) assert.ok(shown.includes(s), `shows "${s}"`);
    const signed = await renderLetterPdf({ ...base, draft: false, signer: { name: 'Dr. Amaka Okafor', credentials: 'MD', signedAt: '2026-01-10T12:00:00.000Z' } });
    const signedText = shownText(signed);
    assert.ok(signedText.includes('Dr. Amaka Okafor, MD'));
    assert.ok(signedText.includes('Electronically signed 2026-01-10T12:00:00.000Z'));
    assert.ok(!signedText.includes('DRAFT'));
    assert.ok(signed.equals(await renderLetterPdf({ ...base, draft: false, signer: { name: 'Dr. Amaka Okafor', credentials: 'MD', signedAt: '2026-01-10T12:00:00.000Z' } })), 'deterministic');
  });
});
