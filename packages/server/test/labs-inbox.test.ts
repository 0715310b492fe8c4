/**
 * Results over HTTP on SQLite and PostgreSQL: HL7 and FHIR intake, the results inbox of the
 * responsible clinician, acknowledgement (recorded, once), trend series; bad input answers
 * an OperationOutcome and changes nothing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Observation, Provenance, Task } from '@medplum/fhirtypes';
import { STORE_KINDS } from './helpers/stores.js';
import { assertOutcome, assertUnchanged, fhirTestApp } from './helpers/fhir-app.js';
import type { FhirTestApp } from './helpers/fhir-app.js';
import { oru, smallPractice } from './labs-fixtures.js';

const clock = { now: () => Date.parse('2026-01-10T12:00:00Z') };
const HL7 = { 'content-type': 'x-application/hl7-v2+er7' };

async function withApp(open: (typeof STORE_KINDS)[number]['open'], fn: (t: FhirTestApp) => Promise<void>): Promise<void> {
  const t = await fhirTestApp(open, { clinicalClock: clock });
  try {
    await smallPractice(t.repo);
    await fn(t);
  } finally {
    await t.dispose();
  }
}

function lithium(id: string, date: string, value: number, unit = 'mmol/L'): Observation {
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '14334-7' }], text: 'Lithium' },
    subject: { reference: 'Patient/pat-munoz' },
    effectiveDateTime: date,
    valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit },
  };
}

for (const kind of STORE_KINDS) {
  describe(`results inbox and trends over HTTP (${kind.name})`, { skip: kind.skip }, () => {
    it('puts an abnormal HL7 result in the ordering clinician\'s inbox until acknowledged, and records who and when', async () => {
      await withApp(kind.open, async (t) => {
        const doctor = await t.actAs('clinician', { practitionerId: 'dr-okafor' });
        const filed = await t.request('POST', '/api/results/hl7', { payload: oru({ orderedBy: '1467893206^Okafor^Amaka' }), headers: HL7 });
        assert.equal(filed.status, 201, filed.text);
        const reportId = (filed.body.messages as { reports: string[] }[])[0]?.reports[0] as string;

        const inbox = await doctor.request('GET', '/api/results-inbox');
        assert.equal(inbox.status, 200, inbox.text);
        assert.equal(inbox.body.practitioner, 'dr-okafor');
        const items = inbox.body.items as { id: string; resultType: string; patient: { id: string }; results: { value: number; flag: string; unit: string }[] }[];
        assert.equal(items.length, 1);
        assert.equal(items[0]?.id, reportId);
        assert.equal(items[0]?.resultType, 'DiagnosticReport');
        assert.equal(items[0]?.patient.id, 'pat-munoz');
        assert.deepEqual(items[0]?.results.map((r) => [r.value, r.unit, r.flag]), [[1.4, 'mmol/L', 'H']]);
        const other = await t.request('GET', '/api/results-inbox?practitioner=np-lindqvist');
        assert.equal((other.body.items as unknown[]).length, 0, 'not in another clinician\'s inbox');

        const ack = await doctor.request('POST', `/api/results/${reportId}/acknowledge`, { body: { note: 'Seen; recheck in 5 days' } });
        assert.equal(ack.status, 200, ack.text);
        assert.equal(ack.body.acknowledgedAt, '2026-01-10T12:00:00.000Z');
        const task = JSON.parse((await t.repo.read('Task', ack.body.task as string)).json) as Task;
        assert.equal(task.status, 'completed');
        assert.equal(task.output?.[0]?.valueReference?.reference, 'Practitioner/dr-okafor');
        assert.equal(task.note?.[0]?.text, 'Seen; recheck in 5 days');
        const prov = JSON.parse((await t.repo.read('Provenance', ack.body.provenance as string)).json) as Provenance;
        assert.equal(prov.recorded, '2026-01-10T12:00:00.000Z');
        assert.equal(prov.agent[0]?.who?.reference, 'Practitioner/dr-okafor');
        assert.ok(prov.target.some((r) => r.reference === `DiagnosticReport/${reportId}`));
        assert.equal(((await doctor.request('GET', '/api/results-inbox')).body.items as unknown[]).length, 0, 'gone from the inbox');

        await assertUnchanged(t, async () => {
          assertOutcome(await doctor.request('POST', `/api/results/${reportId}/acknowledge`), 409, { diagnostics: /already acknowledged at 2026-01-10T12:00:00.000Z/ });
          assertOutcome(await doctor.request('POST', '/api/results/no-such-result/acknowledge'), 404, { diagnostics: /not in the results inbox/ });
          assertOutcome(await doctor.request('POST', '/api/results/bad%20id/acknowledge'), 400);
        });
      });
    });

    it('files FHIR results, completing range and flag, and puts abnormal ones in the GP\'s inbox', async () => {
      await withApp(kind.open, async (t) => {
        const bundle = {
          resourceType: 'Bundle',
          type: 'collection',
          entry: [
            {
              fullUrl: 'urn:uuid:0d3c7e7e-0000-4000-8000-000000000001',
              resource: {
                resourceType: 'Observation',
                status: 'final',
                code: { coding: [{ system: 'http://loinc.org', code: '2823-3' }], text: 'Potassium' },
                subject: { reference: 'Patient/pat-bronte' },
                effectiveDateTime: '2026-01-09',
                valueQuantity: { value: 2.9, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' },
              },
            },
            {
              resource: {
                resourceType: 'DiagnosticReport',
                status: 'final',
                code: { text: 'Basic metabolic panel' },
                subject: { reference: 'Patient/pat-bronte' },
                result: [{ reference: 'urn:uuid:0d3c7e7e-0000-4000-8000-000000000001' }],
              },
            },
          ],
        };
        const r = await t.request('POST', '/api/results', { body: bundle });
        assert.equal(r.status, 201, r.text);
        const obs = JSON.parse((await t.repo.read('Observation', (r.body.observations as string[])[0] as string)).json) as Observation;
        assert.equal(obs.interpretation?.[0]?.coding?.[0]?.code, 'L');
        assert.equal(obs.referenceRange?.[0]?.low?.value, 3.5);
        const inbox = await t.request('GET', '/api/results-inbox?practitioner=dr-okafor');
        const items = inbox.body.items as { title: string; results: { flag: string }[] }[];
        assert.equal(items[0]?.title, 'Basic metabolic panel');
        assert.equal(items[0]?.results[0]?.flag, 'L');

        await assertUnchanged(t, async () => {
          const unknown = structuredClone(bundle);
          (unknown.entry[0]?.resource as { subject: { reference: string } }).subject.reference = 'Patient/nobody';
          assertOutcome(await t.request('POST', '/api/results', { body: unknown }), 400, { diagnostics: /Patient\/nobody does not exist/ });
          const negative = structuredClone(bundle);
          (negative.entry[0]?.resource as { valueQuantity: { value: number } }).valueQuantity.value = -1;
          assertOutcome(await t.request('POST', '/api/results', { body: negative }), 400, { diagnostics: /negative value -1 for LOINC 2823-3/ });
          assertOutcome(await t.request('POST', '/api/results', { body: { resourceType: 'Patient' } }), 400, { diagnostics: /only Observation and DiagnosticReport/ });
          const bad = await t.request('POST', '/api/results/hl7', { payload: oru({ obx: ['NM|14334-7^Lithium^LN||x|mmol/L|||||F'] }), headers: HL7 });
          assert.equal(bad.status, 400);
          assert.match(JSON.stringify(bad.body), /OBX-5/);
        });
      });
    });

    it('gives the lithium trend in one unit with the range band, and refuses unknown patients and bad codes', async () => {
      await withApp(kind.open, async (t) => {
        await t.repo.importMany([
          lithium('li-3', '2024-06-01', 1.4),
          lithium('li-1', '2021-02-01', 0.7),
          lithium('li-2', '2022-09-15', 900, 'umol/L'),
          lithium('li-4', '2025-12-01', 1.1, 'mg/dL'),
        ]);
        const r = await t.request('GET', '/api/patients/pat-munoz/labs/trend?code=14334-7');
        assert.equal(r.status, 200, r.text);
        assert.equal(r.body.unit, 'mmol/L');
        assert.deepEqual(r.body.range, { source: 'loinc-table', low: 0.8, high: 1.2 });
        const points = r.body.points as { observationId: string; value: number; reported?: unknown }[];
        assert.deepEqual(points.map((p) => [p.observationId, p.value]), [['li-1', 0.7], ['li-2', 0.9], ['li-3', 1.4]]);
        assert.deepEqual(points[1]?.reported, { value: 900, unit: 'umol/L' });
        assert.deepEqual(r.body.excluded, [{ observationId: 'li-4', date: '2025-12-01', reason: 'unit "mg/dL" does not convert to "mmol/L"' }]);
        const since = await t.request('GET', '/api/patients/pat-munoz/labs/trend?code=14334-7&from=2022');
        assert.equal((since.body.points as unknown[]).length, 2);

        assertOutcome(await t.request('GET', '/api/patients/nobody/labs/trend?code=14334-7'), 404);
        assertOutcome(await t.request('GET', '/api/patients/pat-munoz/labs/trend?code=lithium'), 400, { diagnostics: /not a LOINC code/ });
        assertOutcome(await t.request('GET', '/api/patients/pat-munoz/labs/trend'), 400, { diagnostics: /code is required/ });
        assertOutcome(await t.request('GET', '/api/patients/pat-munoz/labs/trend?code=14334-7&from=yesterday'), 400);
      });
    });
  });
}
