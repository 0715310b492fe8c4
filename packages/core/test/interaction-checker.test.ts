/**
 * The medication checker against the shipped knowledge base: psychiatric and primary-care
 * rules, allergy cross-sensitivity, duplicate therapy, curated safe pairs that must stay quiet,
 * and the explicit "not checked" / "checking unavailable" results.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AllergyIntolerance, MedicationRequest, MedicationStatement } from '@medplum/fhirtypes';
import { RXNORM_SYSTEM, checkMedications, knowledgeBaseState, loadShippedKnowledgeBase, searchDrugs } from '../src/index.js';
import type { KnowledgeBase, KnowledgeBaseState, MedicationCheckResult } from '../src/index.js';

const state = await loadShippedKnowledgeBase();
assert.ok(state.ok, 'the shipped knowledge base loads');
const kb: KnowledgeBase = state.kb;

/** The ingredient code of a drug name, looked up in the knowledge base (no codes typed in tests). */
function rx(name: string): string {
  const d = [...kb.drugs.values()].find((x) => x.name === name);
  assert.ok(d, `${name} is in the drug list`);
  return d.rxcui;
}

let n = 0;
const order = (name: string, opts: { code?: string; status?: MedicationRequest['status']; text?: string } = {}): MedicationRequest => ({
  resourceType: 'MedicationRequest',
  id: `m${++n}`,
  status: opts.status ?? 'active',
  intent: 'order',
  subject: { reference: 'Patient/p' },
  medicationCodeableConcept: { coding: [{ system: RXNORM_SYSTEM, code: opts.code ?? rx(name) }], text: opts.text ?? name },
});
const draft = (name: string, code?: string): MedicationRequest => {
  const o = order(name, code ? { code } : {});
  delete o.id;
  o.status = 'draft';
  return o;
};
const allergy = (name: string, extra: Partial<AllergyIntolerance> = {}): AllergyIntolerance => ({
  resourceType: 'AllergyIntolerance',
  id: `a${++n}`,
  patient: { reference: 'Patient/p' },
  category: ['medication'],
  code: { coding: [{ system: RXNORM_SYSTEM, code: rx(name) }], text: name },
  ...extra,
});

function check(drafts: string[], active: string[], allergies: AllergyIntolerance[] = []): MedicationCheckResult {
  return checkMedications({ drafts: drafts.map((d) => draft(d)), active: active.map((a) => order(a)), allergies }, state);
}
const ids = (r: MedicationCheckResult): string[] => r.alerts.map((a) => a.ruleId);
function expectAlert(r: MedicationCheckResult, ruleId: string, severity: string): void {
  const a = r.alerts.find((x) => x.ruleId === ruleId);
  assert.ok(a, `expected ${ruleId}; got ${ids(r).join(', ') || 'no alerts'}`);
  assert.equal(a.severity, severity, ruleId);
  assert.ok(a.source.length > 20, `${ruleId} names its source`);
  assert.equal(a.kbVersion, kb.version);
}

test('the knowledge base is versioned and every rule cites a source', () => {
  assert.match(kb.version, /^\d+\.\d{8}\.[0-9a-f]{8}$/);
  assert.match(kb.builtAt, /^\d{4}-\d{2}-\d{2}$/);
  for (const r of [...kb.data.ddiRules, ...kb.data.allergyRules]) assert.ok(kb.data.sources[r.source], `${r.id} cites a known source`);
  assert.equal(kb.data.ddiRules.filter((r) => r.id.startsWith('onc-') && !r.id.startsWith('onc-ni-')).length, 15, 'the 15 ONC high-priority groups');
  assert.equal(kb.data.ddiRules.filter((r) => r.id.startsWith('onc-ni-')).length, 28, 'the 28 ONC non-interruptive class pairs');
});

