/**
 * Prescribing over HTTP on both stores: drug search, checks (draft and whole list), prescribe
 * with overrides recorded as DetectedIssue, bad input refused with nothing stored, renew,
 * change, discontinue, reconciliation, the prescription PDF, a knowledge base that fails to
 * load, and the audit trail of overrides.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AllergyIntolerance, DetectedIssue, MedicationRequest, MedicationStatement } from '@medplum/fhirtypes';
import { RXNORM_SYSTEM, knowledgeBaseState, loadShippedKnowledgeBase } from '@chartroom/core';
import { STORE_KINDS, sqliteTestStore } from './helpers/stores.js';
import { assertOutcome, assertUnchanged, fhirTestApp } from './helpers/fhir-app.js';
import type { FhirTestApp } from './helpers/fhir-app.js';
import { MedicationService } from '../src/clinical/medications/medication-service.js';
import type { MedicationAuditSink } from '../src/clinical/medications/medication-service.js';
import { UNCODED_DRUG_URL } from '../src/clinical/medications/prescription-input.js';

const kbState = await loadShippedKnowledgeBase();
assert.ok(kbState.ok);
const kb = kbState.kb;
/** Ingredient codes by name, from the shipped knowledge base (no codes typed here). */
function rx(name: string): string {
  const d = [...kb.drugs.values()].find((x) => x.name === name);
  assert.ok(d, name);
  return d.rxcui;
}
/** The demo codes lithium as lithium carbonate (RxNorm 42351). */
const LITHIUM_CARBONATE = '42351';

