/**
 * CDS Hooks 2.0 (https://cds-hooks.hl7.org/2.0/): discovery, order-sign and order-select calls
 * with prefetch, the authenticated endpoint that reads the chart, 412 without the data, bad
 * requests, uncoded drafts and an unavailable knowledge base.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AllergyIntolerance, Bundle, MedicationRequest } from '@medplum/fhirtypes';
import { RXNORM_SYSTEM, knowledgeBaseState, loadShippedKnowledgeBase } from '@chartroom/core';
import { sqliteTestStore } from './helpers/stores.js';
import { assertOutcome, fhirTestApp } from './helpers/fhir-app.js';
import type { FhirTestApp } from './helpers/fhir-app.js';
import { CDS_SERVICE_IDS } from '../src/clinical/medications/cds-hooks-service.js';
import type { CdsCard } from '../src/clinical/medications/cds-hooks-service.js';

const kbState = await loadShippedKnowledgeBase();
assert.ok(kbState.ok);
const kb = kbState.kb;
function rx(name: string): string {
  const d = [...kb.drugs.values()].find((x) => x.name === name);
  assert.ok(d, name);
  return d.rxcui;
}
const order = (id: string, code: string | undefined, text: string, status: MedicationRequest['status'] = 'draft'): MedicationRequest => ({
  resourceType: 'MedicationRequest',
  id,
  status,
  intent: 'order',
  subject: { reference: 'Patient/p1' },
  medicationCodeableConcept: code ? { coding: [{ system: RXNORM_SYSTEM, code }], text } : { text },
});
const bundle = (resources: object[]): Bundle => ({ resourceType: 'Bundle', type: 'collection', entry: resources.map((resource) => ({ resource: resource as MedicationRequest })) });
const allergy: AllergyIntolerance = { resourceType: 'AllergyIntolerance', id: 'a1', patient: { reference: 'Patient/p1' }, category: ['medication'], criticality: 'high', code: { coding: [{ system: RXNORM_SYSTEM, code: rx('penicillin') }], text: 'penicillin' } };

function hookBody(hook: string, drafts: MedicationRequest[], extra: Record<string, unknown> = {}, context: Record<string, unknown> = {}): Record<string, unknown> {
  return { hook, hookInstance: 'd1bf5b6c-5f2c-4c3a-9c8c-3f1b2e4a5d6e', context: { userId: 'Practitioner/x', patientId: 'p1', draftOrders: bundle(drafts), ...context }, ...extra };
}
const prefetch = { medications: bundle([order('lith', '42351', 'lithium carbonate 300 mg', 'active')]), allergies: bundle([allergy]) };

async function app(t: { after: (fn: () => Promise<void>) => void }, config = {}): Promise<FhirTestApp> {
  const a = await fhirTestApp(() => sqliteTestStore(), config);
  t.after(() => a.dispose());
  return a;
}

test('discovery lists the order-select and order-sign services with their prefetch', async (t) => {
  const a = await app(t);
  const r = await a.request('GET', '/cds-services', { as: null });
  assert.equal(r.status, 200, r.text);
  const services = r.body.services as { hook: string; id: string; prefetch: Record<string, string> }[];
  assert.deepEqual(services.map((s) => s.hook).sort(), ['order-select', 'order-sign']);
  for (const s of services) assert.match(s.prefetch.medications ?? '', /\{\{context\.patientId\}\}/);
});

test('order-sign with prefetch: lithium + ibuprofen is a critical card with its source and override reasons; penicillin allergy + amoxicillin too', async (t) => {
  const a = await app(t);
  const r = await a.request('POST', `/cds-services/${CDS_SERVICE_IDS.sign}`, {
    as: null,
    body: hookBody('order-sign', [order('d1', rx('ibuprofen'), 'ibuprofen 400 mg'), order('d2', rx('amoxicillin'), 'amoxicillin 500 mg')], { prefetch }),
  });
  assert.equal(r.status, 200, r.text);
  const cards = r.body.cards as CdsCard[];
  const lithium = cards.find((c) => c.source.topic?.code === 'psy-lithium-nsaid');
  assert.ok(lithium, JSON.stringify(cards.map((c) => c.summary)));
  assert.equal(lithium.indicator, 'critical');
  assert.ok(lithium.summary.length <= 140);
  assert.match(lithium.detail ?? '', /Source: .*lithium/i);
  assert.match(lithium.source.label, new RegExp(kb.version.replace(/\./g, '\\.')));
  assert.ok((lithium.overrideReasons ?? []).length > 0);
  const pen = cards.find((c) => c.source.topic?.code === 'allergy-class-penicillin');
  assert.equal(pen?.indicator, 'critical');
});

test('order-select checks only the selected orders (against the other drafts too)', async (t) => {
  const a = await app(t);
  const drafts = [order('d1', rx('sertraline'), 'sertraline'), order('d2', rx('tramadol'), 'tramadol'), order('d3', rx('metformin'), 'metformin')];
  const sel = await a.request('POST', `/cds-services/${CDS_SERVICE_IDS.select}`, { as: null, body: hookBody('order-select', drafts, { prefetch: { medications: bundle([]), allergies: bundle([]) } }, { selections: ['MedicationRequest/d2'] }) });
  assert.equal(sel.status, 200, sel.text);
  const codes = (sel.body.cards as CdsCard[]).map((c) => c.source.topic?.code);
  assert.deepEqual(codes, ['sero-opioid']);
  const none = await a.request('POST', `/cds-services/${CDS_SERVICE_IDS.select}`, { as: null, body: hookBody('order-select', drafts, { prefetch: { medications: bundle([]), allergies: bundle([]) } }, { selections: ['MedicationRequest/d3'] }) });
  assert.deepEqual(none.body.cards, []);
});

test('without prefetch the public endpoint answers 412; the authenticated one reads the chart', async (t) => {
  const a = await app(t);
  assertOutcome(await a.request('POST', `/cds-services/${CDS_SERVICE_IDS.sign}`, { as: null, body: hookBody('order-sign', [order('d1', rx('ibuprofen'), 'ibuprofen')]) }), 412);
  const p = await a.call('POST', 'Patient', { body: { resourceType: 'Patient', name: [{ family: 'Muñoz', given: ['José'] }] } });
  const pid = p.body.id as string;
  const lithium = { ...order('x', '42351', 'lithium carbonate', 'active'), subject: { reference: `Patient/${pid}` } };
  delete (lithium as { id?: string }).id;
  assert.equal((await a.call('POST', 'MedicationRequest', { body: lithium })).status, 201);
  assertOutcome(await a.request('POST', `/api/cds-services/${CDS_SERVICE_IDS.sign}`, { as: null, body: hookBody('order-sign', [order('d1', rx('ibuprofen'), 'ibuprofen')], {}, { patientId: pid }) }), 401);
  const r = await a.request('POST', `/api/cds-services/${CDS_SERVICE_IDS.sign}`, { body: hookBody('order-sign', [order('d1', rx('ibuprofen'), 'ibuprofen')], {}, { patientId: pid }) });
  assert.equal(r.status, 200, r.text);
  assert.ok((r.body.cards as CdsCard[]).some((c) => c.source.topic?.code === 'psy-lithium-nsaid'));
  assertOutcome(await a.request('POST', `/api/cds-services/${CDS_SERVICE_IDS.sign}`, { body: hookBody('order-sign', [order('d1', rx('ibuprofen'), 'ibuprofen')], {}, { patientId: 'nobody' }) }), 404);
});

test('bad hook requests are 400/404; an uncoded draft gets a "not checked" card; an unavailable knowledge base a critical card', async (t) => {
  const a = await app(t);
  assertOutcome(await a.request('POST', '/cds-services/nope', { as: null, body: hookBody('order-sign', []) }), 404);
  assertOutcome(await a.request('POST', `/cds-services/${CDS_SERVICE_IDS.sign}`, { as: null, body: hookBody('order-select', [], { prefetch }) }), 400, { expression: 'hook' });
  assertOutcome(await a.request('POST', `/cds-services/${CDS_SERVICE_IDS.sign}`, { as: null, body: { hook: 'order-sign', hookInstance: 'x', context: { patientId: 'p1' } } }), 400, { expression: 'context.draftOrders' });
  const free = await a.request('POST', `/cds-services/${CDS_SERVICE_IDS.sign}`, { as: null, body: hookBody('order-sign', [order('d1', undefined, 'herbal sleep tea')], { prefetch }) });
  const cards = free.body.cards as CdsCard[];
  assert.equal(cards.length, 1);
  assert.equal(cards[0]?.indicator, 'warning');
  assert.match(cards[0]?.summary ?? '', /^Not checked: herbal sleep tea/);

  const broken = await app(t, { medicationKnowledgeBase: async () => knowledgeBaseState(null) });
  const r = await broken.request('POST', `/cds-services/${CDS_SERVICE_IDS.sign}`, { as: null, body: hookBody('order-sign', [order('d1', rx('ibuprofen'), 'ibuprofen')], { prefetch }) });
  assert.equal(r.status, 200, r.text);
  const c = r.body.cards as CdsCard[];
  assert.equal(c.length, 1);
  assert.equal(c[0]?.indicator, 'critical');
  assert.match(c[0]?.summary ?? '', /checking unavailable/i);
});
