/**
 * The medication checker: drug–drug, drug–allergy and duplicate-therapy checks of draft orders
 * against a patient's current medications and allergies, against the shipped knowledge base.
 * Pure and isomorphic. Whatever it could not check (uncoded or unknown drugs, uncoded drug
 * allergies, a knowledge base that did not load) is listed in `notChecked`: an empty alert
 * list never stands for something that was not checked.
 */
import type { AllergyIntolerance, MedicationRequest } from '@medplum/fhirtypes';
import { pairKey, severityRank } from './knowledge-base.js';
import type { KnowledgeBase, KnowledgeBaseState } from './knowledge-base.js';
import type { AlertSeverity, KbDdiRule } from './knowledge-base-data.js';
import { conceptLabel, isCurrentAllergy, isCurrentMedication, medicationConcept, rxnormCodes } from './medication-coding.js';
import type { MedicationResource } from './medication-coding.js';

export type AlertKind = 'drug-drug' | 'drug-allergy' | 'duplicate-therapy';
/** Where an item came from: the order being written, the current list, or the allergy list. */
export type ItemRole = 'draft' | 'active' | 'allergy';

/** A drug (or allergy) an alert names. */
export interface InvolvedItem {
  role: ItemRole;
  /** What the record says (its text or display). */
  display: string;
  /** `MedicationRequest/…`, `AllergyIntolerance/…`, or the draft's index (`draft[0]`). */
  reference: string;
  /** Ingredients (RxNorm) of this item that the rule matched. */
  ingredients: { rxcui: string; name: string }[];
}

export interface MedicationAlert {
  kind: AlertKind;
  severity: AlertSeverity;
  ruleId: string;
  title: string;
  explanation: string;
  /** The rule's published source. */
  source: string;
  kbVersion: string;
  items: InvolvedItem[];
  /** Prescribing anyway needs a reason (contraindicated alerts). */
  overrideReasonRequired: boolean;
}

export interface NotCheckedItem {
  role: ItemRole;
  display: string;
  reference: string;
  /** Why it was not checked, worded for the prescriber ("not checked: …"). */
  reason: string;
}

export interface MedicationCheckResult {
  /** complete: every item checked; partial: some were not (see notChecked); unavailable: nothing was checked. */
  status: 'complete' | 'partial' | 'unavailable';
  kbVersion?: string;
  alerts: MedicationAlert[];
  notChecked: NotCheckedItem[];
  /** How many drugs and allergies were checked. */
  checkedDrugs: number;
  checkedAllergies: number;
  /** One sentence for the screen. */
  summary: string;
}

export interface MedicationCheckInput {
  /** Orders being written; empty = check the whole current list against itself. */
  drafts: readonly MedicationRequest[];
  /** The patient's medications (non-current ones are skipped). */
  active: readonly MedicationResource[];
  allergies: readonly AllergyIntolerance[];
}

interface Item {
  role: ItemRole;
  display: string;
  reference: string;
  ingredients: string[];
  /** Local product (ophthalmic, topical): allergies only. */
  local: boolean;
}

const refOf = (r: { resourceType: string; id?: string }, role: ItemRole, index: number): string => (r.id ? `${r.resourceType}/${r.id}` : `${role}[${index}]`);

/** Resolves a medication to ingredients, or says why it cannot be checked. */
function resolveMedication(kb: KnowledgeBase, r: MedicationResource, role: ItemRole, index: number): Item | NotCheckedItem {
  const cc = medicationConcept(r);
  const display = conceptLabel(cc, r.medicationReference?.display ?? 'unnamed drug');
  const reference = refOf(r, role, index);
  const codes = rxnormCodes(cc);
  if (codes.length === 0) {
    const why = r.medicationReference && !cc ? 'the drug is given by reference to a Medication that is not contained' : 'the drug is not coded with RxNorm (free text)';
    return { role, display, reference, reason: `not checked: ${why}` };
  }
  for (const code of codes) {
    const ingredients = kb.ingredientsOf.get(code);
    if (ingredients) return { role, display, reference, ingredients: [...ingredients], local: kb.localCodes.has(code) };
  }
  return { role, display, reference, reason: `not checked: RxNorm code ${codes.join(', ')} is not in the knowledge base (version ${kb.version})` };
}

