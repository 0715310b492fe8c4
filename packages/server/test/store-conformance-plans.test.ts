/**
 * Query plans of common searches on SQLite (a clinic node has no ANALYZE statistics, so the
 * planner's defaults are what runs): every statement a search issues — the match query,
 * includes, $everything — must reach index tables through an index range or key, never by
 * reading every row of a parameter, and never scan a table. PostgreSQL plans by statistics
 * and is not checked here.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CompiledQuery } from 'kysely';
import type { KyselyPlugin, RootOperationNode } from 'kysely';
import { parseSearchRequest } from '@chartroom/core';
import type { Resource } from '@medplum/fhirtypes';
import { FhirRepository } from '../src/store/fhir-repository.js';
import type { TestStore } from './helpers/stores.js';
import { STORE_KINDS, queryOf, withStore } from './store-conformance-kit.js';

const FAMILIES = ['Smith', 'Jones', 'Muñoz', 'Nguyen', 'Olsen', 'Garcia', 'Brown', 'Lee', 'Kim', 'Patel'];

async function seed(store: TestStore): Promise<void> {
  const patients: Resource[] = [];
  const observations: Resource[] = [];
  for (let i = 0; i < 300; i++) {
    patients.push({ resourceType: 'Patient', id: `p${i}`, name: [{ family: `${FAMILIES[i % 10]}${i}`, given: [`G${i}`] }], birthDate: `19${50 + (i % 50)}-01-01` } as Resource);
  }
  for (let i = 0; i < 1500; i++) {
    observations.push({
      resourceType: 'Observation',
      id: `o${i}`,
      status: 'final',
      code: { coding: [{ system: 'http://loinc.org', code: `c${i % 7}` }] },
      subject: { reference: `Patient/p${i % 300}` },
      effectiveDateTime: `2020-0${1 + (i % 9)}-0${1 + (i % 7)}T00:00:00Z`,
      valueQuantity: { value: i % 100, system: 'http://unitsofmeasure.org', code: 'mg' },
    } as Resource);
  }
  const provenance = Array.from({ length: 100 }, (_, i) => ({
    resourceType: 'Provenance',
    id: `v${i}`,
    target: [{ reference: `Observation/o${i}` }],
    recorded: '2020-01-01T00:00:00Z',
    agent: [{ who: { reference: 'Practitioner/x' } }],
  })) as Resource[];
  await store.repo.importMany(patients);
  await store.repo.importMany(observations);
  await store.repo.importMany(provenance);
}

/** A repository over the same database that records every statement it runs. */
function recordingRepo(store: TestStore): { repo: FhirRepository; statements: RootOperationNode[] } {
  const statements: RootOperationNode[] = [];
  const plugin: KyselyPlugin = {
    transformQuery: (args) => {
      statements.push(args.node);
      return args.node;
    },
    transformResult: (args) => Promise.resolve(args.result),
  };
  return { repo: new FhirRepository(store.dialect, store.dialect.db.withPlugin(plugin)), statements };
}

async function plans(store: TestStore, statements: RootOperationNode[]): Promise<{ sql: string; plan: string[] }[]> {
  const out = [];
  for (const node of statements) {
    const compiled = store.dialect.db.getExecutor().compileQuery(node, { queryId: 'plan' });
    const result = await store.dialect.db.executeQuery<{ detail: string }>(CompiledQuery.raw(`EXPLAIN QUERY PLAN ${compiled.sql}`, [...compiled.parameters]));
    out.push({ sql: compiled.sql.replace(/\s+/g, ' '), plan: result.rows.map((r) => r.detail) });
  }
  return out;
}

/**
 * Plan lines that read a whole table, every row of one parameter in an index table, or
 * every resource of the searched type (probing the filter for each).
 */
function badLines(plan: string[]): string[] {
  return plan.filter(
    (line) => /^SCAN /.test(line) || /USING (COVERING )?INDEX sp_\w+ \(type=\? AND code=\?\)$/.test(line) || /USING (COVERING )?INDEX resources_\w+ \(type=\?\)$/.test(line),
  );
}