const coded = (code: string, text: string) => ({ coding: [{ system: RXNORM_SYSTEM, code }], text });
const draft = (code: string, text: string, extra: Partial<MedicationRequest> = {}): Partial<MedicationRequest> => ({
  resourceType: 'MedicationRequest',
  intent: 'order',
  medicationCodeableConcept: coded(code, text),
  dosageInstruction: [{ text: `${text} as directed`, doseAndRate: [{ doseQuantity: { value: 1, unit: 'tablet' } }], timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd' } } }],
  dispenseRequest: { quantity: { value: 30, unit: 'tablet' }, numberOfRepeatsAllowed: 1 },
  ...extra,
});

async function createPatient(t: FhirTestApp): Promise<string> {
  const p = await t.call('POST', 'Patient', { body: { resourceType: 'Patient', name: [{ family: 'Chen', given: ['Mei-Ling'] }], birthDate: '1973-04-02' } });
  assert.equal(p.status, 201, p.text);
  const id = p.body.id as string;
  const active = (code: string, text: string): MedicationRequest => ({ resourceType: 'MedicationRequest', status: 'active', intent: 'order', subject: { reference: `Patient/${id}` }, medicationCodeableConcept: coded(code, text) });
  for (const r of [active(LITHIUM_CARBONATE, 'lithium carbonate 300 mg'), active(rx('lisinopril'), 'lisinopril 10 mg'), active(rx('sertraline'), 'sertraline 50 mg')]) {
    assert.equal((await t.call('POST', 'MedicationRequest', { body: r })).status, 201);
  }
  const allergy: AllergyIntolerance = {
    resourceType: 'AllergyIntolerance',
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' }] },
    verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification', code: 'confirmed' }] },
    patient: { reference: `Patient/${id}` },
    category: ['medication'],
    criticality: 'high',
    code: coded(rx('penicillin'), 'penicillin'),
  };
  const a = await t.call('POST', 'AllergyIntolerance', { body: allergy });
  assert.equal(a.status, 201, a.text);
  return id;
}

type Alert = { ruleId: string; severity: string; source: string; kbVersion: string };
const ruleIds = (body: Record<string, unknown>): string[] => ((body.alerts ?? (body.check as Record<string, unknown>)?.alerts ?? []) as Alert[]).map((a) => a.ruleId);

for (const kind of STORE_KINDS) {
  test(`prescribing routes on ${kind.name}`, { skip: kind.skip }, async (tt) => {
    const t = await fhirTestApp(() => kind.open());
    tt.after(() => t.dispose());
    const pid = await createPatient(t);

    await tt.test('drug search answers from the shipped list with its version', async () => {
      const r = await t.request('GET', '/api/drugs?q=lith');
      assert.equal(r.status, 200, r.text);
      assert.equal((r.body.drugs as { name: string }[])[0]?.name, 'lithium');
      assert.equal(r.body.kbVersion, kb.version);
    });

    await tt.test('drug search matches salt names by their ingredient ("lithium carb" → lithium)', async () => {
      const hits = async (q: string) => ((await t.request('GET', `/api/drugs?q=${encodeURIComponent(q)}`)).body.drugs as { rxcui: string; name: string; salt?: string }[]);
      const lithium = await hits('lithium carb');
      assert.deepEqual(lithium.map((d) => [d.rxcui, d.name, d.salt]), [[rx('lithium'), 'lithium', 'carbonate']]);
      assert.deepEqual((await hits('Lithium Carbonate'))[0], { ...(await hits('lithium'))[0], salt: 'carbonate' });
      assert.equal((await hits('sertraline hcl'))[0]?.rxcui, rx('sertraline'));
      assert.equal((await hits('metoprolol succ'))[0]?.rxcui, rx('metoprolol'));
      const carb = await hits('carb');
      assert.ok(carb.some((d) => d.name === 'carbamazepine') && carb.every((d) => d.salt === undefined), 'a salt word alone is a drug name prefix');
      assert.deepEqual(await hits('zzzdrug carbonate'), [], 'the ingredient must still match');
    });

    await tt.test('a draft is checked against the chart: lithium + NSAID, ACE inhibitor + NSAID, SSRI + NSAID', async () => {
      const r = await t.request('POST', `/api/patients/${pid}/medication-check`, { body: { medicationRequest: draft(rx('ibuprofen'), 'ibuprofen 400 mg') } });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.status, 'complete');
      assert.deepEqual(ruleIds(r.body).sort(), ['onc-ni-28', 'pc-ssri-nsaid', 'psy-lithium-nsaid']);
      const lithium = (r.body.alerts as Alert[]).find((a) => a.ruleId === 'psy-lithium-nsaid');
      assert.equal(lithium?.severity, 'major');
      assert.match(lithium?.source ?? '', /lithium/i);
      assert.equal(lithium?.kbVersion, kb.version);
    });

    await tt.test('the whole list is checked on demand', async () => {
      const r = await t.request('GET', `/api/patients/${pid}/medication-check`);
      assert.equal(r.status, 200, r.text);
      assert.ok(ruleIds(r.body).includes('psy-lithium-acei'), r.text);
      assert.equal(r.body.checkedDrugs, 3);
    });

    await tt.test('a free-text draft is "not checked", never "no interactions"', async () => {
      const r = await t.request('POST', `/api/patients/${pid}/medication-check`, { body: { medicationRequest: { resourceType: 'MedicationRequest', medicationCodeableConcept: { text: 'homeopathic arnica' } } } });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.status, 'partial');
      assert.match(JSON.stringify(r.body.notChecked), /not checked: the drug is not coded with RxNorm/);
      assert.match(r.body.summary as string, /^Incomplete check: NOT checked: homeopathic arnica/);
    });

    await tt.test('prescribing with a major alert stores the order with the knowledge-base version', async () => {
      const r = await t.request('POST', `/api/patients/${pid}/prescriptions`, { body: { medicationRequest: draft(rx('ibuprofen'), 'ibuprofen 400 mg') } });
      assert.equal(r.status, 201, r.text);
      const mr = r.body.medicationRequest as MedicationRequest;
      assert.equal(mr.status, 'active');
      assert.equal(mr.subject?.reference, `Patient/${pid}`);
      assert.ok(mr.extension?.some((e) => e.valueString === kb.version));
      assert.ok(ruleIds(r.body).includes('psy-lithium-nsaid'));
      const read = await t.call('GET', `MedicationRequest/${mr.id}`);
      assert.equal(read.status, 200);
    });

    await tt.test('a contraindicated alert blocks prescribing until overridden with a reason, recorded as a DetectedIssue', async () => {
      const body = { medicationRequest: draft(rx('phenelzine'), 'phenelzine 15 mg') };
      await assertUnchanged(t, async () => {
        const r = await t.request('POST', `/api/patients/${pid}/prescriptions`, { body });
        assertOutcome(r, 409, { diagnostics: /rule onc-8\b.*override with a reason/ });
        const blank = await t.request('POST', `/api/patients/${pid}/prescriptions`, { body: { ...body, overrides: [{ ruleId: 'onc-8', reason: ' ' }] } });
        assertOutcome(blank, 400, { expression: 'overrides[0].reason' });
        const wrong = await t.request('POST', `/api/patients/${pid}/prescriptions`, { body: { ...body, overrides: [{ ruleId: 'onc-3', reason: 'benefit outweighs risk' }] } });
        assertOutcome(wrong, 400, { diagnostics: /onc-3, which did not fire/ });
      });
      // Phenelzine meets sertraline (ONC group 8) and lithium (serotonergic): two contraindicated alerts, each needs its reason.
      const one = await t.request('POST', `/api/patients/${pid}/prescriptions`, { body: { ...body, overrides: [{ ruleId: 'onc-8', reason: 'Sertraline stopped today' }] } });
      assertOutcome(one, 409, { diagnostics: /rule sero-maoi/ });
      const overrides = [
        { ruleId: 'onc-8', reason: 'Sertraline stopped today; washout supervised by psychiatry' },
        { ruleId: 'sero-maoi', reason: 'Lithium level monitored weekly' },
      ];
      const ok = await t.request('POST', `/api/patients/${pid}/prescriptions`, { body: { ...body, overrides } });
      assert.equal(ok.status, 201, ok.text);
      const mr = ok.body.medicationRequest as MedicationRequest;
      const issues = ok.body.detectedIssues as DetectedIssue[];
      assert.equal(issues.length, 2);
      assert.deepEqual(mr.detectedIssue?.map((d) => d.reference), issues.map((d) => `DetectedIssue/${d.id}`));
      const stored = await t.call('GET', `DetectedIssue/${issues[0]?.id}`);
      assert.equal(stored.status, 200);
      const di = stored.body as unknown as DetectedIssue;
      assert.equal(di.code?.coding?.[0]?.code, 'onc-8');
      assert.equal(di.severity, 'high');
      assert.match(di.mitigation?.[0]?.action.text ?? '', /Override: Sertraline stopped today/);
      assert.ok(di.implicated?.some((r) => r.reference === `MedicationRequest/${mr.id}`));
    });

    await tt.test('a high-criticality penicillin allergy blocks amoxicillin until overridden', async () => {
      const r = await t.request('POST', `/api/patients/${pid}/prescriptions`, { body: { medicationRequest: draft(rx('amoxicillin'), 'amoxicillin 500 mg') } });
      assertOutcome(r, 409, { diagnostics: /allergy-class-penicillin/ });
    });

    await tt.test('bad input is refused precisely and stores nothing', async () => {
      await assertUnchanged(t, async () => {
        const neg = draft(rx('metformin'), 'metformin', { dispenseRequest: { quantity: { value: -30, unit: 'tablet' } } });
        assertOutcome(await t.request('POST', `/api/patients/${pid}/prescriptions`, { body: { medicationRequest: neg } }), 400, { expression: 'MedicationRequest.dispenseRequest.quantity.value' });
        const refills = draft(rx('metformin'), 'metformin', { dispenseRequest: { numberOfRepeatsAllowed: -1 } });
        assertOutcome(await t.request('POST', `/api/patients/${pid}/prescriptions`, { body: { medicationRequest: refills } }), 400, { expression: 'MedicationRequest.dispenseRequest.numberOfRepeatsAllowed' });
        const dose = draft(rx('metformin'), 'metformin', { dosageInstruction: [{ doseAndRate: [{ doseQuantity: { value: -1 } }] }] });
        assertOutcome(await t.request('POST', `/api/patients/${pid}/prescriptions`, { body: { medicationRequest: dose } }), 400, { expression: 'MedicationRequest.dosageInstruction[0].doseAndRate[0].doseQuantity.value' });
        const unknown = draft('999999999', 'mystery');
        assertOutcome(await t.request('POST', `/api/patients/${pid}/prescriptions`, { body: { medicationRequest: unknown } }), 400, { diagnostics: /Unknown drug: RxNorm code 999999999/ });
        const other = draft(rx('metformin'), 'metformin', { subject: { reference: 'Patient/someone-else' } });
        assertOutcome(await t.request('POST', `/api/patients/${pid}/prescriptions`, { body: { medicationRequest: other } }), 400, { expression: 'MedicationRequest.subject' });
        assertOutcome(await t.request('POST', `/api/patients/${pid}/prescriptions`, { body: { medicationRequest: { resourceType: 'MedicationRequest' } } }), 400, { expression: 'MedicationRequest.medicationCodeableConcept' });
        assertOutcome(await t.request('POST', `/api/patients/nobody/prescriptions`, { body: { medicationRequest: draft(rx('metformin'), 'metformin') } }), 404);
      });
    });

    await tt.test('a free-text drug may be prescribed, marked uncoded', async () => {
      const r = await t.request('POST', `/api/patients/${pid}/prescriptions`, { body: { medicationRequest: { medicationCodeableConcept: { text: 'compounded magic mouthwash' }, dosageInstruction: [{ text: 'swish 5 mL four times daily' }] } } });
      assert.equal(r.status, 201, r.text);
      const mr = r.body.medicationRequest as MedicationRequest;
      assert.ok(mr.extension?.some((e) => e.url === UNCODED_DRUG_URL && e.valueBoolean === true));
      assert.equal((r.body.check as { status: string }).status, 'partial');
    });

    await tt.test('renew, change and discontinue', async () => {
      const first = await t.request('POST', `/api/patients/${pid}/prescriptions`, { body: { medicationRequest: draft(rx('metformin'), 'metformin 500 mg') } });
      assert.equal(first.status, 201, first.text);
      const id = (first.body.medicationRequest as MedicationRequest).id as string;
      const renewed = await t.request('POST', `/api/prescriptions/${id}/renew`, { body: { refills: 3 } });
      assert.equal(renewed.status, 201, renewed.text);
      const next = renewed.body.medicationRequest as MedicationRequest;
      assert.equal(next.priorPrescription?.reference, `MedicationRequest/${id}`);
      assert.equal(next.dispenseRequest?.numberOfRepeatsAllowed, 3);
      assert.equal((renewed.body.replaced as MedicationRequest).status, 'completed');
      assert.ok(!ruleIds(renewed.body).includes('duplicate-ingredient'), 'the renewed order is not a duplicate of itself');

      const changed = await t.request('POST', `/api/prescriptions/${next.id}/change`, { body: { medicationRequest: draft(rx('metformin'), 'metformin 1000 mg'), reason: 'HbA1c above target' } });
      assert.equal(changed.status, 201, changed.text);
      const old = await t.call('GET', `MedicationRequest/${next.id}`);
      assert.equal(old.body.status, 'stopped');
      assert.match(JSON.stringify(old.body.statusReason), /HbA1c above target/);

      const newId = (changed.body.medicationRequest as MedicationRequest).id as string;
      await assertUnchanged(t, async () => {
        assertOutcome(await t.request('POST', `/api/prescriptions/${newId}/discontinue`, { body: {} }), 400, { expression: 'reason' });
      });
      const stopped = await t.request('POST', `/api/prescriptions/${newId}/discontinue`, { body: { reason: 'Lactic acidosis risk: eGFR fell below 30' } });
      assert.equal(stopped.status, 200, stopped.text);
      assert.equal(stopped.body.status, 'stopped');
      assertOutcome(await t.request('POST', `/api/prescriptions/${newId}/discontinue`, { body: { reason: 'again' } }), 400, { diagnostics: /already stopped/ });
    });

    await tt.test('medication reconciliation marks each external medication; one bad item changes nothing', async () => {
      const ext = (code: string, text: string): MedicationStatement => ({ resourceType: 'MedicationStatement', status: 'active', subject: { reference: `Patient/${pid}` }, medicationCodeableConcept: coded(code, text), informationSource: { display: 'Hospital discharge letter' } });
      const a = await t.call('POST', 'MedicationStatement', { body: ext(rx('omeprazole'), 'omeprazole 20 mg') });
      const b = await t.call('POST', 'MedicationStatement', { body: ext(rx('naproxen'), 'naproxen 500 mg') });
      const refA = `MedicationStatement/${a.body.id}`;
      const refB = `MedicationStatement/${b.body.id}`;
      await assertUnchanged(t, async () => {
        const bad = await t.request('POST', `/api/patients/${pid}/medication-reconciliation`, { body: { items: [{ reference: refA, action: 'continue' }, { reference: 'MedicationStatement/nope', action: 'stop' }] } });
        assertOutcome(bad, 400, { expression: 'items[1].reference' });
      });
      const r = await t.request('POST', `/api/patients/${pid}/medication-reconciliation`, { body: { items: [{ reference: refA, action: 'continue' }, { reference: refB, action: 'stop', reason: 'NSAID with lithium' }] } });
      assert.equal(r.status, 200, r.text);
      assert.equal((await t.call('GET', refB)).body.status, 'stopped');
      assert.match(JSON.stringify((await t.call('GET', refA)).body.note), /continued/);
    });

    await tt.test('the printable prescription is a PDF', async () => {
      const first = await t.request('POST', `/api/patients/${pid}/prescriptions`, { body: { medicationRequest: draft(rx('atorvastatin'), 'atorvastatin 20 mg') } });
      const id = (first.body.medicationRequest as MedicationRequest).id as string;
      const r = await t.request('GET', `/api/prescriptions/${id}/pdf`);
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-type'], 'application/pdf');
      assert.ok(r.text.startsWith('%PDF-'));
      assertOutcome(await t.request('GET', '/api/prescriptions/nope/pdf'), 404);
    });

    await tt.test('a clinician prescribes as their Practitioner', async () => {
      const prac = await t.call('POST', 'Practitioner', { body: { resourceType: 'Practitioner', name: [{ family: 'Okafor', given: ['Ada'] }] } });
      const doc = await t.actAs('clinician', { practitionerId: prac.body.id as string });
      const r = await doc.request('POST', `/api/patients/${pid}/prescriptions`, { body: { medicationRequest: draft(rx('amlodipine'), 'amlodipine 5 mg') } });
      assert.equal(r.status, 201, r.text);
      assert.equal((r.body.medicationRequest as MedicationRequest).requester?.reference, `Practitioner/${prac.body.id}`);
      const pdf = await doc.request('GET', `/api/prescriptions/${(r.body.medicationRequest as MedicationRequest).id}/pdf`);
      assert.equal(pdf.status, 200);
      const empty = await doc.request('GET', '/api/drugs');
      assert.deepEqual(empty.body.drugs, []);
    });

    await tt.test('callers without the right are refused', async () => {
      assertOutcome(await t.request('POST', `/api/patients/${pid}/medication-check`, { body: {}, as: null }), 401);
      const desk = await t.actAs('front-desk');
      const r = await desk.request('POST', `/api/patients/${pid}/prescriptions`, { body: { medicationRequest: draft(rx('metformin'), 'metformin') } });
      assert.equal(r.status, 403, r.text);
    });
  });
}

