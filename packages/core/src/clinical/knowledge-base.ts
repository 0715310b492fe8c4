/**
 * Loading the drug knowledge base: validation of the shipped data and the indexes the checker
 * uses. A knowledge base that fails to load is a state ({@link KnowledgeBaseState}), never a
 * silent empty one: every check made against it says "checking unavailable".
 */
import { OutcomeError, outcomeError } from '../outcomes.js';
import { ALERT_SEVERITIES } from './knowledge-base-data.js';
import type { AlertSeverity, KbAllergyRule, KbClass, KbDdiRule, KbDrug, KnowledgeBaseData } from './knowledge-base-data.js';

/** The knowledge-base format this code reads. */
export const KNOWLEDGE_BASE_FORMAT = 1;

/** A validated, indexed knowledge base. */
export interface KnowledgeBase {
  readonly version: string;
  readonly builtAt: string;
  readonly data: KnowledgeBaseData;
  /** Ingredient code → drug. */
  readonly drugs: ReadonlyMap<string, KbDrug>;
  /** Any known code (ingredient, salt, product) → ingredient codes. */
  readonly ingredientsOf: ReadonlyMap<string, readonly string[]>;
  readonly localCodes: ReadonlySet<string>;
  /** Ingredient code → the duplicate-therapy classes it belongs to (absent when none). */
  readonly duplicateClassesOf: ReadonlyMap<string, readonly string[]>;
  /** Lower-case ingredient name → code (for allergies recorded by name only). */
  readonly drugByName: ReadonlyMap<string, string>;
  readonly classes: ReadonlyMap<string, KbClass>;
  /** `lo|hi` ingredient pair → the drug–drug rules that cover it, in rule order. */
  readonly ddiByPair: ReadonlyMap<string, readonly KbDdiRule[]>;
  /** `allergen|drug` ingredient pair → allergy rules. */
  readonly allergyByPair: ReadonlyMap<string, readonly KbAllergyRule[]>;
  /** The citation of a source id. */
  source(id: string): string;
}

/** Either a loaded knowledge base or the reason it is unavailable. */
export type KnowledgeBaseState = { ok: true; kb: KnowledgeBase } | { ok: false; error: string };

/** The key of an unordered ingredient pair. */
export function pairKey(x: string, y: string): string {
  return x < y ? `${x}|${y}` : `${y}|${x}`;
}

const SEVERITIES = new Set<string>(ALERT_SEVERITIES);

