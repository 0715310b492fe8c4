/**
 * Real-world coding: the Synthea sample patients' medication orders use RxNorm clinical-drug
 * (product) codes; the knowledge base maps most of them to ingredients, and every order is
 * either checked or listed as not checked — none silently dropped. Skips visibly without ../shared.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Bundle, MedicationRequest } from '@medplum/fhirtypes';
import { checkMedications, isCurrentMedication, loadShippedKnowledgeBase, medicationConcept, rxnormCodes } from '../src/index.js';

const DIR = fileURLToPath(new URL('../../../../shared/data/synthea-r4/', import.meta.url));
const SKIP = existsSync(DIR) ? false : '../shared/data/synthea-r4 not found: Synthea coding test skipped';

test('Synthea medication orders are checked or explicitly not checked', { skip: SKIP }, async () => {
  const state = await loadShippedKnowledgeBase();
  assert.ok(state.ok);
  const codes = new Set<string>();
  let orders = 0;
  for (const f of readdirSync(DIR).filter((n) => n.endsWith('.json'))) {
    const bundle = JSON.parse(readFileSync(DIR + f, 'utf8')) as Bundle;
    const mrs = (bundle.entry ?? []).map((e) => e.resource).filter((r): r is MedicationRequest => r?.resourceType === 'MedicationRequest');
    for (const m of mrs) rxnormCodes(medicationConcept(m)).forEach((c) => codes.add(c));
    // Every order as current, whatever its status, to exercise every code.
    const current = mrs.map((m) => ({ ...m, status: 'active' as const }));
    const r = checkMedications({ drafts: [], active: current, allergies: [] }, state);
    assert.equal(r.checkedDrugs + r.notChecked.filter((n) => n.role === 'active' && n.reason.startsWith('not checked')).length, current.filter(isCurrentMedication).length, f);
    orders += current.length;
  }
  const mapped = [...codes].filter((c) => state.kb.ingredientsOf.has(c));
  assert.ok(orders > 300, `${orders} orders`);
  assert.ok(mapped.length / codes.size > 0.75, `${mapped.length} of ${codes.size} Synthea drug codes map to ingredients`);
});
