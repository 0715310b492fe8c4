/**
 * Store conformance, part 2: FHIR search semantics (https://hl7.org/fhir/R4/search.html)
 * over real stores. Each case's data includes near misses, so an implementation that is
 * almost right still fails. Runs unchanged against every store kind.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Resource } from '@medplum/fhirtypes';
import { STORE_KINDS, ids, includedKeys, orderedIds, put, search, withStore } from './store-conformance-kit.js';

const LOINC = 'http://loinc.org';
const SNOMED = 'http://snomed.info/sct';
const UCUM = 'http://unitsofmeasure.org';

function obs(id: string, extra: Record<string, unknown>): Resource {
  return { resourceType: 'Observation', id, status: 'final', code: { text: 'test' }, ...extra } as Resource;
}

function qty(value: number, code: string): Record<string, unknown> {
  return { valueQuantity: { value, system: UCUM, code, unit: code } };
}

for (const kind of STORE_KINDS) {
  describe(`store conformance (${kind.name}): search`, { skip: kind.skip }, () => {
    test('string: prefix by default, accent- and case-insensitive, :exact, :contains, name and address parts', async () => {
      await withStore(kind, async (store) => {
        await put(
          store,
          { resourceType: 'Patient', id: 'munoz', name: [{ family: 'Muñoz', given: ['José', 'María'], prefix: ['Dr.'] }], address: [{ line: ['12 Rua Augusta'], city: 'São Paulo', postalCode: '01305-000', country: 'BR' }] },
          { resourceType: 'Patient', id: 'munro', name: [{ family: 'Munro', given: ['Anna'] }], address: [{ city: 'Edinburgh', state: 'Lothian' }] },
          { resourceType: 'Patient', id: 'smith', name: [{ family: 'Smith', given: ['Munoz'] }] },
          { resourceType: 'Patient', id: 'pct', name: [{ family: 'Fi%ld_s', given: ['Zoë😀'] }] },
          { resourceType: 'Patient', id: 'text', name: [{ text: 'Ana Lucía Ortega' }] },
        );
        assert.deepEqual(await ids(store, 'Patient', 'family=munoz'), ['munoz']);
        assert.deepEqual(await ids(store, 'Patient', 'family=MUÑO'), ['munoz']);
        assert.deepEqual(await ids(store, 'Patient', 'family=MUÑ'), ['munoz', 'munro']);
        assert.deepEqual(await ids(store, 'Patient', 'family=Mun'), ['munoz', 'munro']);
        assert.deepEqual(await ids(store, 'Patient', 'family=unoz'), [], 'string search is a prefix match, not contains');
        assert.deepEqual(await ids(store, 'Patient', 'family:contains=UNO'), ['munoz']);
        assert.deepEqual(await ids(store, 'Patient', 'family:contains=%25'), ['pct'], 'LIKE wildcards are literal');
        assert.deepEqual(await ids(store, 'Patient', 'family:contains=_'), ['pct']);
        assert.deepEqual(await ids(store, 'Patient', 'family:exact=Muñoz'), ['munoz']);
        assert.deepEqual(await ids(store, 'Patient', 'family:exact=munoz'), [], ':exact is case- and accent-sensitive');
        assert.deepEqual(await ids(store, 'Patient', 'family:exact=Muñ'), [], ':exact is not a prefix match');
        assert.deepEqual(await ids(store, 'Patient', 'name=munoz'), ['munoz', 'smith'], 'name covers family and given');
        assert.deepEqual(await ids(store, 'Patient', 'name=jos'), ['munoz']);
        assert.deepEqual(await ids(store, 'Patient', 'name=dr'), ['munoz'], 'name covers prefix');
        assert.deepEqual(await ids(store, 'Patient', 'name=ana'), ['text'], 'name covers text ("Anna" does not start with "ana")');
        assert.deepEqual(await ids(store, 'Patient', 'given=zo'), ['pct']);
        assert.deepEqual(await ids(store, 'Patient', 'given=zoe😀'), ['pct']);
        assert.deepEqual(await ids(store, 'Patient', 'given=zoe'), ['pct'], 'a value with characters beyond U+FFFF after the prefix still matches');
        assert.deepEqual(await ids(store, 'Patient', 'given=maria'), ['munoz']);
        assert.deepEqual(await ids(store, 'Patient', 'address=sao'), ['munoz'], 'address covers city');
        assert.deepEqual(await ids(store, 'Patient', 'address=12 rua'), ['munoz'], 'address covers line');
        assert.deepEqual(await ids(store, 'Patient', 'address=augusta'), []);
        assert.deepEqual(await ids(store, 'Patient', 'address:contains=augusta'), ['munoz']);
        assert.deepEqual(await ids(store, 'Patient', 'address=lothian'), ['munro'], 'address covers state');
        assert.deepEqual(await ids(store, 'Patient', 'address-city=SÃO PAULO'), ['munoz']);
        assert.deepEqual(await ids(store, 'Patient', 'address-postalcode=01305'), ['munoz']);
        assert.deepEqual(await ids(store, 'Patient', 'address-country=br'), ['munoz']);
        assert.deepEqual(await ids(store, 'Patient', 'family=smith,munro'), ['munro', 'smith'], 'comma is OR');
        assert.deepEqual(await ids(store, 'Patient', 'family=mu&given=anna'), ['munro'], 'parameters are ANDed');
        assert.deepEqual(await ids(store, 'Patient', 'name=mu&name=jo'), ['munoz'], 'repeated parameters are ANDed');
      });
    });

    test('token: system|code, code, system|, |code, :not, Identifier, CodeableConcept, boolean, code', async () => {
      await withStore(kind, async (store) => {
        await put(
          store,
          obs('loinc', { code: { coding: [{ system: LOINC, code: '1234-5' }] }, identifier: [{ system: 'urn:lab', value: 'A1' }] }),
          obs('other', { status: 'preliminary', code: { coding: [{ system: 'urn:other', code: '1234-5' }] }, identifier: [{ value: 'A1' }] }),
          obs('nosys', { code: { coding: [{ code: '1234-5' }] }, identifier: [{ system: 'urn:lab', value: 'a|b,c' }] }),
          obs('multi', { status: 'amended', code: { coding: [{ system: LOINC, code: '999-9' }, { system: SNOMED, code: '1234-5' }] } }),
          obs('case', { code: { coding: [{ system: LOINC, code: '1234-5X' }] }, identifier: [{ system: 'x', value: 'y' }] }),
          obs('pipe', { code: { coding: [{ system: LOINC, code: '1-1' }] }, identifier: [{ value: 'x|y' }] }),
        );
        assert.deepEqual(await ids(store, 'Observation', `code=${LOINC}|1234-5`), ['loinc']);
        assert.deepEqual(await ids(store, 'Observation', 'code=1234-5'), ['loinc', 'multi', 'nosys', 'other']);
        assert.deepEqual(await ids(store, 'Observation', `code=${LOINC}|`), ['case', 'loinc', 'multi', 'pipe']);
        assert.deepEqual(await ids(store, 'Observation', 'code=|1234-5'), ['nosys'], '|code matches codes without a system');
        assert.deepEqual(await ids(store, 'Observation', `code=${SNOMED}|1234-5,urn:other|1234-5`), ['multi', 'other']);
        assert.deepEqual(await ids(store, 'Observation', `code=${LOINC}|999-9&code=${SNOMED}|1234-5`), ['multi'], 'AND across codings of one concept');
        assert.deepEqual(await ids(store, 'Observation', `code:not=${LOINC}|1234-5`), ['case', 'multi', 'nosys', 'other', 'pipe']);
        assert.deepEqual(await ids(store, 'Observation', 'code:not=1234-5'), ['case', 'pipe']);
        assert.deepEqual(await ids(store, 'Observation', 'status=final'), ['case', 'loinc', 'nosys', 'pipe']);
        assert.deepEqual(await ids(store, 'Observation', 'status:not=final'), ['multi', 'other']);
        assert.deepEqual(await ids(store, 'Observation', 'status=final,amended'), ['case', 'loinc', 'multi', 'nosys', 'pipe']);
        assert.deepEqual(await ids(store, 'Observation', 'identifier=urn:lab|A1'), ['loinc']);
        assert.deepEqual(await ids(store, 'Observation', 'identifier=A1'), ['loinc', 'other']);
        assert.deepEqual(await ids(store, 'Observation', 'identifier=|A1'), ['other']);
        assert.deepEqual(await ids(store, 'Observation', 'identifier=a1'), [], 'token codes are case-sensitive');
        assert.deepEqual(await ids(store, 'Observation', 'identifier=urn:lab|a\\|b\\,c'), ['nosys'], 'escaped | and , are literal');
        assert.deepEqual(await ids(store, 'Observation', 'identifier=urn:lab|a'), []);
        assert.deepEqual(await ids(store, 'Observation', 'identifier=x\\|y'), ['pipe'], 'an escaped | in a code without a system');
        assert.deepEqual(await ids(store, 'Observation', 'identifier=|x\\|y'), ['pipe']);
        assert.deepEqual(await ids(store, 'Observation', 'identifier=x|y'), ['case']);

        await put(
          store,
          { resourceType: 'Patient', id: 'on', active: true, gender: 'female' },
          { resourceType: 'Patient', id: 'off', active: false, gender: 'male' },
          { resourceType: 'Patient', id: 'unknown', gender: 'other' },
        );
        assert.deepEqual(await ids(store, 'Patient', 'active=true'), ['on']);
        assert.deepEqual(await ids(store, 'Patient', 'active=false'), ['off']);
        assert.deepEqual(await ids(store, 'Patient', 'active:not=true'), ['off', 'unknown'], ':not includes resources without the element');
        assert.deepEqual(await ids(store, 'Patient', 'active:missing=true'), ['unknown']);
        assert.deepEqual(await ids(store, 'Patient', 'gender=female,other'), ['on', 'unknown']);
        assert.deepEqual(await ids(store, 'Patient', 'gender=http://hl7.org/fhir/administrative-gender|male'), [], 'a code without a system in the resource does not match system|code');
      });
    });

    test('date: prefixes against date, dateTime, Period (open ends) and partial dates', async () => {
      await withStore(kind, async (store, clock) => {
        clock.set('2021-01-01T00:00:00Z');
        await put(
          store,
          { resourceType: 'Patient', id: 'may3', birthDate: '1980-05-03' },
          { resourceType: 'Patient', id: 'jun1', birthDate: '1980-06-01' },
          { resourceType: 'Patient', id: 'y81', birthDate: '1981-01-01' },
          { resourceType: 'Patient', id: 'nodob' },
        );
        const p = (q: string): Promise<string[]> => ids(store, 'Patient', q);
        assert.deepEqual(await p('birthdate=1980'), ['jun1', 'may3']);
        assert.deepEqual(await p('birthdate=1980-05'), ['may3']);
        assert.deepEqual(await p('birthdate=eq1980-05-03'), ['may3']);
        assert.deepEqual(await p('birthdate=ne1980'), ['y81']);
        assert.deepEqual(await p('birthdate=gt1980-05-03'), ['jun1', 'y81']);
        assert.deepEqual(await p('birthdate=ge1980-05-03'), ['jun1', 'may3', 'y81']);
        assert.deepEqual(await p('birthdate=lt1980-06'), ['may3']);
        assert.deepEqual(await p('birthdate=le1980-06-01'), ['jun1', 'may3']);
        assert.deepEqual(await p('birthdate=sa1980-05'), ['jun1', 'y81']);
        assert.deepEqual(await p('birthdate=eb1980-06-01'), ['may3']);
        assert.deepEqual(await p('birthdate=1980-05-03T10:00:00Z'), [], 'a second does not contain a whole day');
        assert.deepEqual(await p('birthdate=ge1980-05-02&birthdate=le1980-05-31'), ['may3']);
        assert.deepEqual(await p('birthdate=1980-05,1981'), ['may3', 'y81']);
        assert.deepEqual(await p('birthdate:missing=true'), ['nodob']);
        assert.deepEqual(await p('birthdate:missing=false'), ['jun1', 'may3', 'y81']);

        await put(
          store,
          { resourceType: 'Encounter', id: 'hour', status: 'finished', class: { code: 'AMB' }, period: { start: '2020-03-01T10:00:00Z', end: '2020-03-01T11:00:00Z' } },
          { resourceType: 'Encounter', id: 'span', status: 'finished', class: { code: 'AMB' }, period: { start: '2020-02-20', end: '2020-03-10' } },
          { resourceType: 'Encounter', id: 'open', status: 'in-progress', class: { code: 'IMP' }, period: { start: '2020-04-01T08:00:00Z' } },
          { resourceType: 'Encounter', id: 'old', status: 'finished', class: { code: 'AMB' }, period: { end: '2019-12-31' } },
        );
        const e = (q: string): Promise<string[]> => ids(store, 'Encounter', q);
        assert.deepEqual(await e('date=2020-03'), ['hour'], 'eq: the search range contains the whole period');
        assert.deepEqual(await e('date=2020'), ['hour', 'span'], 'an open end is not contained');
        assert.deepEqual(await e('date=ne2020-03'), ['old', 'open', 'span']);
        assert.deepEqual(await e('date=gt2020-03-31'), ['open']);
        assert.deepEqual(await e('date=ge2020-03'), ['hour', 'open'], 'ge: above the range, or contained in it');
        assert.deepEqual(await e('date=lt2020-01-01'), ['old']);
        assert.deepEqual(await e('date=lt2020-03-01'), ['old', 'span']);
        assert.deepEqual(await e('date=le2020-03-01'), ['hour', 'old', 'span']);
        assert.deepEqual(await e('date=sa2020-03-01'), ['open']);
        assert.deepEqual(await e('date=eb2020-03-01'), ['old']);
        assert.deepEqual(await e('date=ge2020-03-01&date=le2020-03-31'), ['hour', 'span']);
        assert.deepEqual(await e('date=gt2030-01-01'), ['open'], 'an open end reaches into the future');
        assert.deepEqual(await e('date=lt1900-01-01'), ['old'], 'an open start reaches into the past');

        await put(
          store,
          { resourceType: 'Condition', id: 'month', subject: { reference: 'Patient/may3' }, onsetDateTime: '2020-03' },
          { resourceType: 'Condition', id: 'tz', subject: { reference: 'Patient/may3' }, onsetDateTime: '2020-03-01T23:30:00-05:00' },
          { resourceType: 'Condition', id: 'day', subject: { reference: 'Patient/may3' }, onsetDateTime: '2020-03-15' },
        );
        const c = (q: string): Promise<string[]> => ids(store, 'Condition', q);
        assert.deepEqual(await c('onset-date=2020-03-15'), ['day'], 'a partial month is not contained in a day');
        assert.deepEqual(await c('onset-date=2020-03'), ['day', 'month', 'tz']);
        assert.deepEqual(await c('onset-date=2020-03-01'), [], 'the -05:00 evening is 2020-03-02 in UTC');
        assert.deepEqual(await c('onset-date=2020'), ['day', 'month', 'tz']);
        assert.deepEqual(await c('onset-date=2020-03-02'), ['tz'], 'time zones are honoured');
        assert.deepEqual(await c('onset-date=ge2020-03-15'), ['day', 'month']);
        assert.deepEqual(await c('onset-date=lt2020-03-02'), ['month']);
        assert.deepEqual(await c('onset-date=lt2020-03-03'), ['month', 'tz']);
        assert.deepEqual(await c('onset-date=ge2020-03-02T04:30:00Z&onset-date=le2020-03-02T04:30:00Z'), ['month', 'tz'], 'a month reaches both sides of an instant in it');
        assert.deepEqual(await c('onset-date=2020-03-02T04:30:00Z'), ['tz']);

        // ap: within 10% of the distance from now (2021-01-01): here about 36 days around 2020-01-01.
        await put(
          store,
          { resourceType: 'Encounter', id: 'ap-in', status: 'finished', class: { code: 'AMB' }, period: { start: '2020-01-20T00:00:00Z', end: '2020-01-20T01:00:00Z' } },
          { resourceType: 'Encounter', id: 'ap-out', status: 'finished', class: { code: 'AMB' }, period: { start: '2020-03-15T00:00:00Z', end: '2020-03-15T01:00:00Z' } },
        );
        assert.deepEqual(await e('date=ap2020-01-01'), ['ap-in', 'old']);
      });
    });

    test('reference: id, Type/id, :Type modifier, absolute URL, deleted targets', async () => {
      await withStore(kind, async (store) => {
        await put(
          store,
          { resourceType: 'Patient', id: 'p1' },
          { resourceType: 'Patient', id: 'p2' },
          { resourceType: 'Group', id: 'p1', type: 'person', actual: true },
          obs('to-p1', { subject: { reference: 'Patient/p1' } }),
          obs('to-p2', { subject: { reference: 'Patient/p2' } }),
          obs('to-group', { subject: { reference: 'Group/p1' } }),
          obs('to-remote', { subject: { reference: 'http://other.example.org/fhir/Patient/p1' } }),
          obs('to-p1-v', { subject: { reference: 'Patient/p1/_history/1-0123456789abcdef0123456789abcdef' } }),
        );
        const o = (q: string): Promise<string[]> => ids(store, 'Observation', q);
        assert.deepEqual(await o('patient=p1'), ['to-p1', 'to-p1-v']);
        assert.deepEqual(await o('patient=Patient/p1'), ['to-p1', 'to-p1-v']);
        assert.deepEqual(await o('subject=p1'), ['to-group', 'to-p1', 'to-p1-v'], 'a bare id matches every target type');
        assert.deepEqual(await o('subject:Patient=p1'), ['to-p1', 'to-p1-v']);
        assert.deepEqual(await o('subject:Group=p1'), ['to-group']);
        assert.deepEqual(await o('subject=Group/p1'), ['to-group']);
        assert.deepEqual(await o('subject=p1,p2'), ['to-group', 'to-p1', 'to-p1-v', 'to-p2']);
        assert.deepEqual(await o('subject=http://other.example.org/fhir/Patient/p1'), ['to-remote'], 'an absolute URL matches that URL only');
        assert.deepEqual(await o('subject:missing=true'), []);
        assert.deepEqual(await o('patient:missing=true'), ['to-group', 'to-remote'], 'patient is subject.where(resolve() is Patient): a remote URL does not resolve');
        await store.repo.delete('Observation', 'to-p1');
        assert.deepEqual(await o('patient=p1'), ['to-p1-v'], 'deleted resources never match');
      });
    });

    test('quantity: system|code, implicit precision for eq, prefixes', async () => {
      await withStore(kind, async (store) => {
        await put(
          store,
          obs('q540', qty(5.4, 'mmol/L')),
          obs('q535', qty(5.35, 'mmol/L')),
          obs('q545', qty(5.45, 'mmol/L')),
          obs('q5449', qty(5.449, 'mmol/L')),
          obs('q530', qty(5.3, 'mmol/L')),
          obs('q540mg', qty(5.4, 'mg/dL')),
          obs('q100', qty(100, 'mg/dL')),
          obs('q1005', qty(100.5, 'mg/dL')),
        );
        const o = (q: string): Promise<string[]> => ids(store, 'Observation', q);
        const u = `|${UCUM}|mmol/L`;
        assert.deepEqual(await o(`value-quantity=5.4${u}`), ['q535', 'q540', 'q5449'], '5.4 means [5.35, 5.45)');
        assert.deepEqual(await o(`value-quantity=5.40${u}`), ['q540'], '5.40 means [5.395, 5.405)');
        assert.deepEqual(await o('value-quantity=5.4'), ['q535', 'q540', 'q540mg', 'q5449']);
        assert.deepEqual(await o('value-quantity=5.4||mg/dL'), ['q540mg']);
        assert.deepEqual(await o('value-quantity=100||mg/dL'), ['q100'], '100 means [99.5, 100.5)');
        assert.deepEqual(await o(`value-quantity=gt5.4${u}`), ['q5449', 'q545']);
        assert.deepEqual(await o(`value-quantity=ge5.45${u}`), ['q545']);
        assert.deepEqual(await o(`value-quantity=lt5.4${u}`), ['q530', 'q535']);
        assert.deepEqual(await o(`value-quantity=le5.35${u}`), ['q530', 'q535']);
        assert.deepEqual(await o(`value-quantity=ne5.4${u}`), ['q530', 'q545']);
        assert.deepEqual(await o(`value-quantity=ap5.4${u}`), ['q530', 'q535', 'q540', 'q5449', 'q545']);
        assert.deepEqual(await o(`value-quantity=gt5.3${u}&value-quantity=lt5.45${u}`), ['q535', 'q540', 'q5449']);
        assert.deepEqual(await o(`value-quantity=5.3${u},100||mg/dL`), ['q100', 'q530']);
        assert.deepEqual(await o(`value-quantity=5.4|http://example.org|mmol/L`), []);
      });
    });

    test('number: RiskAssessment probability with implicit precision and prefixes', async () => {
      await withStore(kind, async (store) => {
        const risk = (id: string, p: number): Resource =>
          ({ resourceType: 'RiskAssessment', id, status: 'final', subject: { reference: 'Patient/x' }, prediction: [{ probabilityDecimal: p }] }) as Resource;
        await put(store, risk('r20', 0.2), risk('r25', 0.25), risk('r30', 0.3), risk('r15', 0.15), {
          resourceType: 'RiskAssessment',
          id: 'none',
          status: 'final',
          subject: { reference: 'Patient/x' },
        } as Resource);
        const r = (q: string): Promise<string[]> => ids(store, 'RiskAssessment', q);
        assert.deepEqual(await r('probability=0.2'), ['r15', 'r20'], '0.2 means [0.15, 0.25)');
        assert.deepEqual(await r('probability=0.25'), ['r25']);
        assert.deepEqual(await r('probability=gt0.2'), ['r25', 'r30']);
        assert.deepEqual(await r('probability=ge0.25'), ['r25', 'r30']);
        assert.deepEqual(await r('probability=lt0.25'), ['r15', 'r20']);
        assert.deepEqual(await r('probability=le0.2'), ['r15', 'r20']);
        assert.deepEqual(await r('probability=ne0.3'), ['r15', 'r20'], '0.3 means [0.25, 0.35)');
        assert.deepEqual(await r('probability=ne0.30'), ['r15', 'r20', 'r25']);
        assert.deepEqual(await r('probability:missing=true'), ['none']);
      });
    });

    test('uri: exact, :below, :above; meta.profile', async () => {
      await withStore(kind, async (store) => {
        const doc = (id: string, url: string): Resource =>
          ({ resourceType: 'DocumentReference', id, status: 'current', content: [{ attachment: { url } }], meta: { profile: [`http://example.org/StructureDefinition/${id}`] } }) as Resource;
        await put(store, doc('d1', 'http://example.org/docs/1'), doc('d12', 'http://example.org/docs/12'), doc('e', 'http://example.com/docs/1'));
        const d = (q: string): Promise<string[]> => ids(store, 'DocumentReference', q);
        assert.deepEqual(await d('location=http://example.org/docs/1'), ['d1']);
        assert.deepEqual(await d('location:below=http://example.org/docs'), ['d1', 'd12']);
        assert.deepEqual(await d('location:below=http://example.org/docs/'), ['d1', 'd12']);
        assert.deepEqual(await d('location:below=http://example.org/doc'), [], ':below works on whole path segments');
        assert.deepEqual(await d('location:below=http://example.org/docs/1'), ['d1']);
        assert.deepEqual(await d('location:below=http://EXAMPLE.org/docs'), [], 'URIs compare exactly on every database');
        assert.deepEqual(await d('location:above=http://example.org/docs/12'), ['d12']);
        assert.deepEqual(await d('location:above=http://example.org/docs/1'), ['d1']);
        assert.deepEqual(await d('location=http://example.org/DOCS/1'), []);
        assert.deepEqual(await d('location:above=http://example.org/docs/1/page/2'), ['d1']);
        assert.deepEqual(await d('location=http://example.org/docs/1,http://example.com/docs/1'), ['d1', 'e']);
        assert.deepEqual(await d('_profile=http://example.org/StructureDefinition/d12'), ['d12']);
      });
    });

    test('_id, _lastUpdated, _tag and deleted resources', async () => {
      await withStore(kind, async (store, clock) => {
        clock.set('2020-01-01T10:00:00Z');
        await put(store, { resourceType: 'Patient', id: 'a', meta: { tag: [{ system: 'urn:t', code: 'vip' }] } });
        clock.set('2020-01-02T10:00:00Z');
        await put(store, { resourceType: 'Patient', id: 'b' });
        clock.set('2020-01-03T10:00:00Z');
        await put(store, { resourceType: 'Patient', id: 'c' }, { resourceType: 'Practitioner', id: 'a' });
        const p = (q: string): Promise<string[]> => ids(store, 'Patient', q);
        assert.deepEqual(await p('_id=a'), ['a']);
        assert.deepEqual(await p('_id=a,c,zz'), ['a', 'c']);
        assert.deepEqual(await p('_lastUpdated=2020-01-02'), ['b']);
        assert.deepEqual(await p('_lastUpdated=gt2020-01-02'), ['c']);
        assert.deepEqual(await p('_lastUpdated=ge2020-01-02&_lastUpdated=lt2020-01-03'), ['b']);
        assert.deepEqual(await p('_lastUpdated=le2020-01-02T10:00:00Z'), ['a', 'b']);
        assert.deepEqual(await p('_lastUpdated=2020-01-02T10:00:00.000Z'), ['b']);
        assert.deepEqual(await p('_lastUpdated=ap2020-01-01T10:00:00Z'), ['a']);
        assert.deepEqual(await p('_tag=urn:t|vip'), ['a']);
        clock.set('2020-01-04T10:00:00Z');
        await store.repo.delete('Patient', 'a');
        assert.deepEqual(await p('_id=a'), []);
        assert.deepEqual(await p('_tag=urn:t|vip'), []);
        assert.deepEqual(await p('_lastUpdated=ge2020-01-01'), ['b', 'c']);
        assert.deepEqual(await ids(store, 'Practitioner', '_id=a'), ['a']);
        assert.deepEqual(await p(''), ['b', 'c']);
      });
    });

    test('_sort on a parameter and on _lastUpdated, missing values last both ways', async () => {
      await withStore(kind, async (store, clock) => {
        const pats: [string, string | undefined, string | undefined][] = [
          ['p1', '1990-01-01', 'Baker'],
          ['p2', undefined, 'adams'],
          ['p3', '1970-06-15', undefined],
          ['p4', '2001-12-31', 'Álvarez'],
          ['p5', '1985-03-03', 'Zhou'],
        ];
        for (const [id, birthDate, family] of pats) {
          clock.ms += 1000;
          await put(store, { resourceType: 'Patient', id, ...(birthDate ? { birthDate } : {}), ...(family ? { name: [{ family }] } : {}) } as Resource);
        }
        const o = (q: string): Promise<string[]> => orderedIds(store, 'Patient', q);
        assert.deepEqual(await o('_sort=birthdate'), ['p3', 'p5', 'p1', 'p4', 'p2']);
        assert.deepEqual(await o('_sort=-birthdate'), ['p4', 'p1', 'p5', 'p3', 'p2']);
        assert.deepEqual(await o('_sort=family'), ['p2', 'p4', 'p1', 'p5', 'p3'], 'strings sort accent- and case-insensitively');
        assert.deepEqual(await o('_sort=-family'), ['p5', 'p1', 'p4', 'p2', 'p3']);
        assert.deepEqual(await o('_sort=_lastUpdated'), ['p1', 'p2', 'p3', 'p4', 'p5']);
        assert.deepEqual(await o('_sort=-_lastUpdated'), ['p5', 'p4', 'p3', 'p2', 'p1']);
        assert.deepEqual(await o('_sort=-_id'), ['p5', 'p4', 'p3', 'p2', 'p1']);
        assert.deepEqual(await o('birthdate=lt2000&_sort=-birthdate'), ['p1', 'p5', 'p3']);
        clock.ms += 1000;
        await put(store, { resourceType: 'Patient', id: 'p1', birthDate: '1990-01-01', name: [{ family: 'Baker' }], active: true });
        assert.deepEqual(await o('_sort=-_lastUpdated'), ['p1', 'p5', 'p4', 'p3', 'p2'], 'an update moves a resource to the front');
        assert.deepEqual(await o('_sort=family,-birthdate'), ['p2', 'p4', 'p1', 'p5', 'p3']);
      });
    });

    test('_count and _offset page through every result exactly once; _total and _summary=count', async () => {
      await withStore(kind, async (store) => {
        for (let i = 0; i < 11; i++) await put(store, { resourceType: 'Patient', id: `pg${String(i).padStart(2, '0')}`, gender: i % 2 ? 'male' : 'female', name: [{ family: `F${i % 4}` }] });
        await put(store, { resourceType: 'Practitioner', id: 'other', gender: 'male' });
        for (const sort of ['', '&_sort=family', '&_sort=-family']) {
          const seen: string[] = [];
          const more: boolean[] = [];
          for (let offset = 0; offset < 12; offset += 4) {
            const r = await search(store, 'Patient', `_count=4&_offset=${offset}${sort}`);
            seen.push(...r.matches.map((m) => m.id));
            more.push(r.hasMore);
          }
          assert.equal(seen.length, 11, `${sort}: ${seen.join(',')}`);
          assert.equal(new Set(seen).size, 11, `each result once ${sort}`);
          assert.deepEqual(more, [true, true, false]);
        }
        const page = await search(store, 'Patient', 'gender=male&_count=2&_total=accurate');
        assert.equal(page.total, 5);
        assert.equal(page.matches.length, 2);
        const counted = await search(store, 'Patient', 'gender=female&_summary=count');
        assert.equal(counted.total, 6);
        assert.deepEqual(counted.matches, []);
        const none = await search(store, 'Patient', 'gender=male');
        assert.equal(none.total, undefined, 'no total unless asked');
        assert.equal(none.matches.length, 5);
        const zero = await search(store, 'Patient', '_count=0&_total=accurate');
        assert.equal(zero.total, 11);
        assert.deepEqual(zero.matches, []);
        const beyond = await search(store, 'Patient', '_offset=50');
        assert.deepEqual(beyond.matches, []);
        assert.equal(beyond.hasMore, false);
      });
    });

    test('_include and _revinclude: target types, *, :iterate, Provenance:target, deleted', async () => {
      await withStore(kind, async (store) => {
        await put(
          store,
          { resourceType: 'Patient', id: 'p1', generalPractitioner: [{ reference: 'Practitioner/gp' }] },
          { resourceType: 'Practitioner', id: 'gp' },
          { resourceType: 'Practitioner', id: 'pr1' },
          { resourceType: 'Group', id: 'g1', type: 'person', actual: true },
          obs('o1', { subject: { reference: 'Patient/p1' }, performer: [{ reference: 'Practitioner/pr1' }] }),
          obs('o2', { subject: { reference: 'Group/g1' } }),
          obs('o3', { subject: { reference: 'Patient/ghost' } }),
          { resourceType: 'Provenance', id: 'prov1', target: [{ reference: 'Observation/o1' }], recorded: '2020-01-01T00:00:00Z', agent: [{ who: { reference: 'Practitioner/pr1' } }] },
          { resourceType: 'Provenance', id: 'prov-p', target: [{ reference: 'Patient/p1' }], recorded: '2020-01-01T00:00:00Z', agent: [{ who: { reference: 'Practitioner/pr1' } }] },
          { resourceType: 'Provenance', id: 'prov-x', target: [{ reference: 'Practitioner/p1' }], recorded: '2020-01-01T00:00:00Z', agent: [{ who: { reference: 'Practitioner/pr1' } }] },
          { resourceType: 'Provenance', id: 'prov-cross', target: [{ reference: 'Provenance/pr1' }], recorded: '2020-01-01T00:00:00Z', agent: [{ who: { reference: 'Practitioner/pr1' } }] },
        );
        const s = async (type: string, q: string): Promise<[string[], string[]]> => {
          const r = await search(store, type, q);
          return [r.matches.map((m) => m.id).sort(), includedKeys(r)];
        };
        assert.deepEqual(await s('Observation', '_id=o1,o2&_include=Observation:patient'), [['o1', 'o2'], ['Patient/p1']]);
        assert.deepEqual(await s('Observation', '_id=o1,o2&_include=Observation:subject'), [['o1', 'o2'], ['Group/g1', 'Patient/p1']]);
        assert.deepEqual(await s('Observation', '_id=o1,o2&_include=Observation:subject:Patient'), [['o1', 'o2'], ['Patient/p1']]);
        assert.deepEqual(await s('Observation', '_id=o1&_include=Observation:*'), [['o1'], ['Patient/p1', 'Practitioner/pr1']]);
        assert.deepEqual(await s('Observation', '_id=o3&_include=Observation:patient'), [['o3'], []], 'a dangling reference includes nothing');
        assert.deepEqual(
          await s('Observation', '_id=o1&_include=Observation:patient&_include=Patient:general-practitioner'),
          [['o1'], ['Patient/p1']],
          'without :iterate, includes apply to the matches only',
        );
        assert.deepEqual(
          await s('Observation', '_id=o1&_include=Observation:patient&_include:iterate=Patient:general-practitioner'),
          [['o1'], ['Patient/p1', 'Practitioner/gp']],
        );
        assert.deepEqual(await s('Observation', '_id=o1,o2&_revinclude=Provenance:target'), [['o1', 'o2'], ['Provenance/prov1']]);
        assert.deepEqual(await s('Patient', '_id=p1&_revinclude=Provenance:target'), [['p1'], ['Provenance/prov-p']], 'the target type must match, not only the id');
        assert.deepEqual(
          await s('Patient', '_id=p1&_revinclude=Observation:subject&_revinclude:iterate=Provenance:target'),
          [['p1'], ['Observation/o1', 'Provenance/prov-p', 'Provenance/prov1']],
        );
        assert.deepEqual(
          await s('Observation', '_id=o1&_include=Observation:performer&_revinclude:iterate=Provenance:target'),
          [['o1'], ['Practitioner/pr1', 'Provenance/prov1']],
          'iterated revincludes match by type and id together',
        );
        await store.repo.delete('Patient', 'p1');
        await store.repo.delete('Provenance', 'prov1');
        assert.deepEqual(await s('Observation', '_id=o1&_include=Observation:patient&_revinclude=Provenance:target'), [['o1'], []], 'deleted resources are never included');
      });
    });

    test('updates replace index rows: old values stop matching', async () => {
      await withStore(kind, async (store) => {
        await put(store, { resourceType: 'Patient', id: 'u', name: [{ family: 'Before' }], birthDate: '1990-01-01' });
        await put(store, { resourceType: 'Patient', id: 'u', name: [{ family: 'After' }] });
        assert.deepEqual(await ids(store, 'Patient', 'family=before'), []);
        assert.deepEqual(await ids(store, 'Patient', 'family=after'), ['u']);
        assert.deepEqual(await ids(store, 'Patient', 'birthdate:missing=true'), ['u']);
        await store.repo.importMany([{ resourceType: 'Patient', id: 'u', name: [{ family: 'Imported' }] }]);
        assert.deepEqual(await ids(store, 'Patient', 'family=after'), []);
        assert.deepEqual(await ids(store, 'Patient', 'family=imported'), ['u']);
      });
    });
  });
}
