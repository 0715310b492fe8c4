#!/usr/bin/env node
// Builds the compact LOINC reference-range table that ships with Chartroom
// (packages/server/src/clinical/labs/loinc-lab-ranges.tsv) from the shared terminology file
// ../shared/data/terminology/loinc-lab-ranges.tsv (fresh clones do not have ../shared; the
// output is committed). Keeps codes that have a unit or a range; skips rows without a
// LOINC code, treats a 0–0 "range" as none (a placeholder in the source), and drops
// critical limits that lie inside the normal range (source errors). Columns:
//   loinc, ucum unit, normal low, normal high, critical low, critical high, name
//   node scripts/build-loinc-ranges.mjs [SOURCE.tsv]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const source = process.argv[2] ?? join(root, '..', 'shared', 'data', 'terminology', 'loinc-lab-ranges.tsv');
const target = join(root, 'packages', 'server', 'src', 'clinical', 'labs', 'loinc-lab-ranges.tsv');

let text;
try {
  text = readFileSync(source, 'utf8');
} catch (err) {
  console.error(`Cannot read ${source}: ${err.message}`);
  process.exit(1);
}
const lines = text.split(/\r?\n/).filter((l) => l.trim());
const header = lines.shift()?.split('\t') ?? [];
const col = (name) => {
  const i = header.indexOf(name);
  if (i < 0) throw new Error(`column ${name} missing in ${source}`);
  return i;
};
const c = { loinc: col('loinc'), name: col('name'), unit: col('unit_ucum'), low: col('normal_low'), high: col('normal_high'), critLow: col('critical_low'), critHigh: col('critical_high') };
const num = (v, where) => {
  const s = (v ?? '').trim();
  if (!s) return '';
  if (!/^-?\d+(\.\d+)?$/.test(s)) throw new Error(`${where}: "${s}" is not a number`);
  return String(Number(s));
};
const out = [
  '# LOINC codes with UCUM unit, normal range and critical limits: one institution\'s defaults (NLM flowsheet-lhc,',
  '# LHNCBC/flowsheet-lhc src/stores/h17.js, BSD-style licence), configurable, not truth. Built by scripts/build-loinc-ranges.mjs.',
  '# LOINC codes and names are copyright Regenstrief Institute, Inc., available at no cost under the LOINC terms of use (loinc.org/terms-of-use).',
  'loinc\tunit\tlow\thigh\tcritical_low\tcritical_high\tname',
];
let kept = 0;
const dropped = { noCode: 0, zeroRange: 0, badCritical: 0 };
const seen = new Set();
for (const [i, line] of lines.entries()) {
  const f = line.split('\t');
  const loinc = (f[c.loinc] ?? '').trim();
  const where = `${source} line ${i + 2}`;
  if (!/^\d{1,7}-\d$/.test(loinc)) {
    dropped.noCode++;
    continue;
  }
  if (seen.has(loinc)) continue;
  seen.add(loinc);
  const row = [loinc, (f[c.unit] ?? '').trim(), num(f[c.low], where), num(f[c.high], where), num(f[c.critLow], where), num(f[c.critHigh], where), (f[c.name] ?? '').trim()];
  if (row[2] === '0' && row[3] === '0') {
    row[2] = row[3] = '';
    dropped.zeroRange++;
  }
  if (row[4] && row[2] && Number(row[4]) > Number(row[2])) {
    row[4] = '';
    dropped.badCritical++;
  }
  if (row[5] && row[3] && Number(row[5]) < Number(row[3])) {
    row[5] = '';
    dropped.badCritical++;
  }
  if (!row[1] && !row[2] && !row[3] && !row[4] && !row[5]) continue;
  out.push(row.join('\t'));
  kept++;
}
writeFileSync(target, `${out.join('\n')}\n`);
console.log(`Wrote ${kept} LOINC codes to ${target}; skipped ${dropped.noCode} rows without a code, ${dropped.zeroRange} 0–0 ranges, ${dropped.badCritical} critical limits inside the normal range`);