function fail(message: string): never {
  throw outcomeError('unavailable', `The drug knowledge base cannot be loaded: ${message}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringArray(v: unknown, where: string): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || x === '')) fail(`${where} is not a list of codes`);
  return v as string[];
}

/**
 * Validates knowledge-base data and builds its indexes. Throws an `unavailable` OutcomeError
 * naming the first problem (wrong format, missing parts, a rule citing an unknown drug or source).
 */
export function loadKnowledgeBase(raw: unknown): KnowledgeBase {
  if (!isRecord(raw)) fail('the data is not an object');
  if (raw.format !== KNOWLEDGE_BASE_FORMAT) fail(`format ${String(raw.format)} is not the supported format ${KNOWLEDGE_BASE_FORMAT}`);
  if (typeof raw.version !== 'string' || !raw.version) fail('it has no version');
  if (!Array.isArray(raw.drugs) || raw.drugs.length === 0) fail('it has no drugs');
  if (!Array.isArray(raw.ddiRules) || raw.ddiRules.length === 0) fail('it has no drug-drug rules');
  if (!Array.isArray(raw.allergyRules)) fail('it has no allergy rules');
  if (!isRecord(raw.sources) || !isRecord(raw.classes) || !isRecord(raw.codes)) fail('sources, classes or codes are missing');
  const data = raw as unknown as KnowledgeBaseData;

  const drugs = new Map<string, KbDrug>();
  for (const d of data.drugs) {
    if (!isRecord(d) || typeof d.rxcui !== 'string' || typeof d.name !== 'string' || !Array.isArray(d.classes)) fail('a drug entry is malformed');
    drugs.set(d.rxcui, d);
  }
  const classes = new Map(Object.entries(data.classes));
  for (const d of drugs.values()) for (const c of d.classes) if (!classes.has(c)) fail(`drug ${d.rxcui} names unknown class ${c}`);
  const ingredientsOf = new Map<string, readonly string[]>();
  for (const code of drugs.keys()) ingredientsOf.set(code, [code]);
  for (const [code, ings] of Object.entries(data.codes)) {
    for (const i of stringArray(ings, `code ${code}`)) if (!drugs.has(i)) fail(`code ${code} maps to unknown ingredient ${i}`);
    if (!ingredientsOf.has(code)) ingredientsOf.set(code, ings);
  }
  const checkRule = (r: { id?: unknown; severity?: unknown; source?: unknown }, sides: [string, unknown][]): void => {
    if (typeof r.id !== 'string' || !SEVERITIES.has(String(r.severity))) fail(`rule ${String(r.id)} has no id or an unknown severity`);
    if (typeof r.source !== 'string' || typeof data.sources[r.source] !== 'string') fail(`rule ${r.id} cites no known source`);
    for (const [name, side] of sides) for (const c of stringArray(side, `rule ${r.id} ${name}`)) if (!drugs.has(c)) fail(`rule ${r.id} names unknown drug ${c}`);
  };

  const ddiByPair = new Map<string, KbDdiRule[]>();
  for (const r of data.ddiRules) {
    checkRule(r, [
      ['a', r.a],
      ['b', r.b],
    ]);
    for (const x of r.a) {
      for (const y of r.b) {
        if (x === y) continue;
        const k = pairKey(x, y);
        const list = ddiByPair.get(k);
        if (!list) ddiByPair.set(k, [r]);
        else if (!list.includes(r)) list.push(r);
      }
    }
  }
  const allergyByPair = new Map<string, KbAllergyRule[]>();
  for (const r of data.allergyRules) {
    checkRule(r, [
      ['allergen', r.allergen],
      ['drug', r.drug],
    ]);
    for (const x of r.allergen) {
      for (const y of r.drug) {
        if (x === y) continue;
        const k = `${x}|${y}`;
        const list = allergyByPair.get(k);
        if (!list) allergyByPair.set(k, [r]);
        else if (!list.includes(r)) list.push(r);
      }
    }
  }
  return {
    version: data.version,
    builtAt: data.builtAt,
    data,
    drugs,
    ingredientsOf,
    localCodes: new Set(data.localCodes ?? []),
    duplicateClassesOf: new Map(
      [...drugs.values()].map((d) => [d.rxcui, d.classes.filter((c) => classes.get(c)?.duplicate)] as const).filter(([, c]) => c.length > 0),
    ),
    drugByName: new Map([...drugs.values()].map((d) => [d.name, d.rxcui])),
    classes,
    ddiByPair,
    allergyByPair,
    source: (id) => data.sources[id] ?? id,
  };
}

/** Loads data into a {@link KnowledgeBaseState}: a failure becomes `{ ok: false, error }`. */
export function knowledgeBaseState(raw: unknown): KnowledgeBaseState {
  try {
    return { ok: true, kb: loadKnowledgeBase(raw) };
  } catch (err) {
    return { ok: false, error: err instanceof OutcomeError ? err.message : `The drug knowledge base cannot be loaded: ${String(err)}` };
  }
}

let shipped: Promise<KnowledgeBaseState> | undefined;

/**
 * The knowledge base that ships with Chartroom, loaded once on first use (a dynamic import, so
 * that code which never checks medications does not carry the data).
 */
export function loadShippedKnowledgeBase(): Promise<KnowledgeBaseState> {
  shipped ??= import('./knowledge/knowledge-data.js').then(
    (m) => knowledgeBaseState(m.KNOWLEDGE_DATA),
    (err: unknown) => ({ ok: false as const, error: `The drug knowledge base cannot be loaded: ${err instanceof Error ? err.message : String(err)}` }),
  );
  return shipped;
}

/** Severity rank (0 = most severe). */
export function severityRank(s: AlertSeverity): number {
  return ALERT_SEVERITIES.indexOf(s);
}
