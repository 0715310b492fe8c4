/**
 * Documents over HTTP on SQLite and PostgreSQL: upload (content-addressed Binary, deduplicated),
 * view and download with the right type, and bad input — a "PDF" that is not one, a type
 * mismatch, an unsupported type, an unknown patient, uploads over the configured limit
 * (including 200 MB) — answered with an OperationOutcome and nothing stored.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import PDFDocument from 'pdfkit';
import type { Binary } from '@medplum/fhirtypes';
import { STORE_KINDS } from './helpers/stores.js';
import { assertUnchanged, fhirTestApp } from './helpers/fhir-app.js';
import type { FhirTestApp } from './helpers/fhir-app.js';
import { smallPractice } from './labs-fixtures.js';

const clock = { now: () => Date.parse('2026-01-10T12:00:00Z') };
// A 1×1 transparent PNG.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

async function pdf(textLine: string): Promise<Buffer> {
  const doc = new PDFDocument({ info: { CreationDate: new Date(0), Title: 'test' } });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve) => doc.on('end', () => resolve()));
  doc.text(textLine);
  doc.end();
  await done;
  return Buffer.concat(chunks);
}

interface Raw {
  status: number;
  headers: Record<string, unknown>;
  body: Record<string, unknown>;
  raw: Buffer;
}

async function send(t: FhirTestApp, method: 'GET' | 'POST', url: string, payload?: Buffer | Readable, headers: Record<string, string> = {}): Promise<Raw> {
  const res = await t.app.inject({ method, url, headers: { authorization: `Bearer ${t.token}`, ...headers }, ...(payload ? { payload } : {}) });
  const isJson = /json/.test(String(res.headers['content-type'] ?? ''));
  return { status: res.statusCode, headers: res.headers, body: isJson ? (JSON.parse(res.body) as Record<string, unknown>) : {}, raw: res.rawPayload };
}

function outcome(r: Raw, status: number, pattern: RegExp): void {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.resourceType, 'OperationOutcome');
  assert.match(String((r.body.issue as { diagnostics?: string }[])[0]?.diagnostics), pattern);
}

/** A stream of `total` zero bytes in 1 MiB chunks (one buffer reused: no 200 MB in memory). */
function zeros(total: number): Readable {
  const chunk = Buffer.alloc(1024 * 1024);
  let left = total;
  return new Readable({
    read() {
      if (left <= 0) return this.push(null);
      const n = Math.min(left, chunk.length);
      left -= n;
      this.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    },
  });
}

