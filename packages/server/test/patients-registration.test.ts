/**
 * Patients on both databases: type-ahead search by name (accents, case, "last, first",
 * partial), birth date, phone and MRN; registration with duplicate detection (409 with
 * candidates unless confirmed) that stores nothing when refused; demographic edits that
 * keep history; coverage, contacts, preferred pharmacy and language.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Patient } from '@medplum/fhirtypes';
import { STORE_KINDS } from './helpers/stores.js';
import { assertOutcome, assertUnchanged, fhirTestApp } from './helpers/fhir-app.js';
import type { FhirTestApp } from './helpers/fhir-app.js';
import { MONDAY_8AM, TestClock, seedClinic } from './helpers/clinic-fixture.js';
import { parsePatientQuery } from '../src/clinical/patients/patient-search.js';
import { similarNames as similar } from '../src/clinical/patients/patient-registration.js';

describe('patient query parsing', () => {
  it('reads "last, first", dates in two layouts, and numbers', () => {
    assert.deepEqual(parsePatientQuery('Muñoz, Ali').names, [
      { code: 'family', prefix: 'munoz' },
      { code: 'given', prefix: 'ali' },
    ]);
    assert.deepEqual(parsePatientQuery('  ALICIA  mu ').names, [
      { code: 'name', prefix: 'alicia' },
      { code: 'name', prefix: 'mu' },
    ]);
    assert.equal(parsePatientQuery('5/17/1980').birthDate?.low, Date.UTC(1980, 4, 17));
    assert.equal(parsePatientQuery('1980-05-17').birthDate?.low, Date.UTC(1980, 4, 17));
    assert.deepEqual(parsePatientQuery('(413) 555-0142').number, { raw: '(413) 555-0142', digits: '4135550142' });
  });
  it('judges similar names', () => {
    assert.ok(similar({ family: 'Muñoz', given: 'Alicia' }, { family: 'Munoz', given: 'Alicia' }));
    assert.ok(similar({ family: 'Munos', given: 'Alicia' }, { family: 'Muñoz', given: 'Alicia Maria' }));
    assert.ok(similar({ family: 'Alicia', given: 'Munoz' }, { family: 'Muñoz', given: 'Alicia' }), 'swapped');
    assert.ok(!similar({ family: 'Muñoz', given: 'Carmen' }, { family: 'Muñoz', given: 'Alicia' }));
  });
});

for (const kind of STORE_KINDS) {
  describe(`patients (${kind.name})`, { skip: kind.skip }, () => {
    let t: FhirTestApp;
    before(async () => {
      t = await fhirTestApp(() => kind.open(), { clinicalClock: new TestClock(MONDAY_8AM) });
      await seedClinic(t.repo);
    });
    after(async () => t?.dispose());

    const search = async (q: string): Promise<string[]> => {
      const r = await t.request('GET', `/api/patients?q=${encodeURIComponent(q)}`);
      assert.equal(r.status, 200, r.text);
      return (r.body.results as { id: string }[]).map((x) => x.id);
    };

    it('finds patients by name, ignoring accents and case, by prefix and as "last, first"', async () => {
      assert.deepEqual(await search('munoz'), ['alice', 'carmen']);
      assert.deepEqual(await search('MUÑ'), ['alice', 'carmen']);
      assert.deepEqual(await search('Muñoz, Car'), ['carmen']);
      assert.deepEqual(await search('ali mu'), ['alice']);
      assert.deepEqual(await search('oconnor'), ['bob']);
      assert.deepEqual(await search("o'con rob"), ['bob']);
      assert.deepEqual(await search('zzz'), []);
      const r = await t.request('GET', '/api/patients?q=alicia');
      const hit = (r.body.results as Record<string, unknown>[])[0];
      assert.deepEqual(hit, { id: 'alice', name: 'Alicia Muñoz', family: 'Muñoz', given: ['Alicia'], birthDate: '1980-05-17', mrn: 'MRN-0001', phone: '+1 413 555 0142' });
    });

    it('finds patients by birth date, phone in any layout, and MRN', async () => {
      assert.deepEqual(await search('1980-05-17'), ['alice']);
      assert.deepEqual(await search('5/17/1980'), ['alice']);
      assert.deepEqual(await search('munoz 1992-01-30'), ['carmen']);
      assert.deepEqual(await search('413-555-0177'), ['carmen']);
      assert.deepEqual(await search('(413) 555 0142'), ['alice']);
      assert.deepEqual(await search('0199'), ['bob']);
      assert.deepEqual(await search('MRN-0002'), ['bob']);
      assert.deepEqual(await search('mrn-000'), ['alice', 'carmen', 'bob'], 'sorted by family then given name');
      assertOutcome(await t.request('GET', '/api/patients'), 400, { expression: 'q' });
      assertOutcome(await t.request('GET', '/api/patients?q=a&limit=500'), 400, { expression: 'limit' });
    });

    it('refuses a likely duplicate with 409 and its candidates, storing nothing; registers when confirmed', async () => {
      const form = { family: 'Munoz', given: 'Alicia', birthDate: '1980-05-17', gender: 'female', phone: '413 555 9999' };
      await assertUnchanged(t, async () => {
        const r = await t.request('POST', '/api/patients', { body: form });
        const oo = assertOutcome(r, 409, { code: 'duplicate', diagnostics: /Possible duplicate of Patient\/alice: Alicia Muñoz, born 1980-05-17, MRN MRN-0001 \(same birth date and similar name\)/ });
        assert.deepEqual((oo.contained as Patient[]).map((p) => p.id), ['alice']);
        const phone = await t.request('POST', '/api/patients', { body: { family: 'Lee', given: 'Ann', birthDate: '2001-01-01', phone: '+1 (413) 555-0199' } });
        assertOutcome(phone, 409, { diagnostics: /Patient\/bob.*same phone number/ });
      });
      const ok = await t.request('POST', '/api/patients', { body: { ...form, confirmDuplicate: true } });
      assert.equal(ok.status, 201, ok.text);
      const p = ok.body.patient as Patient;
      assert.match(p.identifier?.[0]?.value ?? '', /^C[0-9A-F]{8}$/);
      assert.deepEqual(ok.body.duplicatesConfirmed, ['alice']);
    });

    it('registers with coverage, contacts, pharmacy and language, then edits keep history', async () => {
      const r = await t.request('POST', '/api/patients', {
        body: {
          family: 'Nguyen',
          given: ['Thi', 'Lan'],
          birthDate: '1970-08-09',
          gender: 'female',
          phone: '413-555-0300',
          language: { code: 'vi', display: 'Vietnamese' },
          contacts: [{ name: 'Minh Nguyen', relationship: 'son', phone: '413-555-0301' }],
          preferredPharmacy: { name: 'Riverside Pharmacy, Main St' },
          coverage: { payorName: 'Commonwealth Health Plan', memberId: 'CHP-778899', plan: 'CHP Choice PPO', copay: 25 },
        },
      });
      assert.equal(r.status, 201, r.text);
      const id = (r.body.patient as Patient).id ?? '';
      assert.equal((r.body.coverage as { beneficiary: { reference: string } }).beneficiary.reference, `Patient/${id}`);
      const summary = await t.request('GET', `/api/patients/${id}/summary`);
      assert.equal(summary.status, 200, summary.text);
      const s = summary.body as unknown as { patient: Record<string, unknown>; coverage: Record<string, unknown> };
      assert.equal(s.patient.language, 'Vietnamese');
      assert.equal(s.patient.preferredPharmacy, 'Riverside Pharmacy, Main St');
      assert.deepEqual(s.patient.contacts, [{ name: 'Minh Nguyen', relationship: 'son', phone: '413-555-0301' }]);
      assert.deepEqual({ payor: s.coverage.payor, memberId: s.coverage.memberId, copay: s.coverage.copay, plan: s.coverage.plan }, { payor: 'Commonwealth Health Plan', memberId: 'CHP-778899', copay: 25, plan: 'CHP Choice PPO' });

      const edit = await t.request('PUT', `/api/patients/${id}`, { body: { family: 'Nguyen-Tran', given: ['Thi', 'Lan'], birthDate: '1970-08-09', gender: 'female', phone: '413-555-0302' } });
      assert.equal(edit.status, 200, edit.text);
      assert.equal((edit.body as unknown as Patient).name?.[0]?.family, 'Nguyen-Tran');
      assert.equal((edit.body as unknown as Patient).communication?.[0]?.language.coding?.[0]?.code, 'vi', 'fields not in the edit are kept');
      const history = await t.call('GET', `Patient/${id}/_history`);
      const versions = (history.body.entry as { resource: Patient }[]).map((e) => e.resource.name?.[0]?.family);
      assert.deepEqual(versions, ['Nguyen-Tran', 'Nguyen']);
      assert.deepEqual(await search('nguyen-tr'), [id]);
      assert.deepEqual(await search('413 555 0302'), [id], 'the phone search sees the new number');
      assert.deepEqual(await search('413-555-0300'), [], 'and no longer the old one');

      const cov = await t.request('POST', `/api/patients/${id}/coverage`, { body: { payorName: 'Medicare Part B', memberId: '1EG4-TE5-MK72', copay: 0 } });
      assert.equal(cov.status, 201, cov.text);
    });

    it('refuses malformed registrations and edits without side effects', async () => {
      await assertUnchanged(t, async () => {
        const post = (body: unknown) => t.request('POST', '/api/patients', { body });
        assertOutcome(await post({ given: 'X', birthDate: '1990-01-01' }), 400, { expression: 'family' });
        assertOutcome(await post({ family: 'X', given: 'Y', birthDate: '1990-02-30' }), 400, { expression: 'birthDate' });
        assertOutcome(await post({ family: 'X', given: 'Y', birthDate: '2031-01-01' }), 400, { diagnostics: /in the future/ });
        assertOutcome(await post({ family: 'X', given: 'Y', birthDate: '1990-01-01', gender: 'f' }), 400, { expression: 'gender' });
        assertOutcome(await post({ family: 'X', given: 'Y', birthDate: '1990-01-01', phone: '12' }), 400, { expression: 'phone' });
        assertOutcome(await post({ family: 'X', given: 'Y', birthDate: '1990-01-01', coverage: { payorName: 'P', memberId: 'M', copay: -5 } }), 400, { expression: 'coverage.copay' });
        assertOutcome(await post({ family: 'X', given: 'Y', birthDate: '1990-01-01', language: { code: 'not a tag' } }), 400, { expression: 'language.code' });
        assertOutcome(await post({ family: 'X', given: 'Y', birthDate: '1990-01-01', confirmDuplicate: 'yes' }), 400, { expression: 'confirmDuplicate' });
        assertOutcome(await t.request('PUT', '/api/patients/alice', { body: { family: '', given: 'A', birthDate: '1980-05-17' } }), 400, { expression: 'family' });
        assertOutcome(await t.request('PUT', '/api/patients/nobody', { body: { family: 'A', given: 'A', birthDate: '1980-05-17' } }), 404);
        assertOutcome(await t.request('GET', '/api/patients/nobody/summary'), 404);
      });
    });
  });
}
