/**
 * The demo's own code lists against the public sources they were copied from in
 * ../shared/data: ICD-10-CM FY2026 billable codes, RxNorm ingredient codes (NDF-RT map),
 * LOINC names, units and ranges. Skips visibly when ../shared is absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CONDITIONS } from '../src/demo/condition-catalog.js';
import { DRUGS } from '../src/demo/medication-catalog.js';
import { NOT_IN_RANGE_FILE, OBSERVATIONS } from '../src/demo/observation-catalog.js';
import { ALLERGIES } from '../src/demo/allergy-catalog.js';
import { RXNORM } from '../src/demo/medication-catalog.js';

const DATA = fileURLToPath(new URL('../../../../shared/data/', import.meta.url));
const SKIP = existsSync(DATA) ? false : `catalog checks skipped: ${DATA} absent (../shared/data is not part of the repository)`;

function rows(path: string, sep: string | RegExp): string[][] {
  return readFileSync(DATA + path, 'utf8')
    .split(/\r?\n/)
    .slice(1)
    .filter(Boolean)
    .map((l) => l.split(sep));
}

test('every ICD-10-CM code of the demo is a FY2026 billable code, shown with its long description', { skip: SKIP }, () => {
  const icd = new Map(rows('terminology/icd10cm-2026-billable.tsv', '\t').map(([code, , long]) => [code, long]));
  for (const [key, c] of Object.entries(CONDITIONS)) {
    assert.ok(icd.has(c.code), `${key}: ${c.code} is billable`);
    assert.equal(c.display, icd.get(c.code), `${key}: ${c.code} description`);
  }
});

test('every RxNorm code of the demo is an ingredient code of the knowledge folder, with its name', { skip: SKIP }, () => {
  const names = new Map<string, Set<string>>();
  for (const [rxcui, , name] of rows('knowledge/ndfrt-rxnorm-ingredients.csv', ';')) {
    if (!rxcui || !name) continue;
    const set = names.get(rxcui) ?? new Set<string>();
    set.add(name.toLowerCase());
    names.set(rxcui, set);
  }
  for (const [key, d] of Object.entries(DRUGS)) {
    assert.ok(names.get(d.rxcui)?.has(d.name), `${key}: RXCUI ${d.rxcui} is "${d.name}"`);
  }
  for (const [key, a] of Object.entries(ALLERGIES)) {
    if (a.system === RXNORM) assert.ok(names.has(a.code), `allergy ${key}: RXCUI ${a.code}`);
  }
});

test('LOINC names, units and ranges of the demo are those of loinc-lab-ranges.tsv', { skip: SKIP }, () => {
  const loinc = new Map(rows('terminology/loinc-lab-ranges.tsv', '\t').map((r) => [r[0], r]));
  const num = (s: string | undefined): number | undefined => (s === undefined || s === '' ? undefined : Number(s));
  for (const [key, k] of Object.entries(OBSERVATIONS)) {
    const row = loinc.get(k.loinc);
    if (NOT_IN_RANGE_FILE.includes(k.loinc)) {
      assert.equal(row, undefined, `${key} is not in the file`);
      continue;
    }
    assert.ok(row, `${key}: ${k.loinc} in the file`);
    const [, name, , unit, low, high, critLow, critHigh] = row;
    assert.equal(k.name, name, `${key} name`);
    // Weight and height are recorded in kg and cm (the file has [lb_av] and [in_i]) and without a "normal" range.
    if (key === 'weight' || key === 'height') continue;
    // Questionnaire scores have no unit in the file; the demo records them as integers.
    if (k.category !== 'survey') assert.equal(k.ucum, unit, `${key} unit`);
    assert.deepEqual([k.low, k.high, k.criticalLow, k.criticalHigh], [num(low), num(high), num(critLow), num(critHigh)], `${key} range`);
  }
});
