/**
 * Instance, type and system history with paging and `_since`, and vread of old versions
 * (https://hl7.org/fhir/R4/http.html#history).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { STORE_KINDS } from './helpers/stores.js';
import { fhirTestApp, nextLink } from './helpers/fhir-app.js';
import type { FhirReply, FhirTestApp } from './helpers/fhir-app.js';

interface HistoryEntry {
  fullUrl: string;
  resource?: { resourceType: string; id: string; meta: { versionId: string }; active?: boolean };
  request: { method: string; url: string };
  response: { status: string; etag: string };
}

const T0 = Date.parse('2030-01-01T00:00:00.000Z');

/** Follows next links from `path`, returning every page. */
async function allPages(t: FhirTestApp, path: string): Promise<FhirReply[]> {
  const pages = [await t.call('GET', path)];
  for (let next = nextLink(pages[0]!); next; next = nextLink(pages[pages.length - 1]!)) {
    assert.ok(pages.length < 50, 'paging ends');
    pages.push(await t.follow(next));
  }
  for (const p of pages) assert.equal(p.status, 200, p.text);
  return pages;
}

const entriesOf = (pages: FhirReply[]): HistoryEntry[] => pages.flatMap((p) => (p.body.entry ?? []) as HistoryEntry[]);
const key = (e: HistoryEntry): string => `${e.request.url}@${e.response.etag}`;

for (const kind of STORE_KINDS) {
  describe(`${kind.name}: FHIR history`, { skip: kind.skip }, () => {
    let t: FhirTestApp;
    let now = T0;
    const patients: string[] = [];
    const firstVersions = new Map<string, string>();

    before(async () => {
      t = await fhirTestApp(() => kind.open({ clock: { now: () => now } }));
      // 5 patients with 2 versions each (10 revisions), then 3 observations: 13 revisions in all.
      for (let i = 0; i < 5; i++) {
        now += 1000;
        const id = `hist-${i}`;
        const v1 = await t.call('PUT', `Patient/${id}`, { body: { resourceType: 'Patient', id, active: true } });
        firstVersions.set(id, (v1.body.meta as { versionId: string }).versionId);
        patients.push(id);
      }
      for (const id of patients) {
        now += 1000;
        await t.call('PUT', `Patient/${id}`, { body: { resourceType: 'Patient', id, active: false } });
      }
      for (let i = 0; i < 3; i++) {
        now += 1000;
        await t.call('POST', 'Observation', { body: { resourceType: 'Observation', status: 'final', code: { text: `o${i}` } } });
      }
    });
    after(async () => t.dispose());

    it('instance history pages one version at a time, newest first', async () => {
      const pages = await allPages(t, 'Patient/hist-2/_history?_count=1');
      assert.equal(pages.length, 2);
      const entries = entriesOf(pages);
      assert.deepEqual(
        entries.map((e) => e.resource?.active),
        [false, true],
      );
      assert.match(entries[0]!.resource!.meta.versionId, /^2-/);
      assert.equal(entries[1]!.resource!.meta.versionId, firstVersions.get('hist-2'));
      assert.equal(entries[0]!.fullUrl, 'http://localhost:80/fhir/R4/Patient/hist-2');
    });

    it('type history pages through every version of the type exactly once', async () => {
      const pages = await allPages(t, 'Patient/_history?_count=3');
      assert.equal(pages.length, 4);
      const entries = entriesOf(pages);
      assert.equal(entries.length, 10);
      assert.equal(new Set(entries.map(key)).size, 10, 'no version twice');
      assert.ok(entries.every((e) => e.request.url.startsWith('Patient/')));
      assert.deepEqual(
        entries.slice(0, 5).map((e) => e.resource?.active),
        [false, false, false, false, false],
        'newest first',
      );
    });

    it('system history pages through every version of every type', async () => {
      const pages = await allPages(t, '_history?_count=4');
      const entries = entriesOf(pages);
      assert.equal(entries.length, 13);
      assert.equal(new Set(entries.map(key)).size, 13);
      assert.deepEqual(
        entries.slice(0, 3).map((e) => e.request.url.split('/')[0]),
        ['Observation', 'Observation', 'Observation'],
      );
      const next = nextLink(pages[0]!);
      assert.match(next ?? '', /_count=4/);
      assert.match(next ?? '', /_offset=4/);
    });

    it('_since keeps only versions written at or after the instant', async () => {
      const since = new Date(T0 + 9000).toISOString(); // the last 2 patient updates and the observations
      const res = await t.call('GET', `_history?_since=${since}`);
      assert.equal(res.status, 200);
      assert.equal((res.body.entry as unknown[]).length, 5);
    });

    it('vread returns each old version as it was', async () => {
      for (const [id, rev] of firstVersions) {
        const res = await t.call('GET', `Patient/${id}/_history/${rev}`);
        assert.equal(res.status, 200);
        assert.equal(res.body.active, true);
        assert.equal(res.headers.etag, `W/"${rev}"`);
        assert.equal((res.body.meta as { versionId: string }).versionId, rev);
      }
    });

    it('history of an unknown resource is a 404', async () => {
      const res = await t.call('GET', 'Patient/nobody/_history');
      assert.equal(res.status, 404);
      assert.equal(res.body.resourceType, 'OperationOutcome');
    });
  });
}
