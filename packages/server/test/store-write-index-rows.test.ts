/**
 * The precompiled write statements (write-statements.ts) put every value in its column:
 * after creates, updates, deletes and bulk imports, each index table holds exactly the rows
 * `extractIndexRows` derives from the stored content — no more, no fewer, none swapped.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { extractIndexRows } from '@chartroom/core';
import type { IndexRows } from '@chartroom/core';
import type { Resource } from '@medplum/fhirtypes';
import { STORE_KINDS } from './helpers/stores.js';
import type { TestStore } from './helpers/stores.js';

const KIND_COLUMNS = {
  string: ['code', 'value', 'exact'],
  token: ['code', 'system', 'value'],
  date: ['code', 'low', 'high'],
  reference: ['code', 'target_type', 'target_id', 'ref'],
  number: ['code', 'value'],
  quantity: ['code', 'value', 'system', 'unit'],
  uri: ['code', 'value'],
} as const;
type Kind = keyof typeof KIND_COLUMNS;

/** Canonical text of a set of index rows, per table, for comparison. */
function canonical(rows: Record<Kind, Record<string, unknown>[]>): Record<Kind, string[]> {
  const out = {} as Record<Kind, string[]>;
  for (const kind of Object.keys(KIND_COLUMNS) as Kind[]) {
    out[kind] = rows[kind].map((r) => JSON.stringify(KIND_COLUMNS[kind].map((c) => (typeof r[c] === 'number' ? Number(r[c]) : r[c] ?? null)))).sort();
  }
  return out;
}

function expected(resource: Resource): Record<Kind, string[]> {
  const rows: IndexRows = extractIndexRows(resource);
  return canonical({
    string: rows.string,
    token: rows.token,
    date: rows.date,
    reference: rows.reference.map((r) => ({ code: r.code, target_type: r.targetType, target_id: r.targetId, ref: r.ref })),
    number: rows.number,
    quantity: rows.quantity,
    uri: rows.uri,
  } as unknown as Record<Kind, Record<string, unknown>[]>);
}

async function stored(store: TestStore, type: string, id: string): Promise<Record<Kind, string[]>> {
  const db = store.dialect.db;
  const row = await db.selectFrom('resources').select(['rk', 'type']).where('type', '=', type).where('id', '=', id).executeTakeFirstOrThrow();
  const tables = { string: 'sp_string', token: 'sp_token', date: 'sp_date', reference: 'sp_reference', number: 'sp_number', quantity: 'sp_quantity', uri: 'sp_uri' } as const;
  const rows = {} as Record<Kind, Record<string, unknown>[]>;
  for (const kind of Object.keys(tables) as Kind[]) {
    const found = (await db.selectFrom(tables[kind]).selectAll().where('rk', '=', row.rk).execute()) as Record<string, unknown>[];
    for (const r of found) assert.equal(r.type, type, `${tables[kind]} rows carry the resource type`);
    rows[kind] = found;
  }
  return canonical(rows);
}

/** Resources that between them fill every index table. */
function sample(i: number): Resource[] {
  return [
    {
      resourceType: 'Patient',
      id: `p${i}`,
      identifier: [{ system: 'urn:mrn', value: `MRN-${i}` }],
      name: [{ family: `Nguyễn${i}`, given: ['Thị', 'Mai'] }],
      gender: 'female',
      birthDate: '1971-06-0' + ((i % 9) + 1),
      telecom: [{ system: 'phone', value: `555-${i}` }],
      address: [{ city: 'Zürich', postalCode: `80${i}` }],
    },
    {
      resourceType: 'Observation',
      id: `o${i}`,
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] },
      subject: { reference: `Patient/p${i}` },
      effectiveDateTime: '2024-03-0' + ((i % 9) + 1) + 'T10:00:00Z',
      valueQuantity: { value: 70 + i / 10, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
    },
    {
      resourceType: 'RiskAssessment',
      id: `r${i}`,
      status: 'final',
      subject: { reference: `Patient/p${i}` },
      prediction: [{ probabilityDecimal: (i % 100) / 100 }],
    },
    { resourceType: 'Questionnaire', id: `q${i}`, status: 'active', url: `http://example.org/q/${i}`, name: `Q${i}` },
  ] as Resource[];
}

for (const kind of STORE_KINDS) {
  describe(`write statements put every index value in its column (${kind.name})`, { skip: kind.skip }, () => {
    test('create, update and delete keep the index rows equal to the stored content', async () => {
      const store = await kind.open();
      try {
        const [patient, observation, risk, questionnaire] = sample(1) as [Resource, Resource, Resource, Resource];
        for (const r of [patient, observation, risk, questionnaire]) {
          await store.repo.create({ ...r, id: undefined }, { id: r.id });
          const got = await stored(store, r.resourceType, r.id as string);
          assert.deepEqual(got, expected(r), `${r.resourceType} after create`);
        }
        const covered = (Object.keys(KIND_COLUMNS) as Kind[]).filter((k) =>
          [patient, observation, risk, questionnaire].some((r) => expected(r)[k].length > 0),
        );
        assert.deepEqual(covered, Object.keys(KIND_COLUMNS), 'the sample fills every index table');

        const changed = { ...patient, name: [{ family: 'Other' }], telecom: undefined, address: undefined } as Resource;
        await store.repo.update(changed);
        assert.deepEqual(await stored(store, 'Patient', 'p1'), expected(changed), 'update replaces the old rows');

        await store.repo.delete('Observation', 'o1');
        const none = await stored(store, 'Observation', 'o1');
        assert.deepEqual(Object.values(none).flat(), [], 'a tombstone has no index rows');
      } finally {
        await store.dispose();
      }
    });

    test('a bulk import larger than one statement writes every row; a bad resource stores nothing', async () => {
      const store = await kind.open();
      try {
        const batch = Array.from({ length: 1000 }, (_, i) => sample(i)).flat();
        // The string table gets far more rows than one multi-row statement holds.
        const stringRows = batch.reduce((n, r) => n + extractIndexRows(r).string.length, 0);
        assert.ok(stringRows > Math.floor(store.dialect.maxParameters / 5), `${stringRows} string rows`);

        const bad = [...batch.slice(0, 700), { resourceType: 'Patient', birthDate: 'not a date' }, ...batch.slice(700)];
        await assert.rejects(store.repo.importMany(bad), /\[700\]/);
        assert.deepEqual(await store.repo.countByType(), {}, 'all or nothing');

        const versions = await store.repo.importMany(batch);
        assert.equal(versions.length, batch.length);
        for (const r of batch.filter((_, i) => i % 97 === 0 || i === batch.length - 1)) {
          assert.deepEqual(await stored(store, r.resourceType, r.id as string), expected(r), `${r.resourceType}/${r.id}`);
        }
        const total = await store.dialect.db.selectFrom('sp_string').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
        assert.equal(Number(total.n), stringRows);
      } finally {
        await store.dispose();
      }
    });
  });
}
