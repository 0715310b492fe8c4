/**
 * Unit tests of the search value primitives: date ranges, string normalisation, escaping,
 * decimal precision, references (https://hl7.org/fhir/R4/search.html).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isAbsoluteReference, numberRange, parseDateRange, parseReference, prefixUpperBound, splitOr, normalizeString, unescapeSearchValue } from '../src/index.js';

const ms = (iso: string): number => Date.parse(iso);

test('parseDateRange: partial dates cover their whole period', () => {
  assert.deepEqual(parseDateRange('2020'), { low: ms('2020-01-01T00:00:00Z'), high: ms('2021-01-01T00:00:00Z') - 1 });
  assert.deepEqual(parseDateRange('2020-02'), { low: ms('2020-02-01T00:00:00Z'), high: ms('2020-03-01T00:00:00Z') - 1 });
  assert.deepEqual(parseDateRange('2020-02-29'), { low: ms('2020-02-29T00:00:00Z'), high: ms('2020-03-01T00:00:00Z') - 1 });
  assert.deepEqual(parseDateRange('2020-12'), { low: ms('2020-12-01T00:00:00Z'), high: ms('2021-01-01T00:00:00Z') - 1 });
});

test('parseDateRange: times, fractions and offsets', () => {
  assert.deepEqual(parseDateRange('2020-03-04T10:00'), { low: ms('2020-03-04T10:00:00Z'), high: ms('2020-03-04T10:01:00Z') - 1 });
  assert.deepEqual(parseDateRange('2020-03-04T10:00:05Z'), { low: ms('2020-03-04T10:00:05Z'), high: ms('2020-03-04T10:00:05.999Z') });
  assert.deepEqual(parseDateRange('2020-03-04T10:00:05.1Z'), { low: ms('2020-03-04T10:00:05.100Z'), high: ms('2020-03-04T10:00:05.199Z') });
  assert.deepEqual(parseDateRange('2020-03-04T10:00:05.123456Z'), { low: ms('2020-03-04T10:00:05.123Z'), high: ms('2020-03-04T10:00:05.123Z') });
  assert.deepEqual(parseDateRange('2020-03-04T23:30:00-05:00'), { low: ms('2020-03-05T04:30:00Z'), high: ms('2020-03-05T04:30:00.999Z') });
  assert.deepEqual(parseDateRange('2020-03-04T10:00:00+14:00'), { low: ms('2020-03-03T20:00:00Z'), high: ms('2020-03-03T20:00:00.999Z') });
  assert.deepEqual(parseDateRange('2020-03-04T10:00:00-12:00')?.low, ms('2020-03-04T22:00:00Z'));
  assert.deepEqual(parseDateRange('2016-12-31T23:59:60Z')?.low, ms('2017-01-01T00:00:00Z'), 'a leap second, as the FHIR pattern allows');
});

test('parseDateRange: years below 100 are not read as 19xx', () => {
  assert.equal(parseDateRange('0020')?.low, Date.UTC(2020, 0, 1) - 2000 * 365.2425 * 86_400_000);
  assert.equal(new Date(parseDateRange('0099-06-15')?.low ?? 0).getUTCFullYear(), 99);
  assert.equal(new Date(parseDateRange('0001-01-01T00:00:00Z')?.low ?? 0).getUTCFullYear(), 1);
});

test('parseDateRange: invalid dates are undefined', () => {
  for (const bad of [
    '2020-13',
    '2020-00',
    '2020-02-30',
    '2019-02-29',
    '2020-04-31',
    '2020-01-00',
    '2020-03-04T25:00',
    '2020-03-04T24:00:00Z',
    '2020-03-04T10:60:00Z',
    '2020-03-04T10:00:61Z',
    '2020-03-04T10:00:00+15:00',
    '2020-03-04T10:00:00+14:30',
    '2020-03-04T10:00:00+05:60',
    '2020-03-04T10:00:00+0500',
    '2020-03-04T10:00:00 05:00',
    '0000',
    '20',
    '2020-3-4',
    '2020-03-04T10',
    '2020-03-04Z',
    '2020-03-04T10:00:00.Z',
    'now',
    '',
    ' 2020',
  ]) {
    assert.equal(parseDateRange(bad), undefined, bad);
  }
});

test('normalizeString folds accents, case and whitespace', () => {
  assert.equal(normalizeString('Muñoz'), 'munoz');
  assert.equal(normalizeString('MUÑ'), 'mun');
  assert.equal(normalizeString('  São   Paulo\t'), 'sao paulo');
  assert.equal(normalizeString('Zoë😀'), 'zoe😀');
  assert.equal(normalizeString('ﬁnn'), 'finn', 'compatibility forms decompose');
  assert.equal(normalizeString('Ǆ'), 'dž'.normalize('NFKD').replace(/\p{M}/gu, ''));
  assert.equal(normalizeString('Åsa Ørsted'), 'asa orsted', 'Ø has no decomposition and is folded by hand');
  assert.equal(normalizeString('Straße'), 'strasse');
  assert.equal(normalizeString("O'Connor"), 'oconnor', 'apostrophes dropped so oconnor finds O\'Connor');
  assert.equal(normalizeString('D’Angelo'), 'dangelo');
});

test('prefixUpperBound sorts above every continuation of the prefix, astral characters included', () => {
  const bound = Buffer.from(prefixUpperBound('zoe'), 'utf8');
  for (const s of ['zoe', 'zoe😀', 'zoe\uffff', 'zoe\u{10FFFE}', 'zoez']) {
    assert.ok(Buffer.compare(Buffer.from(s, 'utf8'), bound) < 0, s);
  }
  assert.ok(Buffer.compare(Buffer.from('zof', 'utf8'), bound) > 0);
});

test('splitOr: commas split, escaped commas and other escapes do not', () => {
  assert.deepEqual(splitOr('a,b,c'), ['a', 'b', 'c']);
  assert.deepEqual(splitOr('a\\,b,c'), ['a,b', 'c']);
  assert.deepEqual(splitOr('a\\\\,b'), ['a\\', 'b'], 'an escaped backslash does not escape the comma');
  assert.deepEqual(splitOr('x\\|y,z\\$'), ['x|y', 'z$']);
  assert.deepEqual(splitOr(''), ['']);
  assert.deepEqual(splitOr(','), ['', '']);
  assert.deepEqual(splitOr('a\\'), ['a\\'], 'a trailing backslash is literal');
  assert.deepEqual(splitOr('a\\b'), ['a\\b'], 'a backslash before an ordinary character is literal');
  assert.equal(unescapeSearchValue('a\\|b\\,c\\$d\\\\e'), 'a|b,c$d\\e');
});

test('numberRange: implicit precision with exact decimal bounds', () => {
  assert.deepEqual(numberRange('5.4'), { value: 5.4, low: 5.35, high: 5.45 });
  assert.deepEqual(numberRange('5.40'), { value: 5.4, low: 5.395, high: 5.405 });
  assert.deepEqual(numberRange('100'), { value: 100, low: 99.5, high: 100.5 });
  assert.deepEqual(numberRange('-5.4'), { value: -5.4, low: -5.45, high: -5.35 });
  assert.deepEqual(numberRange('0.2'), { value: 0.2, low: 0.15, high: 0.25 });
  assert.deepEqual(numberRange('1e2'), { value: 100, low: 50, high: 150 });
  assert.deepEqual(numberRange('1.5e-3'), { value: 0.0015, low: 0.00145, high: 0.00155 });
  assert.deepEqual(numberRange('.5'), { value: 0.5, low: 0.45, high: 0.55 });
  assert.deepEqual(numberRange('0'), { value: 0, low: -0.5, high: 0.5 });
  for (const bad of ['', '.', '-', 'abc', '1,5', '1e', '0x10', 'Infinity', 'NaN', '1e99999', '5.4.1']) {
    assert.equal(numberRange(bad), undefined, bad);
  }
});

test('references: relative ones split into type and id; absolute URLs and URNs do not', () => {
  assert.deepEqual(parseReference('Patient/123'), { type: 'Patient', id: '123' });
  assert.deepEqual(parseReference('Patient/123/_history/2-abc'), { type: 'Patient', id: '123' });
  assert.deepEqual(parseReference('http://other.org/fhir/Patient/123'), { type: null, id: null });
  assert.deepEqual(parseReference('urn:uuid:7b4c2d9e-0000-4000-8000-000000000000'), { type: null, id: null });
  assert.deepEqual(parseReference('#contained'), { type: null, id: null });
  assert.deepEqual(parseReference('patient/123'), { type: null, id: null });
  assert.equal(isAbsoluteReference('https://x.org/Patient/1'), true);
  assert.equal(isAbsoluteReference('Patient/1'), false);
});
