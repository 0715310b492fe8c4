/**
 * Drug look-up in the shipped knowledge base, for the prescribing type-ahead: by ingredient
 * name (word prefixes, case- and accent-insensitive), by class name, or by RxNorm code.
 */
import { normalizeString } from '../search/normalize.js';
import type { KnowledgeBase } from './knowledge-base.js';

export interface DrugMatch {
  /** RxNorm ingredient code. */
  rxcui: string;
  name: string;
  classes: { id: string; name: string }[];
}

/** Drugs whose name (or class name) has words starting with every word of `q`, best first. */
export function searchDrugs(kb: KnowledgeBase, q: string, limit = 20): DrugMatch[] {
  const query = normalizeString(q).trim();
  if (!query) return [];
  const words = query.split(/\s+/);
  const scored: [number, DrugMatch][] = [];
  const code = kb.ingredientsOf.get(q.trim());
  for (const d of kb.drugs.values()) {
    const classNames = d.classes.map((c) => ({ id: c, name: kb.classes.get(c)?.name ?? c }));
    const name = normalizeString(d.name);
    const nameWords = name.split(/[\s\-/,.()]+/);
    const classWords = classNames.flatMap((c) => normalizeString(c.name).split(/[\s\-/,.()]+/));
    let score: number | undefined;
    if (code?.includes(d.rxcui)) score = 0;
    else if (name === query) score = 1;
    else if (name.startsWith(query)) score = 2;
    else if (words.every((w) => nameWords.some((n) => n.startsWith(w)))) score = 3;
    else if (words.every((w) => classWords.some((n) => n.startsWith(w)))) score = 4;
    if (score !== undefined) scored.push([score, { rxcui: d.rxcui, name: d.name, classes: classNames }]);
  }
  scored.sort((a, b) => a[0] - b[0] || a[1].name.localeCompare(b[1].name));
  return scored.slice(0, limit).map(([, m]) => m);
}