test('a knowledge base that fails to load: checks say "checking unavailable" and prescribing needs an override', async (tt) => {
  const t = await fhirTestApp(() => sqliteTestStore(), { medicationKnowledgeBase: async () => knowledgeBaseState({ format: 0 }) });
  tt.after(() => t.dispose());
  const pid = await createPatient(t);
  const check = await t.request('POST', `/api/patients/${pid}/medication-check`, { body: { medicationRequest: draft(rx('ibuprofen'), 'ibuprofen') } });
  assert.equal(check.status, 200, check.text);
  assert.equal(check.body.status, 'unavailable');
  assert.match(check.body.summary as string, /^Checking unavailable/);
  const drugs = await t.request('GET', '/api/drugs?q=lith');
  assert.match(drugs.body.unavailable as string, /cannot be loaded/);
  await assertUnchanged(t, async () => {
    assertOutcome(await t.request('POST', `/api/patients/${pid}/prescriptions`, { body: { medicationRequest: draft(rx('ibuprofen'), 'ibuprofen') } }), 409, { diagnostics: /checking-unavailable/ });
  });
  const ok = await t.request('POST', `/api/patients/${pid}/prescriptions`, { body: { medicationRequest: draft(rx('ibuprofen'), 'ibuprofen'), overrides: [{ ruleId: 'checking-unavailable', reason: 'Checked by hand against the label' }] } });
  assert.equal(ok.status, 201, ok.text);
});

