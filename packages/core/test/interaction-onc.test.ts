/**
 * The ONC high-priority list (Phansalkar 2012): every one of its 402 expanded pairs alerts as
 * contraindicated. Reads ../shared/data/knowledge when present (skips visibly otherwise) and
 * always runs a committed sample of the pairs, so a fresh clone still tests the shipped data.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { MedicationRequest } from '@medplum/fhirtypes';
import { RXNORM_SYSTEM, checkMedications, loadShippedKnowledgeBase } from '../src/index.js';
import type { KnowledgeBase, KnowledgeBaseState } from '../src/index.js';

const SHARED_CSV = fileURLToPath(new URL('../../../../shared/data/knowledge/onc_high_priority_ddi_expanded.csv', import.meta.url));
const SAMPLE_CSV = fileURLToPath(new URL('./fixtures/onc-ddi-pairs-sample.csv', import.meta.url));
const SHARED_SKIP = existsSync(SHARED_CSV) ? false : `../shared/data/knowledge not found: the full 402-pair ONC test is skipped (the committed sample still runs)`;

interface OncRow {
  group: string;
  objectDrug: string;
  objectRxcui: string;
  precipitantDrug: string;
  precipitantRxcui: string;
}

function readRows(path: string): OncRow[] {
  return readFileSync(path, 'utf8')
    .split(/\r?\n/)
    .slice(1)
    .filter((l) => l.trim())
    .map((l) => {
      const c = l.split(',');
      return { group: c[0] ?? '', objectDrug: c[2] ?? '', objectRxcui: c[3] ?? '', precipitantDrug: c[5] ?? '', precipitantRxcui: c[6] ?? '' };
    });
}

const order = (code: string, text: string, id?: string): MedicationRequest => ({
  resourceType: 'MedicationRequest',
  ...(id ? { id } : {}),
  status: 'active',
  intent: 'order',
  subject: { reference: 'Patient/p' },
  medicationCodeableConcept: code ? { coding: [{ system: RXNORM_SYSTEM, code }], text } : { text },
});

/** The code a row names: its RXCUI, or (when the source left it blank) the knowledge base's ingredient of that name. */
function codeOf(kb: KnowledgeBase, rxcui: string, name: string): string | undefined {
  if (rxcui) return rxcui;
  const n = name.toLowerCase();
  return [...kb.drugs.values()].find((d) => d.name === n || (n === 'moclobamide' && d.name === 'moclobemide'))?.rxcui;
}

/** Checks every row: coded pairs alert with their group's rule; the class-level QT row expands to every QT pair. */
function assertRowsAlert(state: KnowledgeBaseState, rows: OncRow[]): { pairs: number; defects: number } {
  assert.ok(state.ok, 'the shipped knowledge base loads');
  const kb = state.kb;
  let pairs = 0;
  let defects = 0;
  for (const row of rows) {
    if (row.group === '21') {
      const qt = kb.data.classes.qtKnownRisk ? [...kb.drugs.values()].filter((d) => d.classes.includes('qtKnownRisk')) : [];
      assert.ok(qt.length >= 25, 'the QT known-risk list is in the knowledge base');
      for (let i = 0; i < qt.length; i++) {
        for (let j = i + 1; j < qt.length; j++) {
          const a = qt[i]!;
          const b = qt[j]!;
          const r = checkMedications({ drafts: [order(a.rxcui, a.name)], active: [order(b.rxcui, b.name, 'm')], allergies: [] }, state);
          const hit = r.alerts.find((x) => x.ruleId === 'onc-21');
          assert.ok(hit, `QT pair ${a.name} + ${b.name} alerts (onc-21); got ${r.alerts.map((x) => x.ruleId).join(', ')}`);
          assert.equal(hit.severity, 'contraindicated');
          pairs++;
        }
      }
      continue;
    }
    const a = codeOf(kb, row.objectRxcui, row.objectDrug);
    const b = codeOf(kb, row.precipitantRxcui, row.precipitantDrug);
    if (!a || !b) {
      // A class name where a drug belongs ("NSAID" listed as a protease inhibitor): the build lists it as a source defect,
      // and a drug written that way is reported as not checked, never as "no interaction".
      assert.ok(
        kb.data.sourceDefects.some((d) => d.includes(`group ${row.group}: ${row.objectDrug} + ${row.precipitantDrug}`)),
        `uncodable row ${JSON.stringify(row)} is listed as a source defect`,
      );
      const r = checkMedications({ drafts: [order(a ?? '', row.objectDrug)], active: [order(b ?? '', row.precipitantDrug, 'm')], allergies: [] }, state);
      assert.equal(r.status, 'partial');
      assert.ok(r.notChecked.some((n) => /not checked/.test(n.reason)));
      defects++;
      continue;
    }
    for (const [x, y] of [
      [a, b],
      [b, a],
    ] as const) {
      const r = checkMedications({ drafts: [order(x, 'draft')], active: [order(y, 'current', 'm')], allergies: [] }, state);
      const hit = r.alerts.find((al) => al.ruleId === `onc-${row.group}`);
      assert.ok(hit, `ONC group ${row.group}: ${row.objectDrug} (${a}) + ${row.precipitantDrug} (${b}) alerts; got ${r.alerts.map((al) => al.ruleId).join(', ') || 'nothing'}`);
      assert.equal(hit.severity, 'contraindicated');
      assert.equal(hit.kind, 'drug-drug');
      assert.ok(hit.overrideReasonRequired);
      assert.match(hit.source, new RegExp(`Phansalkar.*group ${row.group}\\b`));
      assert.equal(hit.kbVersion, kb.version);
    }
    pairs++;
  }
  return { pairs, defects };
}

test('a committed sample of the ONC pairs alerts as contraindicated (runs without ../shared)', async () => {
  const rows = readRows(SAMPLE_CSV);
  assert.ok(rows.length >= 40);
  const { pairs, defects } = assertRowsAlert(await loadShippedKnowledgeBase(), rows);
  assert.ok(pairs > 40, `${pairs} pairs checked`);
  assert.equal(defects, rows.filter((r) => r.objectDrug === 'NSAID').length);
  assert.ok(defects >= 1);
});

test('every one of the 402 ONC high-priority pairs alerts as contraindicated', { skip: SHARED_SKIP }, async () => {
  const rows = readRows(SHARED_CSV);
  assert.equal(rows.length, 402);
  const { pairs, defects } = assertRowsAlert(await loadShippedKnowledgeBase(), rows);
  // 395 coded pairs; the class-level QT row expands to every pair of the known-risk list; 6 rows name "NSAID" as a drug.
  assert.equal(defects, 6);
  assert.ok(pairs >= 395 + 300, `${pairs} pairs alerted`);
});