/** Resolves an allergy to ingredients, skips non-drug allergies, or says why it cannot be checked. */
function resolveAllergy(kb: KnowledgeBase, a: AllergyIntolerance, index: number, byName: ReadonlyMap<string, string>): Item | NotCheckedItem | undefined {
  const categories = a.category ?? [];
  const display = conceptLabel(a.code, 'unnamed allergy');
  const reference = refOf(a, 'allergy', index);
  const codes = rxnormCodes(a.code);
  for (const code of codes) {
    const ingredients = kb.ingredientsOf.get(code);
    if (ingredients) return { role: 'allergy', display, reference, ingredients: [...ingredients], local: false };
  }
  // Food, environment and biologic allergies are not drug allergies.
  if (codes.length === 0 && categories.length > 0 && !categories.includes('medication')) return undefined;
  const named = byName.get(display.trim().toLowerCase());
  if (named) return { role: 'allergy', display, reference, ingredients: [named], local: false };
  if (codes.length) return { role: 'allergy', display, reference, reason: `not checked: allergy RxNorm code ${codes.join(', ')} is not in the knowledge base (version ${kb.version})` };
  return { role: 'allergy', display, reference, reason: 'not checked: the allergy is not coded with RxNorm (free text or another code system)' };
}

const isItem = (x: Item | NotCheckedItem): x is Item => 'ingredients' in x;

function involved(kb: KnowledgeBase, item: Item, matched: readonly string[]): InvolvedItem {
  return {
    role: item.role,
    display: item.display,
    reference: item.reference,
    ingredients: matched.map((rxcui) => ({ rxcui, name: kb.drugs.get(rxcui)?.name ?? rxcui })),
  };
}

function alert(kb: KnowledgeBase, kind: AlertKind, severity: AlertSeverity, ruleId: string, title: string, explanation: string, source: string, items: InvolvedItem[]): MedicationAlert {
  return { kind, severity, ruleId, title, explanation, source: kb.source(source), kbVersion: kb.version, items, overrideReasonRequired: severity === 'contraindicated' };
}

/** Drug–drug alerts between two items (one per rule; per family only the most severe). */
function ddiAlerts(kb: KnowledgeBase, x: Item, y: Item): MedicationAlert[] {
  let hits: Map<KbDdiRule, { a: Set<string>; b: Set<string> }> | undefined;
  for (const i of x.ingredients) {
    for (const j of y.ingredients) {
      if (i === j) continue;
      const rules = kb.ddiByPair.get(pairKey(i, j));
      if (!rules) continue;
      hits ??= new Map();
      for (const rule of rules) {
        const h = hits.get(rule) ?? { a: new Set<string>(), b: new Set<string>() };
        h.a.add(i);
        h.b.add(j);
        hits.set(rule, h);
      }
    }
  }
  if (!hits) return [];
  const bestOfFamily = new Map<string, KbDdiRule>();
  for (const rule of hits.keys()) {
    if (!rule.family) continue;
    const best = bestOfFamily.get(rule.family);
    if (!best || severityRank(rule.severity) < severityRank(best.severity)) bestOfFamily.set(rule.family, rule);
  }
  const out: MedicationAlert[] = [];
  for (const [rule, h] of hits) {
    if (rule.family && bestOfFamily.get(rule.family) !== rule) continue;
    out.push(alert(kb, 'drug-drug', rule.severity, rule.id, rule.title, rule.explanation, rule.source, [involved(kb, x, [...h.a]), involved(kb, y, [...h.b])]));
  }
  return out;
}

