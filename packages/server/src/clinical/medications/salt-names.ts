/**
 * Salt and ester words in drug names. The shipped drug list names ingredients ("lithium"),
 * while prescribers type what is on the bottle ("lithium carb", "sertraline hcl",
 * "metoprolol succ"). RxNorm codes the salt as a precise ingredient of the same ingredient
 * (lithium carbonate 42351 → lithium 6448; https://www.nlm.nih.gov/research/umls/rxnorm/docs/appendix5.html),
 * so a typed salt word narrows nothing the list can tell apart: the search drops it and
 * reports it back (`salt`) so the pick list can show what was typed.
 */
import { normalizeString } from '@chartroom/core';

/** Salt, ester and hydrate words (and their usual abbreviations) of drug names, lower case. */
export const SALT_WORDS: readonly string[] = [
  'acetate',
  'besylate',
  'bitartrate',
  'bromide',
  'calcium',
  'carbonate',
  'chloride',
  'citrate',
  'decanoate',
  'dihydrate',
  'dinitrate',
  'dipropionate',
  'disodium',
  'enanthate',
  'fumarate',
  'furoate',
  'gluconate',
  'hbr',
  'hcl',
  'hyclate',
  'hydrobromide',
  'hydrochloride',
  'lactate',
  'magnesium',
  'maleate',
  'mesylate',
  'monohydrate',
  'mononitrate',
  'napsylate',
  'oxalate',
  'palmitate',
  'pamoate',
  'phosphate',
  'potassium',
  'propionate',
  'sodium',
  'succinate',
  'sulfate',
  'sulphate',
  'tartrate',
  'trihydrate',
  'valerate',
  'xinafoate',
];

/** The query with its salt words split off: `rest` is what names the ingredient. */
export interface SaltSplit {
  rest: string;
  /** The salt words typed, each completed when its prefix names exactly one salt ("carb" → "carbonate"). */
  salts: string[];
}

/**
 * Splits salt words off a drug query ("lithium carb" → rest "lithium", salts ["carbonate"]).
 * A word counts as a salt when it is a prefix of a salt word and at least one other word is
 * left; undefined when nothing was split off.
 */
export function splitSaltWords(q: string): SaltSplit | undefined {
  const words = normalizeString(q).trim().split(/\s+/).filter(Boolean);
  if (words.length < 2) return undefined;
  const rest: string[] = [];
  const salts: string[] = [];
  // The first word names the drug ("potassium chloride" still searches for potassium).
  words.forEach((w, i) => {
    const full = i === 0 ? [] : SALT_WORDS.filter((s) => s.startsWith(w));
    if (full.length === 0) rest.push(w);
    else salts.push(full.length === 1 ? (full[0] as string) : w);
  });
  return salts.length && rest.length ? { rest: rest.join(' '), salts } : undefined;
}
