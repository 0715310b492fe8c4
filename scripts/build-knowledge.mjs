#!/usr/bin/env node
// Builds Chartroom's drug-interaction knowledge base from the shared reference data:
//   ../shared/data/knowledge/  ONC high-priority pairs, NDF-RT RxNorm ingredients, PDDI-CDS value sets, README lists
//   ../shared/data/synthea-r4/ RxNorm codes used by the Synthea sample patients
//   scripts/knowledge-curated.mjs  hand-curated classes and rules (names only, each with its source)
// and writes packages/core/src/clinical/knowledge/knowledge-data.ts, which is committed and
// ships with Chartroom (a fresh clone has no ../shared).
//
//   node scripts/build-knowledge.mjs [--shared DIR] [--date YYYY-MM-DD] [--check]
//
// --check rebuilds in memory and exits 1 if the committed file differs (apart from the date).
// Every RxNorm code in the output comes from the shared files; a curated name that does
// not resolve to a code there stops the build.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ALLERGY_RULES, CLASSES, COMMON_DRUGS, DDI_RULES, NAME_SYNONYMS, ONC_NON_INTERRUPTIVE, SALT_WORDS, SOURCES } from './knowledge-curated.mjs';

const root = resolve(new URL('..', import.meta.url).pathname);
const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const shared = resolve(opt('--shared') ?? join(root, '..', 'shared', 'data'));
const knowledgeDir = join(shared, 'knowledge');
const syntheaDir = join(shared, 'synthea-r4');
const outFile = join(root, 'packages/core/src/clinical/knowledge/knowledge-data.ts');
const FORMAT = 1;
const MAJOR = 1;

if (!existsSync(knowledgeDir)) {
  console.error(`build-knowledge: ${knowledgeDir} not found; pass --shared DIR (the folder holding knowledge/ and synthea-r4/)`);
  process.exit(2);
}

const inputs = [];
function readInput(path) {
  const text = readFileSync(path, 'utf8');
  inputs.push({ file: path.slice(shared.length + 1), sha256: createHash('sha256').update(text).digest('hex').slice(0, 16) });
  return text;
}

// ---------------------------------------------------------------- CSV helpers
function parseCsvLine(line, sep = ',') {
  const out = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (q) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') q = false;
      else cur += ch;
    } else if (ch === '"') q = true;
    else if (ch === sep) {
      out.push(cur);
      cur = '';
    }
    else cur += ch;
  }
  out.push(cur);
  return out;
}
const rowsOf = (text, sep) =>
  text
    .split(/\r?\n/)
    .filter((l) => l.trim())
    .slice(1)
    .map((l) => parseCsvLine(l, sep));