for (const kind of STORE_KINDS) {
  describe(`documents (${kind.name})`, { skip: kind.skip }, () => {
    it('stores an uploaded PDF once by its SHA-256, serves it back byte for byte, and files a PNG inbound letter', async () => {
      const t = await fhirTestApp(kind.open, { clinicalClock: clock });
      try {
        await smallPractice(t.repo);
        const bytes = await pdf('Discharge summary');
        const sha = createHash('sha256').update(bytes).digest('hex');
        const up = await send(t, 'POST', '/api/patients/pat-munoz/documents?title=Discharge%20summary&category=scan&date=2025-12-20', bytes, { 'content-type': 'application/pdf' });
        assert.equal(up.status, 201, JSON.stringify(up.body));
        assert.equal(up.body.sha256, sha);
        assert.equal(up.body.contentType, 'application/pdf');
        assert.equal(up.body.size, bytes.length);
        assert.equal(up.body.title, 'Discharge summary');
        assert.equal(up.body.date, '2025-12-20');
        assert.equal(up.body.deduplicated, false);
        const binary = JSON.parse((await t.repo.read('Binary', sha)).json) as Binary;
        assert.equal(binary.contentType, 'application/pdf');

        const got = await send(t, 'GET', `/api/documents/${String(up.body.id)}/content`);
        assert.equal(got.status, 200);
        assert.equal(got.headers['content-type'], 'application/pdf');
        assert.equal(got.headers['etag'], `"${sha}"`);
        assert.equal(got.headers['cache-control'], 'no-store');
        assert.match(String(got.headers['content-disposition']), /^inline; filename="Discharge summary\.pdf"$/);
        assert.ok(got.raw.equals(bytes), 'the same bytes come back');
        const download = await send(t, 'GET', `/api/documents/${String(up.body.id)}/content?download=1`);
        assert.match(String(download.headers['content-disposition']), /^attachment;/);

        const again = await send(t, 'POST', '/api/patients/pat-bronte/documents?category=lab-report', bytes, { 'content-type': 'application/pdf' });
        assert.equal(again.status, 201);
        assert.equal(again.body.deduplicated, true);
        const counts = await t.repo.countByType();
        assert.equal(counts.Binary, 1, 'one Binary for the same bytes');
        assert.equal(counts.DocumentReference, 2);

        const png = await send(t, 'POST', '/api/patients/pat-munoz/documents?category=inbound-letter&title=Letter%20from%20cardiology', PNG, { 'content-type': 'image/png' });
        assert.equal(png.status, 201, JSON.stringify(png.body));
        const list = await t.request('GET', '/api/patients/pat-munoz/documents');
        const docs = list.body.documents as { title: string; category: string }[];
        assert.deepEqual(docs.map((d) => d.category).sort(), ['inbound-letter', 'scan']);
        const letters = await t.request('GET', '/api/patients/pat-munoz/documents?category=inbound-letter');
        assert.deepEqual((letters.body.documents as { title: string }[]).map((d) => d.title), ['Letter from cardiology']);
      } finally {
        await t.dispose();
      }
    });

    it('refuses bad uploads with a clear error and stores nothing', async () => {
      const t = await fhirTestApp(kind.open, { clinicalClock: clock, documents: { maxUploadBytes: 64 * 1024 } });
      try {
        await smallPractice(t.repo);
        const bytes = await pdf('x');
        await assertUnchanged(t, async () => {
          const url = '/api/patients/pat-munoz/documents';
          outcome(await send(t, 'POST', url, Buffer.from('%PDX this is a text file, not a PDF'), { 'content-type': 'application/pdf' }), 400, /not a application\/pdf file .*PDF header and trailer/);
          outcome(await send(t, 'POST', url, Buffer.from('%PDF-1.7\n no trailer'), { 'content-type': 'application/pdf' }), 400, /not a application\/pdf file/);
          outcome(await send(t, 'POST', url, PNG, { 'content-type': 'application/pdf' }), 400, /sent as application\/pdf but is image\/png/);
          outcome(await send(t, 'POST', url, Buffer.from('<html></html>'), { 'content-type': 'text/html' }), 415, /not supported/);
          outcome(await send(t, 'POST', url, Buffer.alloc(0), { 'content-type': 'application/pdf' }), 400, /empty/);
          outcome(await send(t, 'POST', '/api/patients/nobody/documents', bytes, { 'content-type': 'application/pdf' }), 404, /Patient\/nobody not found/);
          outcome(await send(t, 'POST', `${url}?category=secret`, bytes, { 'content-type': 'application/pdf' }), 400, /category must be one of/);
          outcome(await send(t, 'POST', `${url}?date=2025-13-45`, bytes, { 'content-type': 'application/pdf' }), 400, /date must be a date/);
          outcome(await send(t, 'POST', url, Buffer.alloc(100 * 1024, 0x25), { 'content-type': 'application/pdf' }), 413, /upload limit of 65536 bytes/);
          // Streamed without a length: counted as it arrives.
          outcome(await send(t, 'POST', url, zeros(200 * 1024), { 'content-type': 'application/octet-stream' }), 413, /upload limit of 65536 bytes/);
          outcome(await send(t, 'GET', '/api/documents/nothing-here/content'), 404, /not found/);
        });
      } finally {
        await t.dispose();
      }
    });

    it('refuses a 200 MB upload under the default 25 MiB limit, storing nothing', async () => {
      const t = await fhirTestApp(kind.open, { clinicalClock: clock });
      try {
        await smallPractice(t.repo);
        const size = 200 * 1024 * 1024;
        await assertUnchanged(t, async () => {
          outcome(
            await send(t, 'POST', '/api/patients/pat-munoz/documents', zeros(size), { 'content-type': 'application/pdf', 'content-length': String(size) }),
            413,
            /upload limit of 26214400 bytes \(25 MiB\): 209715200 bytes; nothing was stored/,
          );
          outcome(await send(t, 'POST', '/api/patients/pat-munoz/documents', zeros(size), { 'content-type': 'application/pdf' }), 413, /upload limit of 26214400 bytes/);
        });
      } finally {
        await t.dispose();
      }
    });
  });
}