/** Duplicate-therapy alerts between two items: the same ingredient, or two members of a class screened for duplicates. */
function duplicateAlerts(kb: KnowledgeBase, x: Item, y: Item): MedicationAlert[] {
  const same = x.ingredients.length === 1 && y.ingredients.length === 1 ? (x.ingredients[0] === y.ingredients[0] ? x.ingredients : []) : x.ingredients.filter((i) => y.ingredients.includes(i));
  if (same.length) {
    const names = same.map((i) => kb.drugs.get(i)?.name ?? i).join(', ');
    return [
      alert(kb, 'duplicate-therapy', 'moderate', 'duplicate-ingredient', `Same drug twice: ${names}`, `Both orders contain ${names}. Check that this is not a duplicate (e.g. a renewal written as a new order, or the same drug from two prescribers).`, 'duplicateTherapy', [
        involved(kb, x, same),
        involved(kb, y, same),
      ]),
    ];
  }
  let out: MedicationAlert[] | undefined;
  const seen = new Set<string>();
  for (const i of x.ingredients) {
    const classes = kb.duplicateClassesOf.get(i);
    if (!classes) continue;
    for (const j of y.ingredients) {
      const other = kb.duplicateClassesOf.get(j);
      if (!other) continue;
      for (const c of classes) {
        if (seen.has(c) || !other.includes(c)) continue;
        seen.add(c);
        const cls = kb.classes.get(c)?.name ?? c;
        (out ??= []).push(
          alert(kb, 'duplicate-therapy', 'moderate', `duplicate-class-${c}`, `Duplicate therapy: two ${cls}`, `${kb.drugs.get(i)?.name} and ${kb.drugs.get(j)?.name} are both ${cls}. Two drugs of one class rarely add benefit and add adverse effects; check that one is not meant to replace the other.`, 'duplicateTherapy', [
            involved(kb, x, [i]),
            involved(kb, y, [j]),
          ]),
        );
      }
    }
  }
  return out ?? [];
}

/** Drug–allergy alerts for one drug against one allergy. */
function allergyAlerts(kb: KnowledgeBase, drug: Item, allergy: Item, record: AllergyIntolerance): MedicationAlert[] {
  const out: MedicationAlert[] = [];
  const intolerance = record.type === 'intolerance';
  for (const a of allergy.ingredients) {
    for (const d of drug.ingredients) {
      if (a === d) {
        const severity: AlertSeverity = intolerance ? 'moderate' : record.criticality === 'low' ? 'major' : 'contraindicated';
        const name = kb.drugs.get(d)?.name ?? d;
        out.push(
          alert(kb, 'drug-allergy', severity, 'allergy-same-ingredient', `Recorded ${intolerance ? 'intolerance' : 'allergy'} to ${name}`, `The patient has a recorded ${intolerance ? 'intolerance' : 'allergy'} to ${allergy.display}${record.criticality ? ` (criticality ${record.criticality})` : ''}; this order contains ${name}.`, 'allergyPractice', [
            involved(kb, drug, [d]),
            involved(kb, allergy, [a]),
          ]),
        );
        continue;
      }
      for (const rule of kb.allergyByPair.get(`${a}|${d}`) ?? []) {
        // A high-criticality allergy to a drug of the same allergy class is contraindicated; an intolerance is moderate at most.
        const sameClass = rule.id.startsWith('allergy-class-');
        const severity: AlertSeverity = intolerance
          ? severityRank(rule.severity) < severityRank('moderate')
            ? 'moderate'
            : rule.severity
          : sameClass && record.criticality === 'high'
            ? 'contraindicated'
            : rule.severity;
        out.push(alert(kb, 'drug-allergy', severity, rule.id, rule.title, `${rule.explanation} (Recorded: ${allergy.display}.)`, rule.source, [involved(kb, drug, [d]), involved(kb, allergy, [a])]));
      }
    }
  }
  return out;
}

function summaryOf(r: Omit<MedicationCheckResult, 'summary'>): string {
  if (r.status === 'unavailable') return `Checking unavailable: ${r.notChecked[0]?.reason ?? 'the knowledge base did not load'}. Nothing was checked.`;
  const counts = new Map<AlertSeverity, number>();
  for (const a of r.alerts) counts.set(a.severity, (counts.get(a.severity) ?? 0) + 1);
  const found = r.alerts.length
    ? `${r.alerts.length} alert${r.alerts.length === 1 ? '' : 's'} (${[...counts].map(([s, n]) => `${n} ${s}`).join(', ')})`
    : `No interactions, allergy conflicts or duplicates found among ${r.checkedDrugs} checked drug${r.checkedDrugs === 1 ? '' : 's'} and ${r.checkedAllergies} drug allerg${r.checkedAllergies === 1 ? 'y' : 'ies'}`;
  const tail = `(knowledge base ${r.kbVersion})`;
  if (r.notChecked.length === 0) return `${found} ${tail}.`;
  // Something was not checked: say so first, so a partial check never reads as "no interactions".
  return `Incomplete check: NOT checked: ${r.notChecked.map((n) => n.display).join(', ')}. Among what was checked: ${found.charAt(0).toLowerCase()}${found.slice(1)} ${tail}.`;
}

