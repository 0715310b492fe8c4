/**
 * `chartroom import` of `.hl7` files (importPaths): patients from JSON in the same run,
 * then ORU^R01 results, each message all-or-nothing, with issues naming line and segment.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STORE_KINDS } from './helpers/stores.js';
import { importPaths } from '../src/import/import-paths.js';
import { MRN, oru } from './labs-fixtures.js';

for (const kind of STORE_KINDS) {
  describe(`import of .hl7 files (${kind.name})`, { skip: kind.skip }, () => {
    it('files the good messages, reports the bad one by line and segment, and skips a re-import', async () => {
      const store = await kind.open();
      const dir = mkdtempSync(join(tmpdir(), 'chartroom-hl7-'));
      try {
        // Folders are read in name order: the patient (a.json) before the results (b.hl7).
        writeFileSync(
          join(dir, 'a.json'),
          JSON.stringify({ resourceType: 'Patient', id: 'pat-munoz', identifier: [{ system: MRN, value: 'RFP-000001' }], name: [{ family: 'Muñoz', given: ['José'] }] }),
        );
        const good = oru({ control: 'G1', filler: 'FG' });
        const bad = oru({ control: 'B1', filler: 'FB', obx: ['NM|2823-3^Potassium^LN||4.0|mmol/L|||||F', 'NM|2951-2^Sodium^LN||1e3|mmol/L|||||F'] });
        writeFileSync(join(dir, 'b.hl7'), `${good}\r${bad}\r`);
        const summary = await importPaths(store.repo, [dir]);
        assert.equal(summary.files, 2);
        assert.deepEqual(summary.byType, { Patient: 1, Observation: 1, DiagnosticReport: 1, Task: 1 });
        assert.equal(summary.errors.length, 1, JSON.stringify(summary.errors));
        assert.equal(summary.errors[0]?.where, 'message 2 (line 6, MSH-10 B1) OBX[6] OBX-5');
        assert.match(summary.errors[0]?.message ?? '', /"1e3" is not a number .*message not filed/);
        assert.equal((await store.repo.countByType()).Observation, 1);

        const before = await store.repo.lastSeq();
        const again = await importPaths(store.repo, [join(dir, 'b.hl7')]);
        assert.equal(again.skipped, 1, 'the filed message is a duplicate');
        assert.equal(again.resources, 0);
        assert.equal(await store.repo.lastSeq(), before, 'nothing written');
      } finally {
        rmSync(dir, { recursive: true, force: true });
        await store.dispose();
      }
    });

    it('reports a file that holds no HL7 message', async () => {
      const store = await kind.open();
      const dir = mkdtempSync(join(tmpdir(), 'chartroom-hl7-'));
      try {
        writeFileSync(join(dir, 'x.hl7'), 'this is not HL7\n');
        const summary = await importPaths(store.repo, [dir]);
        assert.equal(summary.resources, 0);
        assert.match(summary.errors[0]?.message ?? '', /text before the first MSH/);
        assert.equal(summary.errors[0]?.where, 'line 1');
      } finally {
        rmSync(dir, { recursive: true, force: true });
        await store.dispose();
      }
    });
  });
}
