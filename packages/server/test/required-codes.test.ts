/**
 * Required value-set bindings of code elements (fhir/required-codes.ts): the codes come from
 * the official R4 JSON Schema, every level of a resource is walked, and real data passes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Resource } from '@medplum/fhirtypes';
import { requiredCodeElements, requiredCodeIssues } from '../src/fhir/required-codes.js';
import { loadDefinitions } from '../src/fhir/load-definitions.js';

const SYNTHEA = fileURLToPath(new URL('../../../../shared/data/synthea-r4/', import.meta.url));
const SYNTHEA_SKIP = existsSync(SYNTHEA) ? false : `Synthea check skipped: ${SYNTHEA} absent (../shared/data is not part of the repository)`;

loadDefinitions();
const paths = (r: { resourceType: string }): (string | undefined)[] => requiredCodeIssues(r).map((i) => i.expression?.[0]);

test('each bound code is checked where it sits: top level, arrays, data types, backbone elements, contained resources', () => {
  assert.deepEqual(paths({ resourceType: 'Patient', gender: 'female' } as Resource), []);
  assert.deepEqual(paths({ resourceType: 'Patient', gender: 'F' } as unknown as Resource), ['Patient.gender']);
  assert.deepEqual(
    paths({
      resourceType: 'Patient',
      name: [{ use: 'official', family: 'A' }, { use: 'nickname-ish', family: 'B' }],
      contact: [{ gender: 'male' }, { gender: 'mal' }],
      address: [{ use: 'home', type: 'postal' }, { use: 'home', type: 'mailbox' }],
    } as unknown as Resource),
    ['Patient.name[1].use', 'Patient.contact[1].gender', 'Patient.address[1].type'],
  );
  assert.deepEqual(paths({ resourceType: 'AllergyIntolerance', category: ['food', 'weather'], criticality: 'high' } as unknown as Resource), [
    'AllergyIntolerance.category[1]',
  ]);
  assert.deepEqual(
    paths({
      resourceType: 'MedicationRequest',
      status: 'active',
      intent: 'wish',
      contained: [{ resourceType: 'Medication', status: 'shelved' }],
      dosageInstruction: [{ timing: { repeat: { periodUnit: 'fortnight' } } }],
    } as unknown as Resource),
    ['MedicationRequest.intent', 'MedicationRequest.contained[0].status', 'MedicationRequest.dosageInstruction[0].timing.repeat.periodUnit'],
  );
  // Extensions are walked too: a Quantity inside an extension has a bound comparator.
  assert.deepEqual(paths({ resourceType: 'Patient', extension: [{ url: 'x', valueQuantity: { value: 1, comparator: '=' } }] } as unknown as Resource), [
    'Patient.extension[0].valueQuantity.comparator',
  ]);
});

test('the elements checked include nested backbone elements and data types, with the codes of their value sets', () => {
  const elements = requiredCodeElements();
  assert.deepEqual([...(elements.get('Patient.gender') ?? [])], ['male', 'female', 'other', 'unknown']);
  for (const path of ['Patient.contact.gender', 'CarePlan.activity.detail.status', 'Timing.repeat.periodUnit', 'ContactPoint.system', 'Questionnaire.item.enableWhen.operator']) {
    assert.ok(elements.has(path), path);
  }
  assert.ok((elements.get('MedicationRequest.status')?.size ?? 0) >= 8);
  assert.ok(elements.size > 300, `${elements.size} elements`);
});

test('codes with other bindings, and values of the wrong JSON type, are left to the structure validator', () => {
  // Observation.code is a CodeableConcept with an example binding; language has a preferred one.
  assert.deepEqual(paths({ resourceType: 'Observation', status: 'final', code: { coding: [{ code: 'anything' }] }, language: 'xx-YY' } as Resource), []);
  // Expression.language is extensible (the FHIR JSON Schema lists its codes as an enum all the same).
  assert.deepEqual(
    paths({ resourceType: 'Patient', extension: [{ url: 'x', valueExpression: { language: 'text/x-house-rules', expression: 'x' } }] } as unknown as Resource),
    [],
  );
  assert.deepEqual(paths({ resourceType: 'Patient', gender: 7 } as unknown as Resource), []);
  assert.deepEqual(paths({ resourceType: 'Patient', contained: [{ gender: 'robot' }] } as unknown as Resource), []);
});

test('every resource of the 50 Synthea patients has its bound codes in their value sets', { skip: SYNTHEA_SKIP }, () => {
  const dir = SYNTHEA;
  let resources = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json'))) {
    const bundle = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { entry?: { resource?: Resource }[] };
    for (const e of bundle.entry ?? []) {
      if (!e.resource) continue;
      resources++;
      assert.deepEqual(requiredCodeIssues(e.resource), [], `${file}: ${e.resource.resourceType}`);
    }
  }
  assert.ok(resources > 10_000, `read ${resources} resources`);
});

test('a message names the allowed codes, the first twenty of a long list', () => {
  const long = requiredCodeIssues({ resourceType: 'Communication', status: 'completed', payload: [{ contentString: 'x' }], priority: 'soon' } as unknown as Resource);
  assert.match(long[0]?.details?.text ?? '', /^"soon" is not a code of the required value set \(one of: routine, urgent, asap, stat\)$/);
  const types = requiredCodeElements().get('SearchParameter.base');
  assert.ok(types && types.size > 20, 'resource types are a long list');
  const issues = requiredCodeIssues({ resourceType: 'SearchParameter', base: ['Patient', 'Starship'] } as unknown as Resource);
  assert.deepEqual(issues.map((i) => i.expression?.[0]), ['SearchParameter.base[1]']);
  assert.match(issues[0]?.details?.text ?? '', new RegExp(`^"Starship" is not a code of the required value set \\(one of: ([^,]+, ){19}[^,]+, … ${types.size - 20} more\\)$`));
});
