/**
 * The demo practice exercises interaction checking: every drug it records is in the shipped
 * knowledge base, the featured patients' lists raise the alerts they were written for, their
 * allergies fire on prescribing, and the external medications await reconciliation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AllergyIntolerance, MedicationRequest, MedicationStatement, Patient, Resource } from '@medplum/fhirtypes';
import { RXNORM_SYSTEM, checkMedications, loadShippedKnowledgeBase, rxnormCodes } from '@chartroom/core';
import type { MedicationResource } from '@chartroom/core';
import { demoBatches } from '../src/demo/load-demo.js';
import { DRUGS } from '../src/demo/medication-catalog.js';
import { FEATURED_PATIENTS } from '../src/demo/featured-patients.js';

const state = await loadShippedKnowledgeBase();
assert.ok(state.ok);
const kb = state.kb;
const TODAY = new Date(2026, 2, 11, 13, 40);

const resources: Resource[] = [];
for (const b of demoBatches({ patients: FEATURED_PATIENTS.length + 3, seed: 1, today: TODAY })) resources.push(...b.resources);
const patients = resources.filter((r): r is Patient => r.resourceType === 'Patient');

function chartOf(family: string): { meds: MedicationResource[]; allergies: AllergyIntolerance[] } {
  const p = patients.find((x) => x.name?.[0]?.family === family);
  assert.ok(p, family);
  const ref = `Patient/${p.id}`;
  return {
    meds: resources.filter((r): r is MedicationRequest | MedicationStatement => (r.resourceType === 'MedicationRequest' || r.resourceType === 'MedicationStatement') && r.subject?.reference === ref),
    allergies: resources.filter((r): r is AllergyIntolerance => r.resourceType === 'AllergyIntolerance' && r.patient?.reference === ref),
  };
}
function wholeList(family: string): string[] {
  const c = chartOf(family);
  const r = checkMedications({ drafts: [], active: c.meds, allergies: c.allergies }, state);
  assert.equal(r.status, 'complete', `${family}: ${r.summary}`);
  return r.alerts.map((a) => a.ruleId);
}

test('every drug the demo prescribes, records or lists as an allergy is in the knowledge base', () => {
  for (const [key, d] of Object.entries(DRUGS)) assert.ok(kb.ingredientsOf.has(d.rxcui), `${key} (${d.rxcui})`);
  for (const r of resources) {
    const cc = r.resourceType === 'MedicationRequest' || r.resourceType === 'MedicationStatement' ? r.medicationCodeableConcept : r.resourceType === 'AllergyIntolerance' && r.code?.coding?.[0]?.system === RXNORM_SYSTEM ? r.code : undefined;
    for (const code of rxnormCodes(cc)) assert.ok(kb.ingredientsOf.has(code), `${r.resourceType}/${r.id}: ${code}`);
  }
});

test('the featured patients raise the interactions they were written for', () => {
  assert.ok(wholeList('Muñoz').includes('psy-lithium-nsaid'));
  assert.ok(wholeList('Brontë').includes('sero-opioid'));
  assert.ok(wholeList('Nguyễn').includes('pc-warfarin-nsaid'));
  const chen = wholeList('Chen');
  assert.ok(chen.includes('psy-lithium-acei') && chen.includes('psy-lithium-thiazide'), chen.join(', '));
  assert.ok(wholeList('Müller').includes('psy-clozapine-cyp1a2'), 'clozapine + urgent-care ciprofloxacin');
  assert.ok(wholeList("O'Connor").includes('sero-ssri-stjohnswort'), "escitalopram + St John's wort");
});

test('their allergies fire when prescribing', () => {
  const c = chartOf('Muñoz');
  const amoxicillin: MedicationRequest = { resourceType: 'MedicationRequest', status: 'draft', intent: 'order', subject: { reference: 'Patient/x' }, medicationCodeableConcept: { coding: [{ system: RXNORM_SYSTEM, code: DRUGS.amoxicillin.rxcui }] } };
  const r = checkMedications({ drafts: [amoxicillin], active: c.meds, allergies: c.allergies }, state);
  const hit = r.alerts.find((a) => a.kind === 'drug-allergy');
  assert.equal(hit?.ruleId, 'allergy-class-penicillin');
  assert.equal(hit?.severity, 'contraindicated');
});

const NDFRT = fileURLToPath(new URL('../../../../shared/data/knowledge/ndfrt-rxnorm-ingredients.csv', import.meta.url));
test('the external medications carry RxNorm codes of the shared NDF-RT list', { skip: existsSync(NDFRT) ? false : '../shared absent: code source check skipped' }, () => {
  const codes = new Set(readFileSync(NDFRT, 'utf8').split('\n').map((l) => l.split(';')[0]));
  const statements = resources.filter((r): r is MedicationStatement => r.resourceType === 'MedicationStatement');
  assert.ok(statements.length >= 2);
  for (const s of statements) for (const code of rxnormCodes(s.medicationCodeableConcept)) assert.ok(codes.has(code), code);
});
