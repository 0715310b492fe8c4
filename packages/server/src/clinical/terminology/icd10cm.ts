/**
 * ICD-10-CM (FY2026 valid codes) shipped with Chartroom, so problems can be coded and
 * searched with no internet: packages/server/data/icd10cm-2026.tsv.gz, built by
 * scripts/build-icd10cm.mjs from the CMS list. Loaded on first use into a word-prefix
 * index (accent- and case-insensitive), searchable by code prefix ("F32", "f321") or by
 * words ("maj depress recur"). https://www.cms.gov/medicare/coding-billing/icd-10-codes
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { badRequest, normalizeString } from '@chartroom/core';

export const ICD10CM_SYSTEM = 'http://hl7.org/fhir/sid/icd-10-cm';
export const ICD10CM_VERSION = '2026';
const DATA_FILE = new URL('../../../data/icd10cm-2026.tsv.gz', import.meta.url);

/** One ICD-10-CM code. */
export interface Icd10Code {
  code: string;
  display: string;
  /** The CMS short description where it differs. */
  short?: string;
}

/** A searchable ICD-10-CM code list. */
export class Icd10Index {
  private readonly byCode = new Map<string, number>();
  /** Codes without the dot, sorted, for prefix search. */
  private readonly compact: { key: string; i: number }[];
  /** Distinct description words, sorted, with the entries using each. */
  private readonly words: string[];
  private readonly postings: number[][];

  /** Lower-cased, accent-free descriptions, for ranking. */
  private readonly folded: string[];

  constructor(readonly entries: readonly Icd10Code[]) {
    const postings = new Map<string, number[]>();
    this.folded = entries.map((e, i) => {
      this.byCode.set(e.code, i);
      const raw = e.short ? `${e.display} ${e.short}` : e.display;
      // Nearly all descriptions are ASCII: lower-casing is enough for those.
      const folded = /^[\x20-\x7e]*$/.test(raw) ? raw.toLowerCase() : normalizeString(raw);
      for (const w of folded.split(/[^a-z0-9]+/)) {
        if (!w) continue;
        const list = postings.get(w);
        if (!list) postings.set(w, [i]);
        else if (list[list.length - 1] !== i) list.push(i);
      }
      return folded;
    });
    this.compact = entries.map((e, i) => ({ key: e.code.replace('.', ''), i })).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    this.words = [...postings.keys()].sort();
    this.postings = this.words.map((w) => postings.get(w) ?? []);
  }

  /** Parses the shipped file's text. */
  static parse(text: string): Icd10Index {
    const entries: Icd10Code[] = [];
    for (const line of text.split('\n')) {
      if (!line || line.startsWith('#')) continue;
      const [code, display, short] = line.split('\t');
      if (code && display) entries.push(short ? { code, display, short } : { code, display });
    }
    return new Icd10Index(entries);
  }

  /** One code (dotted, as `F32.1`), or undefined. */
  lookup(code: string): Icd10Code | undefined {
    const i = this.byCode.get(code.toUpperCase());
    return i === undefined ? undefined : this.entries[i];
  }

  private lowerBound<T>(list: readonly T[], key: string, get: (t: T) => string): number {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (get(list[mid] as T) < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Entries having a word that starts with `prefix`. */
  private wordMatches(prefix: string): Set<number> {
    const out = new Set<number>();
    for (let w = this.lowerBound(this.words, prefix, (x) => x); w < this.words.length && (this.words[w] as string).startsWith(prefix); w++) {
      for (const i of this.postings[w] as number[]) out.add(i);
    }
    return out;
  }

  /** Searches by code prefix or description words; at most `limit` codes, best first. */
  search(q: string, limit = 20): Icd10Code[] {
    const text = q.trim();
    if (!text) return [];
    const codeLike = /^[A-Za-z][0-9][0-9A-Za-z]?\.?[0-9A-Za-z]{0,4}$/.test(text);
    const out: Icd10Code[] = [];
    if (codeLike) {
      const key = text.toUpperCase().replace('.', '');
      for (let k = this.lowerBound(this.compact, key, (x) => x.key); k < this.compact.length && out.length < limit; k++) {
        const c = this.compact[k] as { key: string; i: number };
        if (!c.key.startsWith(key)) break;
        out.push(this.entries[c.i] as Icd10Code);
      }
      if (out.length) return out;
    }
    const tokens = normalizeString(text).split(/[^a-z0-9]+/).filter(Boolean);
    if (!tokens.length) return [];
    const sets = tokens.map((t) => this.wordMatches(t)).sort((a, b) => a.size - b.size);
    let hits = [...(sets[0] ?? [])];
    for (const s of sets.slice(1)) hits = hits.filter((i) => s.has(i));
    const first = tokens[0] ?? '';
    const rank = new Map(hits.map((i) => [i, ((this.folded[i] as string).startsWith(first) ? 0 : 1e6) + (this.entries[i] as Icd10Code).display.length]));
    hits.sort((a, b) => (rank.get(a) ?? 0) - (rank.get(b) ?? 0) || a - b);
    return hits.slice(0, limit).map((i) => this.entries[i] as Icd10Code);
  }
}

let shipped: Icd10Index | undefined;

/** The shipped ICD-10-CM index (loaded once, on first use). */
export function icd10cm(): Icd10Index {
  shipped ??= Icd10Index.parse(gunzipSync(readFileSync(DATA_FILE)).toString('utf8'));
  return shipped;
}

/** The `GET /api/terminology/icd10?q=` answer. */
export function searchIcd10(q: string | undefined, limitText: string | undefined): { system: string; version: string; results: Icd10Code[] } {
  if (q === undefined || !q.trim()) throw badRequest('q is required: a code prefix (F32) or words (major depressive)', 'q');
  if (q.length > 200) throw badRequest('q is at most 200 characters', 'q');
  const limit = limitText === undefined ? 20 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw badRequest('limit must be a whole number from 1 to 100', 'limit');
  return { system: ICD10CM_SYSTEM, version: ICD10CM_VERSION, results: icd10cm().search(q, limit) };
}