/**
 * Checks draft orders (or, with no drafts, the whole current list) for drug–drug interactions,
 * drug–allergy conflicts and duplicate therapy.
 */
export function checkMedications(input: MedicationCheckInput, state: KnowledgeBaseState): MedicationCheckResult {
  const active = input.active.filter(isCurrentMedication);
  const allergies = input.allergies.filter(isCurrentAllergy);
  if (!state.ok) {
    const notChecked: NotCheckedItem[] = [
      ...input.drafts.map((r, i) => ({ role: 'draft' as const, display: conceptLabel(medicationConcept(r)), reference: refOf(r, 'draft', i), reason: `not checked: ${state.error}` })),
      ...active.map((r, i) => ({ role: 'active' as const, display: conceptLabel(medicationConcept(r)), reference: refOf(r, 'active', i), reason: `not checked: ${state.error}` })),
    ];
    if (notChecked.length === 0) notChecked.push({ role: 'draft', display: 'medication list', reference: '', reason: `not checked: ${state.error}` });
    const base = { status: 'unavailable' as const, alerts: [], notChecked, checkedDrugs: 0, checkedAllergies: 0 };
    return { ...base, summary: summaryOf(base) };
  }
  const kb = state.kb;
  const notChecked: NotCheckedItem[] = [];
  const drafts: Item[] = [];
  const current: Item[] = [];
  const take = (it: Item | NotCheckedItem, into: Item[]): void => {
    if (!isItem(it)) return void notChecked.push(it);
    into.push(it);
    if (it.local) {
      const { role, display, reference } = it;
      notChecked.push({ role, display, reference, reason: 'interactions not checked: a product for local use (eye, skin, ear…); allergies were checked' });
    }
  };
  input.drafts.forEach((r, i) => take(resolveMedication(kb, r, 'draft', i), drafts));
  active.forEach((r, i) => take(resolveMedication(kb, r, 'active', i), current));
  const allergyItems: [Item, AllergyIntolerance][] = [];
  allergies.forEach((a, i) => {
    const it = resolveAllergy(kb, a, i, kb.drugByName);
    if (!it) return;
    if (isItem(it)) allergyItems.push([it, a]);
    else notChecked.push(it);
  });

  const wholeList = input.drafts.length === 0;
  const subjects = wholeList ? current : drafts;
  const alerts: MedicationAlert[] = [];
  // Pairs: each draft with every other draft and every current drug; the whole list pairwise.
  const others = wholeList ? [] : current;
  for (let i = 0; i < subjects.length; i++) {
    const x = subjects[i] as Item;
    for (let j = i + 1; j < subjects.length + others.length; j++) {
      const y = (j < subjects.length ? subjects[j] : others[j - subjects.length]) as Item;
      if (x.local || y.local) continue;
      for (const a of ddiAlerts(kb, x, y)) alerts.push(a);
      for (const a of duplicateAlerts(kb, x, y)) alerts.push(a);
    }
    for (const [a, record] of allergyItems) alerts.push(...allergyAlerts(kb, x, a, record));
  }
  alerts.sort((p, q) => severityRank(p.severity) - severityRank(q.severity) || p.ruleId.localeCompare(q.ruleId));
  const base = {
    status: notChecked.length ? ('partial' as const) : ('complete' as const),
    kbVersion: kb.version,
    alerts,
    notChecked,
    checkedDrugs: drafts.length + current.length,
    checkedAllergies: allergyItems.length,
  };
  return { ...base, summary: summaryOf(base) };
}
