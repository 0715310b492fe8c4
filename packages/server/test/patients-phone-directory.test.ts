/**
 * The type-ahead's phone directory on both databases: digits matched anywhere in a number
 * typed in any layout, exact matches for duplicate detection, and changes (new numbers,
 * changed numbers, deleted patients, many edits that make it rebuild its string) seen on the
 * next lookup — the results always equal a brute-force scan of the store.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Patient } from '@medplum/fhirtypes';
import { STORE_KINDS } from './helpers/stores.js';
import { PhoneDirectory, phoneDigits } from '../src/clinical/patients/phone-directory.js';
import type { FhirRepository } from '../src/store/fhir-repository.js';

function patient(id: string, ...phones: string[]): Patient {
  return { resourceType: 'Patient', id, name: [{ family: `Family${id}`, given: ['Pat'] }], telecom: phones.map((value) => ({ system: 'phone' as const, value })) };
}

/** Row keys of the patients whose numbers contain (or equal) `digits`, by reading every Patient. */
async function bruteForce(repo: FhirRepository, digits: string, exact: boolean): Promise<number[]> {
  const rows = await repo.dialect.db.selectFrom('resources').select(['rk', 'content']).where('type', '=', 'Patient').where('deleted', '=', 0).execute();
  return rows
    .filter((r) => ((JSON.parse(r.content) as Patient).telecom ?? []).some((t) => t.system === 'phone' && t.value && (exact ? phoneDigits(t.value) === digits : phoneDigits(t.value).includes(digits))))
    .map((r) => Number(r.rk))
    .sort((a, b) => a - b);
}

for (const kind of STORE_KINDS) {
  describe(`phone directory (${kind.name})`, { skip: kind.skip }, () => {
    it('finds numbers by any run of digits and exactly, and follows every change', async () => {
      const store = await kind.open();
      try {
        const repo = store.repo;
        await repo.importMany([
          patient('a', '(413) 555-0142'),
          patient('b', '413.555.0199', '+1 617 555 0142'),
          patient('c', '6175550100'),
          patient('d'),
        ]);
        const dir = new PhoneDirectory();
        const check = async (digits: string, exact = false): Promise<number[]> => {
          const found = (await dir.find(repo, digits, 100, exact)).sort((x, y) => x - y);
          assert.deepEqual(found, await bruteForce(repo, digits, exact), `${exact ? 'exactly ' : ''}${digits}`);
          return found;
        };
        assert.equal((await check('0142')).length, 2, 'two patients have a number ending 0142');
        assert.equal((await check('4135550142', true)).length, 1);
        assert.equal((await check('555')).length, 3);
        assert.equal((await check('41355501', true)).length, 0, 'exact means the whole number');
        assert.equal((await check('5550142')).length, 2);
        assert.equal((await check('99999')).length, 0);
        assert.deepEqual(await dir.find(repo, '555', 1), (await dir.find(repo, '555', 100)).slice(0, 1), 'the limit cuts the list');

        await repo.update(patient('a', '978-555-7777'));
        await repo.create(patient('e', '413 555 0142'));
        await repo.delete('Patient', 'c');
        await check('0142');
        await check('9785557777', true);
        await check('6175550100', true);
        // Many edits of one patient: dead entries pile up and the string is rebuilt.
        for (let i = 0; i < 12; i++) await repo.update(patient('b', `212-555-${String(1000 + i)}`));
        assert.equal((await check('2125551011', true)).length, 1);
        assert.equal((await check('2125551005', true)).length, 0, 'an old number is gone');
        assert.equal((await check('555')).length, 3);
      } finally {
        await store.dispose();
      }
    });
  });
}
