/**
 * Medication-check throughput: a 10-drug list (psychiatric and primary-care drugs, a
 * combination product and a salt code) with two drug allergies, checked as a whole list
 * (45 pairs) and as one draft against the list. Pure in-process; prints checks per second.
 *   npx tsx packages/server/bench/medication-check-bench.ts [iterations]
 */
import type { AllergyIntolerance, MedicationRequest } from '@medplum/fhirtypes';
import { RXNORM_SYSTEM, checkMedications, loadShippedKnowledgeBase } from '@chartroom/core';

const state = await loadShippedKnowledgeBase();
if (!state.ok) throw new Error(state.error);
const kb = state.kb;
const code = (name: string): string => {
  const d = [...kb.drugs.values()].find((x) => x.name === name);
  if (!d) throw new Error(name);
  return d.rxcui;
};
const order = (c: string, id: string): MedicationRequest => ({ resourceType: 'MedicationRequest', id, status: 'active', intent: 'order', subject: { reference: 'Patient/p' }, medicationCodeableConcept: { coding: [{ system: RXNORM_SYSTEM, code: c }] } });
const list = ['42351', code('lisinopril'), code('hydrochlorothiazide'), code('sertraline'), code('quetiapine'), code('atorvastatin'), code('metformin'), code('omeprazole'), code('levothyroxine'), code('clonazepam')].map((c, i) => order(c, `m${i}`));
const allergies: AllergyIntolerance[] = ['penicillin', 'sulfamethoxazole'].map((n, i) => ({ resourceType: 'AllergyIntolerance', id: `a${i}`, patient: { reference: 'Patient/p' }, category: ['medication'], code: { coding: [{ system: RXNORM_SYSTEM, code: code(n) }] } }));
const draft = { ...order(code('ibuprofen'), 'd'), status: 'draft' as const };
delete draft.id;

function measure(label: string, fn: () => unknown, iterations: number): void {
  for (let i = 0; i < Math.min(iterations, 2000); i++) fn(); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  const ns = Number(process.hrtime.bigint() - start);
  console.log(`${label}: ${Math.round((iterations * 1e9) / ns).toLocaleString('en-US')} checks/s (${(ns / iterations / 1000).toFixed(1)} µs per check, ${iterations} iterations)`);
}

const n = Number(process.argv[2] ?? 20000);
const whole = checkMedications({ drafts: [], active: list, allergies }, state);
const one = checkMedications({ drafts: [draft], active: list, allergies }, state);
console.log(`knowledge base ${kb.version}; whole list: ${whole.alerts.length} alerts (${whole.status}); draft ibuprofen: ${one.alerts.length} alerts`);
measure('whole 10-drug list (45 pairs + allergies)', () => checkMedications({ drafts: [], active: list, allergies }, state), n);
measure('one draft against the 10-drug list', () => checkMedications({ drafts: [draft], active: list, allergies }, state), n);