test('psychiatric interactions: lithium, clozapine, valproate, serotonin, QT, St John’s wort', () => {
  expectAlert(check(['ibuprofen'], ['lithium']), 'psy-lithium-nsaid', 'major');
  expectAlert(check(['lisinopril'], ['lithium']), 'psy-lithium-acei', 'major');
  expectAlert(check(['hydrochlorothiazide'], ['lithium']), 'psy-lithium-thiazide', 'major');
  expectAlert(check(['losartan'], ['lithium']), 'psy-lithium-arb', 'major');
  expectAlert(check(['fluvoxamine'], ['clozapine']), 'psy-clozapine-cyp1a2', 'major');
  expectAlert(check(['ciprofloxacin'], ['clozapine']), 'psy-clozapine-cyp1a2', 'major');
  expectAlert(check(['lamotrigine'], ['valproic acid']), 'psy-valproate-lamotrigine', 'major');
  expectAlert(check(['tramadol'], ['sertraline']), 'sero-opioid', 'major');
  expectAlert(check(["st. john's wort"], ['sertraline']), 'sero-ssri-stjohnswort', 'major');
  expectAlert(check(['ethinyl estradiol'], ["st. john's wort"]), 'psy-stjohnswort-inducer', 'major');
  expectAlert(check(['linezolid'], ['escitalopram']), 'sero-maoi', 'contraindicated');
  expectAlert(check(['sumatriptan'], ['escitalopram']), 'sero-additive', 'moderate');
  expectAlert(check(['ondansetron'], ['citalopram']), 'onc-21', 'contraindicated');
  expectAlert(check(['ziprasidone'], ['sotalol']), 'qt-ziprasidone', 'contraindicated');
  expectAlert(check(['alprazolam'], ['oxycodone']), 'psy-opioid-benzodiazepine', 'major');
  expectAlert(check(['metronidazole'], ['disulfiram']), 'psy-disulfiram-metronidazole', 'contraindicated');
  expectAlert(check(['oxycodone'], ['naltrexone']), 'psy-naltrexone-opioid', 'contraindicated');
});

test('a serotonin family reports only its most severe rule for a pair', () => {
  const r = check(['phenelzine'], ['sertraline']);
  assert.deepEqual(
    r.alerts.filter((a) => a.kind === 'drug-drug').map((a) => a.ruleId),
    ['onc-8'],
  );
});

test('salts and products map to their ingredient (the demo codes lithium as lithium carbonate)', () => {
  const lithiumCarbonate = order('lithium carbonate', { code: '42351' });
  const r = checkMedications({ drafts: [draft('ibuprofen')], active: [lithiumCarbonate], allergies: [] }, state);
  expectAlert(r, 'psy-lithium-nsaid', 'major');
  assert.equal(r.status, 'complete');
  const hit = r.alerts.find((a) => a.ruleId === 'psy-lithium-nsaid');
  assert.deepEqual(hit?.items.map((i) => i.ingredients.map((x) => x.name)), [['ibuprofen'], ['lithium']]);
  assert.equal(hit?.items[1]?.reference, `MedicationRequest/${lithiumCarbonate.id}`);
});

test('primary-care interactions and ONC non-interruptive pairs', () => {
  expectAlert(check(['naproxen'], ['warfarin']), 'pc-warfarin-nsaid', 'major');
  expectAlert(check(['sildenafil'], ['nitroglycerin']), 'pc-pde5-nitrate', 'contraindicated');
  expectAlert(check(['lisinopril'], ['hydrochlorothiazide']), 'onc-ni-04', 'info');
  expectAlert(check(['ibuprofen'], ['lisinopril']), 'onc-ni-28', 'info');
  expectAlert(check(['clarithromycin'], ['simvastatin']), 'onc-25', 'contraindicated');
  expectAlert(check(['naproxen'], ['sertraline']), 'pc-ssri-nsaid', 'moderate');
  expectAlert(check(['omeprazole'], ['clopidogrel']), 'pc-clopidogrel-omeprazole', 'major');
  expectAlert(check(['spironolactone'], ['lisinopril']), 'pc-potassium-sparing-raas', 'moderate');
});