test('overrides and prescriptions are audited', async (tt) => {
  const store = await sqliteTestStore();
  tt.after(() => store.dispose());
  const events: Parameters<MedicationAuditSink['record']>[0][] = [];
  const svc = new MedicationService(store.repo, { audit: { record: (e) => events.push(e) }, clock: { now: () => Date.UTC(2026, 10, 25, 12) } });
  const t = await fhirTestApp(async () => store);
  const pid = await createPatient(t);
  const principal = { kind: 'session' as const, username: 'dr-ng', role: 'clinician' as const, practitionerId: 'prac-1' };
  const res = await svc.prescribe(pid, { medicationRequest: draft(rx('phenelzine'), 'phenelzine'), overrides: [{ ruleId: 'onc-8', reason: 'Supervised cross-taper' }, { ruleId: 'sero-maoi', reason: 'Lithium level weekly' }] }, principal);
  assert.equal(res.medicationRequest.authoredOn, '2026-11-25T12:00:00.000Z');
  assert.equal(res.medicationRequest.requester?.reference, 'Practitioner/prac-1');
  assert.equal(events.length, 1);
  assert.equal(events[0]?.action, 'create');
  assert.equal(events[0]?.severity, 'high');
  assert.deepEqual(events[0]?.patientIds, [pid]);
  assert.match(events[0]?.description ?? '', /onc-8: Supervised cross-taper/);
  assert.ok(events[0]?.resources?.includes(`DetectedIssue/${res.detectedIssues[0]?.id}`));
});
