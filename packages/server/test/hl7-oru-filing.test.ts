/**
 * HL7 v2 ORU^R01 results filed into the chart, on SQLite and PostgreSQL: patient matched
 * by MRN, ranges from the message or the LOINC table, UCUM checks, flags, review tasks,
 * duplicates and corrections, and malformed messages that change nothing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { DiagnosticReport, Observation, Task } from '@medplum/fhirtypes';
import { STORE_KINDS } from './helpers/stores.js';
import type { TestStore } from './helpers/stores.js';
import { fileHl7Text, fileOruMessage } from '../src/clinical/labs/oru-filing.js';
import { parseOru } from '../src/clinical/labs/hl7-oru.js';
import { oru, smallPractice } from './labs-fixtures.js';

const clock = { now: () => Date.parse('2026-01-10T12:00:00Z') };
const opts = { clock, tzOffset: '+0000' };

async function read<T>(store: TestStore, type: string, id: string): Promise<T> {
  return JSON.parse((await store.repo.read(type, id)).json) as T;
}

async function unchanged(store: TestStore, fn: () => Promise<void>): Promise<void> {
  const before = { seq: await store.repo.lastSeq(), counts: await store.repo.countByType() };
  await fn();
  assert.deepEqual({ seq: await store.repo.lastSeq(), counts: await store.repo.countByType() }, before, 'nothing was written');
}

for (const kind of STORE_KINDS) {
  describe(`HL7 ORU^R01 filing (${kind.name})`, { skip: kind.skip }, () => {
    it('files a lithium result for the patient found by MRN, with the message range, flag and a review task', async () => {
      const store = await kind.open();
      try {
        await smallPractice(store.repo);
        const r = await fileOruMessage(store.repo, oru({ orderedBy: '1467893206^Okafor^Amaka' }), opts);
        assert.equal(r.status, 'filed', JSON.stringify(r.errors));
        assert.equal(r.patient, 'pat-munoz');
        assert.deepEqual(r.written, { Observation: 1, DiagnosticReport: 1, Task: 1 });
        const obs = await read<Observation>(store, 'Observation', r.observations[0] as string);
        assert.equal(obs.subject?.reference, 'Patient/pat-munoz');
        assert.deepEqual(obs.valueQuantity, { value: 1.4, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' });
        assert.equal(obs.interpretation?.[0]?.coding?.[0]?.code, 'H');
        assert.equal(obs.referenceRange?.[0]?.low?.value, 0.6, 'range from OBX-7, not the table (0.8)');
        assert.equal(obs.referenceRange?.[0]?.high?.value, 1.2);
        assert.equal(obs.effectiveDateTime, '2026-01-10T08:30:00.000Z');
        assert.equal(obs.status, 'final');
        const report = await read<DiagnosticReport>(store, 'DiagnosticReport', r.reports[0] as string);
        assert.deepEqual(report.result?.map((x) => x.reference), [`Observation/${obs.id}`]);
        assert.equal(report.issued, '2026-01-10T11:00:00.000Z');
        const task = await read<Task>(store, 'Task', r.task as string);
        assert.equal(task.status, 'requested');
        assert.equal(task.owner?.reference, 'Practitioner/dr-okafor', 'the ordering provider (ORC-12 NPI) owns the review');
        assert.equal(task.focus?.reference, `DiagnosticReport/${report.id}`);
        assert.equal(task.for?.reference, 'Patient/pat-munoz');
        assert.match(task.description ?? '', /Lithium.*1\.4 mmol\/L \(H\)/);
      } finally {
        await store.dispose();
      }
    });

    it('takes the range from the LOINC table when the message has none, converting units with UCUM', async () => {
      const store = await kind.open();
      try {
        await smallPractice(store.repo);
        // Potassium 5.6 mmol/L (table 3.5–5.0); glucose in g/L (table 70–115 mg/dL → 0.7–1.15 g/L); lithium in mg/dL (not commensurable with mmol/L).
        const r = await fileOruMessage(
          store.repo,
          oru({
            obx: [
              'NM|2823-3^Potassium^LN||5.6|mmol/L|||||F',
              'NM|2345-7^Glucose^LN||0.9|g/L|||||F',
              'NM|14334-7^Lithium^LN||0.7|mg/dL|||||F',
              'NM|2951-2^Sodium^LN||140|mEq/L|||||F',
            ],
          }),
          opts,
        );
        assert.equal(r.status, 'filed', JSON.stringify(r.errors));
        const [k, glu, li, na] = await Promise.all(r.observations.map((id) => read<Observation>(store, 'Observation', id)));
        assert.equal(k?.interpretation?.[0]?.coding?.[0]?.code, 'H');
        assert.equal(k?.referenceRange?.[0]?.low?.value, 3.5);
        assert.match(k?.referenceRange?.[0]?.text ?? '', /Chartroom default for LOINC 2823-3/);
        assert.equal(glu?.interpretation?.[0]?.coding?.[0]?.code, 'N');
        assert.equal(glu?.referenceRange?.[0]?.low?.value, 0.7);
        assert.equal(glu?.referenceRange?.[0]?.high?.value, 1.15);
        assert.equal(li?.referenceRange, undefined, 'no range in an incommensurable unit');
        assert.equal(li?.interpretation, undefined);
        assert.match(li?.note?.[0]?.text ?? '', /not commensurable with the reference table's "mmol\/L"/);
        assert.match(na?.note?.map((n) => n.text).join(' ') ?? '', /"mEq\/L" is not a UCUM unit/);
        assert.equal(na?.valueQuantity?.system, undefined, 'a non-UCUM unit is not coded as UCUM');
      } finally {
        await store.dispose();
      }
    });

    it('flags critical values from the table and keeps a normal result out of the inbox', async () => {
      const store = await kind.open();
      try {
        await smallPractice(store.repo);
        // Oral temperature has critical limits in the table; the lab said only H.
        const crit = await fileOruMessage(store.repo, oru({ control: 'C1', filler: 'F-CRIT', obx: ['NM|8331-1^Oral temperature^LN||104|[degF]||H|||F'] }), opts);
        const obs = await read<Observation>(store, 'Observation', crit.observations[0] as string);
        assert.equal(obs.interpretation?.[0]?.coding?.[0]?.code, 'HH');
        assert.equal((await read<Task>(store, 'Task', crit.task as string)).priority, 'urgent');
        const normal = await fileOruMessage(store.repo, oru({ control: 'N1', filler: 'F-NORM', obx: ['NM|14334-7^Lithium^LN||0.9|mmol/L|||||F'] }), opts);
        assert.equal(normal.status, 'filed');
        assert.equal(normal.task, undefined);
        assert.deepEqual(normal.written, { Observation: 1, DiagnosticReport: 1 });
      } finally {
        await store.dispose();
      }
    });

    it('recognises a duplicate message and files a correction as new versions that reopen the review', async () => {
      const store = await kind.open();
      try {
        await smallPractice(store.repo);
        const first = await fileOruMessage(store.repo, oru(), opts);
        assert.equal(first.status, 'filed');
        await unchanged(store, async () => {
          const again = await fileOruMessage(store.repo, oru(), opts);
          assert.equal(again.status, 'duplicate');
        });
        const corrected = await fileOruMessage(store.repo, oru({ control: 'MSG0002', obx: ['NM|14334-7^Lithium^LN||1.5|mmol/L|0.6-1.2|H|||C'] }), opts);
        assert.equal(corrected.status, 'filed');
        assert.deepEqual(corrected.observations, first.observations, 'same ids: new versions');
        const obs = await read<Observation>(store, 'Observation', first.observations[0] as string);
        assert.equal(obs.status, 'corrected');
        assert.equal(obs.valueQuantity?.value, 1.5);
        assert.equal((await store.repo.countByType()).Observation, 1);
      } finally {
        await store.dispose();
      }
    });

    it('refuses malformed messages with segment-level errors and writes nothing', async () => {
      const store = await kind.open();
      try {
        await smallPractice(store.repo);
        const cases: [string, RegExp][] = [
          [oru({ obx: ['NM|14334-7^Lithium^LN||abc|mmol/L|||||F'] }), /OBX\[5\] OBX-5: "abc" is not a number/],
          [oru({ obx: ['NM|14334-7^Lithium^LN||-0.4|mmol/L|||||F'] }), /OBX-5: negative value -0.4/],
          [oru({ obx: ['NM|14334-7^Lithium^LN||1.0|mmol/L||||||'] }), /OBX-11: result status is missing/],
          [oru({ obx: ['NM|14334-7^Lithium^LN||1.0|mmol/L|1.2-0.6||||F'] }), /OBX-7: .*low limit above its high limit/],
          [oru({ obx: ['NM|14334-7^Lithium^LN||1.0|mmol/L|||||F|||2026-01-10'] }), /OBX-14: "2026-01-10" is not an HL7 date\/time/],
          [oru({ mrn: 'RFP-999999' }), /PID\[2\] PID-3: no patient has the identifier RFP-999999/],
          [oru({ family: 'Smith' }), /PID-5: the name "Smith" does not match/],
          [oru().replace('ORU^R01', 'ADT^A01'), /MSH-9: message type ADT\^A01 is not supported/],
          [oru().replace(/\rOBR[^\r]*/, ''), /OBX before any OBR/],
          ['hello world', /not an HL7 v2 message/],
        ];
        await unchanged(store, async () => {
          for (const [text, pattern] of cases) {
            const r = await fileOruMessage(store.repo, text, opts);
            assert.equal(r.status, 'rejected', text);
            const report = r.errors.map((e) => `${e.segment}[${e.position}]${e.field ? ` ${e.field}` : ''}: ${e.message}`).join('; ');
            assert.match(report, pattern);
          }
        });
      } finally {
        await store.dispose();
      }
    });

    it('files a file of many messages together, yet one order\'s repeat and correction in file order', async () => {
      const store = await kind.open();
      try {
        await smallPractice(store.repo);
        // Other orders around one order's original (message 5), repeat (message 6) and correction
        // (message 8), all within one filing window: the repeat is a duplicate, the correction wins.
        const messages = Array.from({ length: 40 }, (_, i) => oru({ control: `C${i}`, filler: `F${i}`, obx: [`NM|14334-7^Lithium^LN||${(0.6 + i / 100).toFixed(2)}|mmol/L|0.6-1.2||||F`] }));
        messages[5] = oru({ control: 'ORIG', filler: 'SAME', obx: ['NM|14334-7^Lithium^LN||1.4|mmol/L|0.6-1.2|H|||F'] });
        messages[6] = messages[5];
        messages[8] = oru({ control: 'CORR', filler: 'SAME', obx: ['NM|14334-7^Lithium^LN||0.9|mmol/L|0.6-1.2||||C'] });
        const r = await fileHl7Text(store.repo, messages.join('\r\n'), opts);
        assert.deepEqual(r.messages.map((m, i) => [i, m.status]), messages.map((_, i) => [i, i === 6 ? 'duplicate' : 'filed']));
        assert.deepEqual(r.messages.map((m) => m.controlId), messages.map((_, i) => (i === 5 || i === 6 ? 'ORIG' : i === 8 ? 'CORR' : `C${i}`)), 'results in file order');
        const same = await read<Observation>(store, 'Observation', r.messages[8]?.observations[0] as string);
        assert.deepEqual([same.status, same.valueQuantity?.value], ['corrected', 0.9]);
        const counts = await store.repo.countByType();
        assert.deepEqual([counts.DiagnosticReport, counts.Observation], [38, 38], 'one report and result per order');
      } finally {
        await store.dispose();
      }
    });

    it('files each message of a file on its own: a bad message stores nothing, the others are filed', async () => {
      const store = await kind.open();
      try {
        await smallPractice(store.repo);
        const file = [
          oru({ control: 'A1', filler: 'FA' }),
          oru({ control: 'A2', filler: 'FB', obx: ['NM|2823-3^Potassium^LN||4.1|mmol/L|||||F', 'NM|2951-2^Sodium^LN||oops|mmol/L|||||F'] }),
          oru({ control: 'A3', filler: 'FC', mrn: 'RFP-000002', family: 'Brontë' }),
        ].join('\n');
        const r = await fileHl7Text(store.repo, file.replace(/\r/g, '\r\n'), opts);
        assert.deepEqual(r.messages.map((m) => m.status), ['filed', 'rejected', 'filed']);
        assert.deepEqual(r.messages.map((m) => m.line), [1, 6, 12]);
        assert.match(r.messages[1]?.errors[0]?.message ?? '', /"oops" is not a number/);
        assert.equal(r.messages[1]?.errors[0]?.position, 6);
        const counts = await store.repo.countByType();
        assert.equal(counts.Observation, 2, 'the potassium of the bad message was not stored');
        assert.equal(counts.DiagnosticReport, 2);
        assert.equal(r.messages[2]?.patient, 'pat-bronte');
      } finally {
        await store.dispose();
      }
    });
  });
}

describe('HL7 ORU parsing', () => {
  it('reads SN values with comparators, coded values, NTE notes and LOINC alternate codes', () => {
    const p = parseOru(
      oru({ obx: ['SN|1234^HbA1c local^L^4548-4^HbA1c^LN||<^0.1|%|||||F', 'CWE|5778-6^Color^LN||YEL^Yellow^L||||||F'], extra: ['NTE|1||Sample slightly hemolysed'] }),
    );
    assert.deepEqual(p.errors, []);
    const [sn, cwe] = p.message?.orders[0]?.observations ?? [];
    assert.deepEqual(sn?.value, { kind: 'number', value: 0.1, comparator: '<' });
    assert.equal(sn?.loinc, '4548-4');
    assert.deepEqual(cwe?.value, { kind: 'coded', value: { code: 'YEL', display: 'Yellow', system: 'urn:chartroom:hl7v2-coding-system:L' } });
    assert.deepEqual(cwe?.notes, ['Sample slightly hemolysed']);
  });
});
