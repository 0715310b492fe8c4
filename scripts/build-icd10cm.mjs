#!/usr/bin/env node
// Builds the ICD-10-CM file Chartroom ships (packages/server/data/icd10cm-2026.tsv.gz) from
// the CMS list of valid (billable) FY2026 codes in ../shared/data/terminology/:
//   node scripts/build-icd10cm.mjs [SOURCE.tsv]
// Output: gzip of "code<TAB>long description[<TAB>short description when different]" lines,
// sorted by code, after a header line "# ICD-10-CM FY2026 …". The CMS list is a US
// government work in the public domain.
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { Buffer } from 'node:buffer';

const root = new URL('..', import.meta.url).pathname;
const source = process.argv[2] ?? `${root}../shared/data/terminology/icd10cm-2026-billable.tsv`;
const target = `${root}packages/server/data/icd10cm-2026.tsv.gz`;

const lines = readFileSync(source, 'utf8').split(/\r?\n/);
const header = lines.shift();
if (header !== 'code\tshort_description\tlong_description') throw new Error(`unexpected header: ${header}`);
// Lines of the source that are not ICD-10-CM codes, left out on purpose.
const EXCLUDED = {
  'HO5.831': 'a typo (letter O) of H05.831, which the list also has',
  'NOI.NJ': '"NO INJURY" is not an ICD-10-CM code',
};
const rows = [];
const skipped = [];
for (const line of lines) {
  if (!line.trim()) continue;
  const [code, shortText, longText] = line.split('\t');
  if (code && EXCLUDED[code]) {
    skipped.push(`${code}: ${EXCLUDED[code]}`);
    continue;
  }
  const long = longText || shortText;
  const short = shortText;
  if (!/^[A-Z][0-9A-Z][0-9A-Z](\.[0-9A-Z]{1,4})?$/.test(code ?? '') || !long) throw new Error(`bad line: ${line}`);
  rows.push(short && short !== long ? `${code}\t${long}\t${short}` : `${code}\t${long}`);
}
rows.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
const text = `# ICD-10-CM FY2026 valid codes (CMS, public domain): code, long description, short description when different; ${rows.length} codes\n${rows.join('\n')}\n`;
const gz = gzipSync(Buffer.from(text, 'utf8'), { level: 9 });
writeFileSync(target, gz);
console.log(`${rows.length} codes → ${target} (${gz.length} bytes); left out: ${skipped.join('; ')}`);
