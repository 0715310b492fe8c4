/**
 * The type-ahead's in-memory name directory on both databases: prefixes of any name part,
 * family and given parts, several words, birth dates, and changes (new, renamed and deleted
 * patients, before and after the sorted arrays are rebuilt) seen on the next lookup — the
 * results always equal a brute-force check of the store's own name index rows.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Patient } from '@medplum/fhirtypes';
import { parseDateRange } from '@chartroom/core';
import { STORE_KINDS } from './helpers/stores.js';
import { NameDirectory } from '../src/clinical/patients/name-directory.js';
import type { NamePrefix } from '../src/clinical/patients/name-directory.js';
import { parsePatientQuery } from '../src/clinical/patients/patient-search.js';
import type { FhirRepository } from '../src/store/fhir-repository.js';

function patient(id: string, family: string, given: string[], birthDate?: string): Patient {
  return { resourceType: 'Patient', id, name: [{ family, given }], ...(birthDate ? { birthDate } : {}) };
}

/** Row keys of patients having every prefix, read from the index rows one patient at a time. */
async function bruteForce(repo: FhirRepository, names: readonly NamePrefix[], born: { low: number; high: number } | undefined): Promise<number[]> {
  const rows = await repo.dialect.db.selectFrom('sp_string').select(['rk', 'code', 'value']).where('type', '=', 'Patient').execute();
  const dates = await repo.dialect.db.selectFrom('sp_date').select(['rk', 'low', 'high']).where('type', '=', 'Patient').where('code', '=', 'birthdate').execute();
  const live = new Set((await repo.dialect.db.selectFrom('resources').select('rk').where('type', '=', 'Patient').where('deleted', '=', 0).execute()).map((r) => Number(r.rk)));
  return [...live]
    .filter((rk) => names.every((n) => rows.some((r) => Number(r.rk) === rk && r.code === n.code && r.value.startsWith(n.prefix))))
    .filter((rk) => !born || dates.some((d) => Number(d.rk) === rk && Number(d.low) >= born.low && Number(d.high) <= born.high))
    .sort((a, b) => a - b);
}

const QUERIES = ['mun', 'Muñoz, A', 'munoz, carmen', 'alicia mu', 'o', 'ZOË', 'bron', 'smith, j', 'nobody', 'mu 1980-05-17', 'a b'];

for (const kind of STORE_KINDS) {
  describe(`name directory (${kind.name})`, { skip: kind.skip }, () => {
    it('answers name prefixes like the index rows, through changes and rebuilds', async () => {
      const store = await kind.open();
      try {
        const repo = store.repo;
        await repo.importMany([
          patient('a', 'Muñoz', ['Alicia'], '1980-05-17'),
          patient('c', 'Muñoz', ['Carmen'], '1992-01-30'),
          patient('o', "O'Connor", ['Robert', 'Bob']),
          patient('z', 'Brontë', ['Zoë'], '1980-05-17'),
          patient('s', 'Smith', ['John', 'Alicia']),
        ]);
        // One directory never rebuilds its sorted arrays after loading (changes answered one by
        // one), the other rebuilds them on every change.
        const dirs = { 'never rebuilt': new NameDirectory(Number.MAX_SAFE_INTEGER), 'rebuilt on each change': new NameDirectory(0) };
        const dir = dirs['never rebuilt'];
        const check = async (label: string): Promise<void> => {
          for (const [name, d] of Object.entries(dirs)) {
            for (const q of QUERIES) {
              const p = parsePatientQuery(q);
              const found = (await d.find(repo, p.names, p.birthDate, 100)).sort((x, y) => x - y);
              assert.deepEqual(found, await bruteForce(repo, p.names, p.birthDate), `${label}, ${name}: "${q}"`);
            }
          }
        };
        await check('loaded');
        const mun = parsePatientQuery('mun');
        assert.equal((await dir.find(repo, mun.names, undefined, 100)).length, 2);
        assert.equal((await dir.find(repo, mun.names, undefined, 1)).length, 1, 'the limit cuts the list');
        assert.deepEqual(parsePatientQuery('mu 1980-05-17').birthDate, parseDateRange('1980-05-17'));

        await repo.update(patient('c', 'Smithson', ['Carmen']));
        await repo.create(patient('m', 'Munro', ['Jane'], '1980-05-17'));
        await repo.delete('Patient', 'o');
        await check('changed');
        for (const [i, family] of ['Abbott', 'Baker', 'Munoz-Baker', 'Cole'].entries()) await repo.update(patient('z', family, [`Zoe${i}`], '1980-05-17'));
        await check('changed again');
      } finally {
        await store.dispose();
      }
    });
  });
}