test('drug-allergy: same ingredient, same class, cross-sensitivity; the sulfonamide myth is not encoded', () => {
  expectAlert(check(['penicillin v'], [], [allergy('penicillin v', { criticality: 'high' })]), 'allergy-same-ingredient', 'contraindicated');
  expectAlert(check(['amoxicillin'], [], [allergy('penicillin', { criticality: 'high' })]), 'allergy-class-penicillin', 'contraindicated');
  expectAlert(check(['amoxicillin'], [], [allergy('penicillin', { criticality: 'low' })]), 'allergy-class-penicillin', 'major');
  expectAlert(check(['cephalexin'], [], [allergy('penicillin')]), 'allergy-penicillin-cephalosporin-similar', 'moderate');
  expectAlert(check(['ceftriaxone'], [], [allergy('penicillin')]), 'allergy-penicillin-cephalosporin-dissimilar', 'info');
  expectAlert(check(['aztreonam'], [], [allergy('ceftazidime')]), 'allergy-ceftazidime-aztreonam', 'major');
  expectAlert(check(['naproxen'], [], [allergy('aspirin')]), 'allergy-class-nsaidCox1', 'major');
  expectAlert(check(['celecoxib'], [], [allergy('ibuprofen')]), 'allergy-nsaid-cox2', 'info');
  expectAlert(check(['lamotrigine'], [], [allergy('carbamazepine')]), 'allergy-class-aromaticAnticonvulsant', 'major');
  assert.deepEqual(ids(check(['furosemide'], [], [allergy('sulfamethoxazole')])), [], 'no sulfonamide antibiotic → furosemide cross-alert');
  // An intolerance is not an allergy: moderate at most.
  expectAlert(check(['ibuprofen'], [], [allergy('ibuprofen', { type: 'intolerance' })]), 'allergy-same-ingredient', 'moderate');
  // Resolved or refuted allergies do not alert.
  const resolved = allergy('penicillin', { clinicalStatus: { coding: [{ code: 'resolved' }] } });
  const refuted = allergy('penicillin', { verificationStatus: { coding: [{ code: 'refuted' }] } });
  assert.deepEqual(ids(check(['amoxicillin'], [], [resolved, refuted])), []);
});

test('duplicate therapy: same class, same ingredient', () => {
  expectAlert(check(['fluoxetine'], ['sertraline']), 'duplicate-class-ssri', 'moderate');
  expectAlert(check(['pantoprazole'], ['omeprazole']), 'duplicate-class-ppi', 'moderate');
  expectAlert(check(['metformin'], ['metformin']), 'duplicate-ingredient', 'moderate');
});

/** Pairs with no known interaction that must not alert at all (a pharmacist-style sanity list). */
const SAFE_PAIRS: [string, string][] = [
  ['amoxicillin', 'acetaminophen'],
  ['metformin', 'atorvastatin'],
  ['lisinopril', 'amlodipine'],
  ['levothyroxine', 'metformin'],
  ['sertraline', 'acetaminophen'],
  ['cetirizine', 'omeprazole'],
  ['albuterol', 'fluticasone'],
  ['montelukast', 'cetirizine'],
  ['lamotrigine', 'lithium'],
  ['aripiprazole', 'sertraline'],
  ['bupropion', 'escitalopram'],
  ['buspirone', 'propranolol'],
  ['quetiapine', 'lamotrigine'],
  ['metformin', 'lisinopril'],
  ['atorvastatin', 'amlodipine'],
  ['hydroxyzine', 'acetaminophen'],
  ['methylphenidate', 'sertraline'],
  ['prazosin', 'sertraline'],
  ['losartan', 'metformin'],
  ['naltrexone', 'bupropion'],
];

test('curated safe pairs raise no alert of any kind', () => {
  for (const [a, b] of SAFE_PAIRS) {
    const r = check([a], [b]);
    assert.equal(r.status, 'complete', `${a} + ${b} were both checked`);
    assert.deepEqual(ids(r), [], `${a} + ${b} must not alert`);
    assert.match(r.summary, /No interactions/);
  }
});

test('an uncoded (free-text) drug is reported as not checked, never as "no interactions"', () => {
  const freeText: MedicationRequest = { resourceType: 'MedicationRequest', status: 'draft', intent: 'order', subject: { reference: 'Patient/p' }, medicationCodeableConcept: { text: 'grandma’s herbal tonic' } };
  const r = checkMedications({ drafts: [freeText], active: [order('lithium')], allergies: [] }, state);
  assert.equal(r.status, 'partial');
  assert.deepEqual(r.alerts, []);
  assert.equal(r.notChecked.length, 1);
  assert.equal(r.notChecked[0]?.display, 'grandma’s herbal tonic');
  assert.match(r.notChecked[0]?.reason ?? '', /^not checked: .*not coded with RxNorm/);
  assert.match(r.summary, /NOT checked: grandma’s herbal tonic/);
  assert.doesNotMatch(r.summary, /^No interactions/);
});