const CASES: { type: string; query: string; expectPlan: RegExp[]; expectCount: number; expectIncluded?: number }[] = [
  {
    type: 'Patient',
    query: 'name=smi',
    expectPlan: [/SEARCH s USING COVERING INDEX sp_string_lookup \(type=\? AND code=\? AND value>\? AND value<\?\)/, /SEARCH r USING INTEGER PRIMARY KEY/],
    expectCount: 30,
  },
  {
    type: 'Observation',
    query: 'patient=p5&code=http://loinc.org|c5&date=ge2020-03-01',
    expectPlan: [/SEARCH s USING COVERING INDEX sp_reference_lookup \(type=\? AND code=\? AND target_id=\? AND target_type=\?\)/, /sp_token_rk \(rk=\? AND code=\?\)/, /sp_date_rk \(rk=\? AND code=\?\)/],
    expectCount: 1,
  },
  { type: 'Observation', query: 'subject=Patient/p5', expectPlan: [/sp_reference_lookup \(type=\? AND code=\? AND target_id=\? AND target_type=\?\)/], expectCount: 5 },
  { type: 'Observation', query: 'code=http://loinc.org|c5', expectPlan: [/sp_token_lookup \(type=\? AND code=\? AND value=\? AND system=\?\)/], expectCount: 214 },
  { type: 'Observation', query: 'date=2020-05-03', expectPlan: [/sp_date_lookup \(type=\? AND code=\? AND low>\? AND low<\?\)/], expectCount: 23 },
  { type: 'Observation', query: 'date=ge2020-09-01', expectPlan: [/sp_date_high \(type=\? AND code=\? AND high>\?\)/], expectCount: 166 },
  { type: 'Observation', query: 'date=le2020-01-07', expectPlan: [/sp_date_lookup \(type=\? AND code=\? AND low<\?\)/], expectCount: 167 },
  { type: 'Observation', query: 'value-quantity=5', expectPlan: [/sp_quantity_lookup \(type=\? AND code=\? AND value>\? AND value<\?\)/], expectCount: 15 },
  {
    type: 'Observation',
    query: '_id=o1,o2&_include=Observation:patient&_revinclude=Provenance:target',
    expectPlan: [/SEARCH r USING INDEX resources_type_id/, /sp_reference_rk \(rk=\? AND code=\?\)/, /sp_reference_lookup \(type=\? AND code=\? AND target_id=\? AND target_type=\?\)/],
    expectCount: 2,
    expectIncluded: 4,
  },
  {
    type: 'Patient',
    query: '_id=p7&_revinclude=Observation:*',
    expectPlan: [/sp_reference_target \(target_id=\? AND target_type=\?\)|sp_reference_lookup \(type=\?/],
    expectCount: 1,
    expectIncluded: 5,
  },
  { type: 'Patient', query: '_lastUpdated=ge2020-01-01&_sort=-_lastUpdated&_count=5', expectPlan: [/resources_type_updated \(type=\? AND last_updated>\?/], expectCount: 5 },
];

for (const kind of STORE_KINDS) {
  const skip = kind.skip || (kind.name === 'sqlite' ? false : 'PostgreSQL plans by statistics; plans are checked on SQLite');
  describe(`store conformance (${kind.name}): query plans use the indexes`, { skip }, () => {
    test('searches, includes and $everything read index ranges, never whole tables', async () => {
      await withStore(kind, async (store) => {
        await seed(store);
        for (const c of CASES) {
          const { repo, statements } = recordingRepo(store);
          const result = await repo.search(parseSearchRequest(c.type, queryOf(`${c.query}${c.query.includes('_count') ? '' : '&_count=1000'}`), { strict: true }));
          const label = `${c.type}?${c.query}`;
          assert.equal(result.matches.length, c.expectCount, `${label}: ${result.matches.length} matches`);
          if (c.expectIncluded !== undefined) assert.equal(result.included.length, c.expectIncluded, `${label}: included`);
          const all = await plans(store, statements);
          const lines = all.flatMap((p) => p.plan);
          for (const p of all) assert.deepEqual(badLines(p.plan), [], `${label}: ${p.sql}\n${p.plan.join('\n')}`);
          for (const re of c.expectPlan) assert.ok(lines.some((l) => re.test(l)), `${label}: no plan line matches ${re}\n${lines.join('\n')}`);
        }

        const { repo, statements } = recordingRepo(store);
        const everything = await repo.patientEverything('p7');
        assert.deepEqual(everything.map((v) => `${v.type}/${v.id}`).sort(), ['Observation/o1207', 'Observation/o307', 'Observation/o607', 'Observation/o7', 'Observation/o907', 'Patient/p7']);
        const all = await plans(store, statements);
        for (const p of all) assert.deepEqual(badLines(p.plan), [], `$everything: ${p.sql}\n${p.plan.join('\n')}`);
        assert.ok(all.flatMap((p) => p.plan).some((l) => /sp_reference_target \(target_id=\? AND target_type=\?\)/.test(l)));
      });
    });
  });
}