// ---------------------------------------------------------------- NDF-RT vocabulary
const norm = (s) => s.toLowerCase().replace(/\s+/g, ' ').trim();
/** Ingredient-level names (not VA products) → codes. */
const nameToCodes = new Map();
/** Code → preferred lower-case name. */
const codeName = new Map();
const vaProducts = [];
for (const [rxcui, , rawName] of rowsOf(readInput(join(knowledgeDir, 'ndfrt-rxnorm-ingredients.csv')), ';')) {
  if (!rxcui || !rawName) continue;
  if (/\[VA Prod/i.test(rawName) || /\[V?A?$/.test(rawName)) {
    vaProducts.push({ rxcui, name: rawName });
    continue;
  }
  const name = norm(rawName.replace(/\s*\[Chemical\/Ingredient\]\s*$/i, ''));
  if (!nameToCodes.has(name)) nameToCodes.set(name, new Set());
  nameToCodes.get(name).add(rxcui);
  if (!codeName.has(rxcui) || /\[Chemical\/Ingredient\]/i.test(rawName)) codeName.set(rxcui, name);
}

/** The one code NDF-RT gives an ingredient name, or undefined. */
function codeOfName(name) {
  const n = norm(NAME_SYNONYMS[norm(name)] ?? name);
  const codes = nameToCodes.get(n);
  if (!codes || codes.size === 0) return undefined;
  return [...codes].sort((a, b) => Number(a) - Number(b))[0];
}

// ---------------------------------------------------------------- the drug list
/** Ingredient code → { rxcui, name, classes:Set, origin:Set }. */
const drugs = new Map();
const problems = [];
function addDrug(rxcui, name, origin) {
  if (!drugs.has(rxcui)) drugs.set(rxcui, { rxcui, name: norm(name), classes: new Set(), origin: new Set() });
  drugs.get(rxcui).origin.add(origin);
  return drugs.get(rxcui);
}
const missingNames = [];
function requireName(name, why) {
  const code = codeOfName(name);
  if (!code) {
    missingNames.push(`"${name}" (${why})`);
    return { rxcui: '', classes: new Set() };
  }
  // A curated name is the name shown (NDF-RT's [Chemical/Ingredient] name can be an older one: thyroxine for levothyroxine).
  const d = addDrug(code, name, why);
  d.name = norm(NAME_SYNONYMS[norm(name)] ?? name);
  return d;
}
function stopOnMissingNames() {
  if (missingNames.length === 0) return;
  console.error(`build-knowledge: these names have no RxNorm code in ndfrt-rxnorm-ingredients.csv:\n  ${missingNames.join('\n  ')}`);
  process.exit(1);
}

// ONC pairs (402 rows; group 21 is class-level).
const oncGroups = new Map();
const oncGroupMembers = new Map();
for (const r of rowsOf(readInput(join(knowledgeDir, 'onc_high_priority_ddi_groups.csv')))) {
  oncGroups.set(r[0], { objectClass: r[1], precipitantClass: r[3], severity: r[5], kind: r[6], mechanism: r[7] });
  oncGroupMembers.set(r[0], r[2]);
}
const oncPairs = rowsOf(readInput(join(knowledgeDir, 'onc_high_priority_ddi_expanded.csv'))).map((r) => ({
  group: r[0],
  objectDrug: r[2],
  objectRxcui: r[3],
  precipitantDrug: r[5],
  precipitantRxcui: r[6],
}));
// Rows without a code: resolve the name through NDF-RT (the source misspells moclobemide
// "Moclobamide"); a row naming a class where a drug belongs ("NSAID" as a protease
// inhibitor in group 23) is a defect of the source, kept out of the rules and listed.
const sourceDefects = [];
for (const p of oncPairs) {
  if (p.group === '21') continue;
  for (const side of ['object', 'precipitant']) {
    if (p[`${side}Rxcui`]) continue;
    const code = codeOfName(p[`${side}Drug`]);
    if (code) p[`${side}Rxcui`] = code;
  }
  if (!p.objectRxcui || !p.precipitantRxcui) sourceDefects.push(`onc_high_priority_ddi_expanded.csv group ${p.group}: ${p.objectDrug} + ${p.precipitantDrug} has no ingredient code (not a drug name)`);
}
for (const p of oncPairs) {
  if (!p.objectRxcui || !p.precipitantRxcui) continue;
  for (const [code, name] of [
    [p.objectRxcui, p.objectDrug],
    [p.precipitantRxcui, p.precipitantDrug],
  ]) {
    const known = codeName.get(code);
    if (!known) problems.push(`ONC code ${code} (${name}) is not in NDF-RT`);
    addDrug(code, known ?? name, 'onc');
  }
}

// QT list with torsades risk, with its codes, from the knowledge README.
const readme = readInput(join(knowledgeDir, 'README.md'));
const qtSection = readme.split(/^## /m).find((s) => s.startsWith('Known QT-prolonging'));
if (!qtSection) throw new Error('build-knowledge: README has no "Known QT-prolonging drugs" section');
const qtText = (qtSection.split(/Withdrawn from/)[0] ?? '').replace(/\s+/g, ' ');
const qtKnown = [];
for (const m of qtText.matchAll(/([a-z][a-z ]*?) (\d+)[,.]/g)) {
  const name = norm(m[1]);
  const code = m[2];
  if (!codeName.has(code)) problems.push(`QT list code ${code} (${name}) is not in NDF-RT`);
  qtKnown.push(code);
  addDrug(code, codeName.get(code) ?? name, 'qt');
}
if (qtKnown.length < 25) throw new Error(`build-knowledge: only ${qtKnown.length} QT drugs parsed from the README`);

// Curated classes.
const classMembers = new Map();
for (const [id, c] of Object.entries(CLASSES)) {
  const members = [];
  for (const name of c.members) {
    const d = requireName(name, `class ${id}`);
    d.classes.add(id);
    members.push(d.rxcui);
  }
  classMembers.set(id, members);
}
// The ONC QT class.
classMembers.set('qtKnownRisk', qtKnown);
for (const code of qtKnown) drugs.get(code).classes.add('qtKnownRisk');

for (const name of COMMON_DRUGS) requireName(name, 'common');
stopOnMissingNames();

// ---------------------------------------------------------------- product → ingredient mapping
const SALTS = new Set(SALT_WORDS);
const wantedByName = () => new Map([...drugs.values()].map((d) => [d.name, d.rxcui]));
let byName = wantedByName();

/** Resolves one ingredient phrase ("oxyCODONE Hydrochloride") to a listed ingredient code. */
function resolveIngredient(phrase, allowAdd) {
  let words = norm(phrase)
    .replace(/\(.*?\)/g, ' ')
    .replace(/[,]/g, ' ')
    .split(' ')
    .filter(Boolean);
  // The whole phrase, then with salt words stripped from the end.
  for (;;) {
    const name = norm(NAME_SYNONYMS[words.join(' ')] ?? words.join(' '));
    if (byName.has(name)) return byName.get(name);
    if (words.length > 1 && SALTS.has(words[words.length - 1])) {
      words = words.slice(0, -1);
      continue;
    }
    break;
  }
  if (allowAdd) {
    const code = codeOfName(words.join(' '));
    if (code) {
      const d = addDrug(code, codeName.get(code) ?? words.join(' '), 'synthea');
      byName = wantedByName();
      return d.rxcui;
    }
  }
  return undefined;
}

/** Ingredient phrases of a clinical-drug name ("Acetaminophen 325 MG / oxyCODONE 5 MG Oral Tablet"). */
function ingredientPhrases(display) {
  const text = display
    .replace(/\[[^\]]*\]?/g, ' ')
    .replace(/^(abuse-deterrent\s+)?/i, '')
    .replace(/^\s*NDA\d+\s+/i, '')
    .replace(/^\s*[\d.]+\s+(ML|HR|ACTUAT|DAY)\s+/i, '');
  return text
    .split('/')
    .map((part) => {
      const words = part.trim().split(/\s+/);
      const out = [];
      for (const w of words) {
        if (/^[\d.]/.test(w)) break;
        out.push(w);
      }
      return out.join(' ');
    })
    .filter((phrase) => phrase && !UNIT_WORDS.test(phrase.split(' ')[0]));
}
/** A phrase after a "/" that is the rest of a unit ("MG/ML Injection"), not an ingredient. */
const UNIT_WORDS = /^(ml|mg|mcg|gm?|l|hr|actuat|unt|meq|day|kg|dose|spray)$/i;
const LOCAL_FORM = /\b(topical|ophthalmic|otic|vaginal|rectal|cream|ointment|lotion|shampoo|oph|ophth|top|vag|rtl)\b/i;

/** Product code → ingredient codes. */
const codes = new Map();
const localCodes = new Set();
const unmapped = [];
function mapProduct(code, display, { allowAdd = false, local = false, fallback } = {}) {
  if (drugs.has(code)) return true;
  const phrases = ingredientPhrases(display).filter(Boolean);
  let ingredients = phrases.map((p) => resolveIngredient(p, allowAdd));
  if (phrases.length === 0 || ingredients.some((x) => x === undefined)) {
    if (fallback && phrases.length <= 1) ingredients = [fallback];
    else return false;
  }
  codes.set(code, [...new Set(ingredients)]);
  if (local) localCodes.add(code);
  return true;
}

// Synthea products (their ingredients join the list).
const syntheaCodes = new Map();
if (existsSync(syntheaDir)) {
  for (const f of readdirSync(syntheaDir).filter((n) => n.endsWith('.json')).sort()) {
    const bundle = JSON.parse(readInput(join(syntheaDir, f)));
    for (const e of bundle.entry ?? []) {
      const r = e.resource ?? {};
      const cc = r.resourceType === 'MedicationRequest' ? r.medicationCodeableConcept : r.resourceType === 'Medication' ? r.code : undefined;
      for (const c of cc?.coding ?? []) if (/rxnorm/.test(c.system ?? '') && c.code) syntheaCodes.set(c.code, c.display ?? '');
    }
  }
} else {
  problems.push(`${syntheaDir} not found: Synthea drugs not included`);
}
for (const [code, display] of [...syntheaCodes].sort()) {
  if (!mapProduct(code, display, { allowAdd: true, local: LOCAL_FORM.test(display) })) unmapped.push(`synthea ${code} ${display}`);
}

// Salt and precise-ingredient codes in NDF-RT whose base is a listed ingredient (lithium carbonate → lithium).
for (const [name, set] of nameToCodes) {
  const base = resolveIngredient(name, false);
  if (!base) continue;
  for (const code of set) if (!drugs.has(code) && !codes.has(code)) codes.set(code, [base]);
}

// PDDI-CDS value sets: product codes by ingredient (the "-exclude" sets are local, e.g. ophthalmic, products).
for (const [valueset, code, display] of rowsOf(readInput(join(knowledgeDir, 'pddi-cds-rxnorm-valuesets.tsv')), '\t')) {
  const local = valueset.endsWith('-exclude');
  const ingredient = valueset.replace(/-exclude$/, '');
  const fallback = byName.get(norm(NAME_SYNONYMS[ingredient] ?? ingredient));
  if (!fallback) continue; // a value set for an ingredient outside the list (aldosterone, trilostane…)
  mapProduct(code, display, { local, fallback });
}

// NDF-RT VA products whose ingredients are all listed.
for (const p of vaProducts) {
  const name = p.name.replace(/\s*\[.*$/, '');
  mapProduct(p.rxcui, name, { local: LOCAL_FORM.test(name) || /\bOINT\b/.test(name) });
}

// ---------------------------------------------------------------- rules
const expand = (sides, where) => {
  const out = new Set();
  for (const s of sides) {
    if (s === 'qt:known') qtKnown.forEach((c) => out.add(c));
    else if (s.startsWith('class:')) {
      const m = classMembers.get(s.slice(6));
      if (!m) throw new Error(`build-knowledge: unknown class ${s} in ${where}`);
      m.forEach((c) => out.add(c));
    } else out.add(requireName(s, where).rxcui);
  }
  return [...out].sort((a, b) => Number(a) - Number(b));
};

const sources = { ...SOURCES };
const ddiRules = [];
const SEROTONIN_FAMILY_GROUPS = new Set(['3', '8', '16', '20', '30', '31']);
for (const [group, g] of [...oncGroups].sort((a, b) => Number(a[0]) - Number(b[0]))) {
  const pairs = oncPairs.filter((p) => p.group === group);
  const sourceId = `onc-2012-group-${group}`;
  sources[sourceId] =
    `ONC high-priority drug-drug interactions (Phansalkar S et al., J Am Med Inform Assoc 2012;19(5):735-743), group ${group}: ${g.objectClass} + ${g.precipitantClass} (${g.severity}; ${g.kind}); ` +
    (group === '21' ? 'members: the known-risk QT list of ../shared/data/knowledge/README.md' : 'RxNorm ingredient pairs from onc_high_priority_ddi_expanded.csv (NDF-RT 2014 mapping)');
  let a;
  let b;
  if (group === '21') {
    a = qtKnown.slice().sort((x, y) => Number(x) - Number(y));
    b = a;
  } else {
    const coded = pairs.filter((p) => p.objectRxcui && p.precipitantRxcui);
    a = [...new Set(coded.map((p) => p.objectRxcui))].sort((x, y) => Number(x) - Number(y));
    b = [...new Set(coded.map((p) => p.precipitantRxcui))].sort((x, y) => Number(x) - Number(y));
    // The expanded rows are the full cross product of each group's two sides; check it.
    const have = new Set(coded.map((p) => `${p.objectRxcui}|${p.precipitantRxcui}`));
    const cross = a.flatMap((x) => b.map((y) => `${x}|${y}`));
    if (cross.length !== have.size || cross.some((k) => !have.has(k))) throw new Error(`build-knowledge: ONC group ${group} is not a cross product; store pairs explicitly`);
  }
  if (group === '23' && /atazanavir/.test(readme + g.objectClass + (oncGroupMembers.get(group) ?? ''))) {
    // The groups file names atazanavir among group 23's protease inhibitors ("+ atazanavir in the
    // 'Table 2' sheet"); its code is the one the expanded file gives it in group 4.
    const atv = oncPairs.find((p) => /^atazanavir$/i.test(p.objectDrug))?.objectRxcui;
    if (atv && !a.includes(atv)) a = [...a, atv].sort((x, y) => Number(x) - Number(y));
  }
  ddiRules.push({
    id: `onc-${group}`,
    severity: 'contraindicated',
    ...(group === '21' ? { family: 'qt' } : SEROTONIN_FAMILY_GROUPS.has(group) ? { family: 'serotonin' } : {}),
    a,
    b,
    title: `${g.objectClass} + ${g.precipitantClass}`,
    explanation: g.mechanism,
    source: sourceId,
  });
}
for (const r of DDI_RULES) {
  if (!sources[r.source]) throw new Error(`build-knowledge: rule ${r.id} cites unknown source ${r.source}`);
  ddiRules.push({ id: r.id, severity: r.severity, ...(r.family ? { family: r.family } : {}), a: expand(r.a, r.id), b: expand(r.b, r.id), title: r.title, explanation: r.explanation, source: r.source });
}
ONC_NON_INTERRUPTIVE.forEach(([title, a, b], i) => {
  const id = `onc-ni-${String(i + 1).padStart(2, '0')}`;
  ddiRules.push({
    id,
    severity: 'info',
    a: expand(a, id),
    b: expand(b, id),
    title,
    explanation: `${title}: a clinically known interaction that the ONC panel judged should be shown without interrupting the prescriber (monitor as usual).`,
    source: 'oncNonInterruptive',
  });
});

const allergyRules = [];
for (const [id, c] of Object.entries(CLASSES)) {
  if (!c.allergyGroup) continue;
  const m = classMembers.get(id);
  allergyRules.push({
    id: `allergy-class-${id}`,
    severity: 'major',
    allergen: m,
    drug: m,
    title: `Allergy to a drug of the same class: ${c.name}`,
    explanation: `The patient has an allergy recorded to a drug of the ${c.name} class; this drug belongs to the same class, and cross-reactions within the class are likely.`,
    source: 'allergyPractice',
  });
}
for (const r of ALLERGY_RULES) allergyRules.push({ ...r, allergen: expand(r.allergen, r.id), drug: expand(r.drug, r.id), source: 'allergyPractice' });

stopOnMissingNames();

// ---------------------------------------------------------------- write
const classes = Object.fromEntries(
  [...Object.entries(CLASSES), ['qtKnownRisk', { name: 'QT-prolonging drugs with known torsades risk (ONC 2013 list)' }]].map(([id, c]) => [
    id,
    { name: c.name, ...(c.duplicate ? { duplicate: true } : {}), ...(c.allergyGroup ? { allergyGroup: true } : {}) },
  ]),
);
const drugList = [...drugs.values()]
  .sort((a, b) => a.name.localeCompare(b.name) || Number(a.rxcui) - Number(b.rxcui))
  .map((d) => ({ rxcui: d.rxcui, name: d.name, classes: [...d.classes].sort() }));
const codeList = Object.fromEntries([...codes].filter(([c]) => !drugs.has(c)).sort((a, b) => Number(a[0]) - Number(b[0])));

const body = {
  format: FORMAT,
  sources,
  inputs,
  sourceDefects,
  classes,
  drugs: drugList,
  codes: codeList,
  localCodes: [...localCodes].filter((c) => codes.has(c)).sort((a, b) => Number(a) - Number(b)),
  ddiRules,
  allergyRules,
};
const hash = createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 8);
const builtAt = opt('--date') ?? new Date().toISOString().slice(0, 10);
const version = `${MAJOR}.${builtAt.replaceAll('-', '')}.${hash}`;

function ts() {
  const lines = [];
  lines.push('// Generated by scripts/build-knowledge.mjs from ../shared/data/knowledge, ../shared/data/synthea-r4 and');
  lines.push('// scripts/knowledge-curated.mjs. Do not edit by hand: change the inputs and rebuild.');
  lines.push("import type { KnowledgeBaseData } from '../knowledge-base-data.js';");
  lines.push('');
  lines.push('/** The knowledge base that ships with this release of Chartroom. */');
  lines.push('export const KNOWLEDGE_DATA: KnowledgeBaseData = {');
  lines.push(`  format: ${FORMAT},`);
  lines.push(`  version: ${JSON.stringify(version)},`);
  lines.push(`  builtAt: ${JSON.stringify(builtAt)},`);
  lines.push(`  sources: {`);
  for (const [k, v] of Object.entries(body.sources)) lines.push(`    ${JSON.stringify(k)}: ${JSON.stringify(v)},`);
  lines.push('  },');
  lines.push(`  inputs: [`);
  for (const i of body.inputs.filter((x) => !x.file.startsWith('synthea-r4/'))) lines.push(`    ${JSON.stringify(i)},`);
  lines.push(`    ${JSON.stringify({ file: 'synthea-r4/*.json', sha256: createHash('sha256').update(JSON.stringify(body.inputs.filter((x) => x.file.startsWith('synthea-r4/')))).digest('hex').slice(0, 16) })},`);
  lines.push('  ],');
  lines.push(`  sourceDefects: ${JSON.stringify(body.sourceDefects, null, 4).replace(/\n/g, '\n  ')},`);
  lines.push('  classes: {');
  for (const [k, v] of Object.entries(body.classes)) lines.push(`    ${k}: ${JSON.stringify(v)},`);
  lines.push('  },');
  lines.push('  drugs: [');
  for (const d of body.drugs) lines.push(`    ${JSON.stringify(d)},`);
  lines.push('  ],');
  lines.push('  // Salt, precise-ingredient and product codes → ingredient codes.');
  lines.push('  codes: {');
  const entries = Object.entries(body.codes);
  for (let i = 0; i < entries.length; i += 8) lines.push('    ' + entries.slice(i, i + 8).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(', ') + ',');
  lines.push('  },');
  lines.push('  // Products for local use (ophthalmic, topical): checked for allergies, not for interactions.');
  lines.push(`  localCodes: ${JSON.stringify(body.localCodes)},`);
  lines.push('  ddiRules: [');
  for (const r of body.ddiRules) lines.push(`    ${JSON.stringify(r)},`);
  lines.push('  ],');
  lines.push('  allergyRules: [');
  for (const r of body.allergyRules) lines.push(`    ${JSON.stringify(r)},`);
  lines.push('  ],');
  lines.push('};');
  return lines.join('\n') + '\n';
}

const out = ts();
if (args.includes('--check')) {
  const old = existsSync(outFile) ? readFileSync(outFile, 'utf8') : '';
  const strip = (s) => s.replace(/^ {2}(version|builtAt): .*$/gm, '');
  if (strip(old) !== strip(out)) {
    console.error('build-knowledge --check: packages/core/src/clinical/knowledge/knowledge-data.ts is out of date; run node scripts/build-knowledge.mjs');
    process.exit(1);
  }
  console.log('build-knowledge --check: up to date');
} else {
  writeFileSync(outFile, out);
  console.log(`build-knowledge: wrote ${outFile.slice(root.length + 1)} (version ${version})`);
}
console.log(
  `  ${drugList.length} ingredients, ${Object.keys(codeList).length} salt/product codes (${body.localCodes.length} local), ${ddiRules.length} drug-drug rules, ${allergyRules.length} allergy rules, ${Object.keys(classes).length} classes`,
);
for (const p of problems) console.log(`  note: ${p}`);
if (unmapped.length) console.log(`  ${unmapped.length} Synthea codes not mapped to listed ingredients (checked as "not checked"):\n    ${unmapped.join('\n    ')}`);