test('an RxNorm code the knowledge base does not know is not checked', () => {
  const r = checkMedications({ drafts: [draft('unknown', '999999999')], active: [order('lithium')], allergies: [] }, state);
  assert.equal(r.status, 'partial');
  assert.match(r.notChecked[0]?.reason ?? '', /RxNorm code 999999999 is not in the knowledge base/);
});

test('an uncoded drug allergy is not checked; food allergies are not drug allergies', () => {
  const textOnly: AllergyIntolerance = { resourceType: 'AllergyIntolerance', id: 'x1', patient: { reference: 'Patient/p' }, category: ['medication'], code: { text: 'the blue antibiotic' } };
  const byName: AllergyIntolerance = { resourceType: 'AllergyIntolerance', id: 'x2', patient: { reference: 'Patient/p' }, code: { text: 'Penicillin' } };
  const food: AllergyIntolerance = { resourceType: 'AllergyIntolerance', id: 'x3', patient: { reference: 'Patient/p' }, category: ['food'], code: { coding: [{ system: 'http://snomed.info/sct', code: '91935009' }], text: 'Allergy to peanuts' } };
  const r = check(['amoxicillin'], [], [textOnly, byName, food]);
  assert.equal(r.status, 'partial');
  assert.deepEqual(
    r.notChecked.map((x) => x.reference),
    ['AllergyIntolerance/x1'],
  );
  expectAlert(r, 'allergy-class-penicillin', 'major');
  assert.equal(r.checkedAllergies, 1);
});

test('a knowledge base that fails to load makes every check say "checking unavailable"', () => {
  const broken: KnowledgeBaseState = knowledgeBaseState({ format: 99 });
  assert.equal(broken.ok, false);
  const r = checkMedications({ drafts: [draft('ibuprofen')], active: [order('lithium')], allergies: [] }, broken);
  assert.equal(r.status, 'unavailable');
  assert.deepEqual(r.alerts, []);
  assert.equal(r.notChecked.length, 2);
  assert.match(r.summary, /^Checking unavailable: .*cannot be loaded.*format 99/);
  // A rule naming a drug the list lacks is refused too.
  const bad = structuredClone(kb.data);
  bad.ddiRules[0]!.a = ['0000'];
  const s = knowledgeBaseState(bad);
  assert.ok(!s.ok && /rule onc-3 names unknown drug 0000/.test(s.error));
  // Nothing at all to check still says unavailable.
  assert.equal(checkMedications({ drafts: [], active: [], allergies: [] }, broken).status, 'unavailable');
});

test('whole-list mode checks every current drug against every other; stopped drugs are skipped', () => {
  const stopped = order('ibuprofen', { status: 'stopped' });
  const statement: MedicationStatement = { resourceType: 'MedicationStatement', id: 's1', status: 'active', subject: { reference: 'Patient/p' }, medicationCodeableConcept: { coding: [{ system: RXNORM_SYSTEM, code: rx('hydrochlorothiazide') }] } };
  const r = checkMedications({ drafts: [], active: [order('lithium'), order('lisinopril'), stopped, statement], allergies: [] }, state);
  assert.deepEqual(ids(r).sort(), ['onc-ni-04', 'psy-lithium-acei', 'psy-lithium-thiazide']);
  assert.equal(r.checkedDrugs, 3);
});

test('drug search by name prefix, class and code', () => {
  assert.equal(searchDrugs(kb, 'lith')[0]?.name, 'lithium');
  assert.ok(searchDrugs(kb, 'SERTRA').some((d) => d.name === 'sertraline'));
  assert.ok(searchDrugs(kb, 'ssri').length >= 6);
  assert.equal(searchDrugs(kb, '42351')[0]?.name, 'lithium');
  assert.deepEqual(searchDrugs(kb, '   '), []);
});
