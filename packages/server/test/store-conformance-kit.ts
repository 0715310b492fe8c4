/**
 * Shared pieces of the store conformance suites (store-conformance*.test.ts): a settable
 * clock, a store per test, and search by query string returning ids. Nothing here knows
 * which database it runs on.
 */
import { parseSearchRequest } from '@chartroom/core';
import type { QueryParams } from '@chartroom/core';
import type { Resource } from '@medplum/fhirtypes';
import type { SearchResult } from '../src/store/fhir-repository.js';
import type { TestStore } from './helpers/stores.js';
import { STORE_KINDS } from './helpers/stores.js';

export { STORE_KINDS };
export type StoreKind = (typeof STORE_KINDS)[number];

/** A clock the test moves by hand. */
export class TestClock {
  constructor(public ms: number) {}
  now(): number {
    return this.ms;
  }
  set(iso: string): void {
    this.ms = Date.parse(iso);
  }
}

/** Opens a fresh store of `kind`, runs `fn`, and always disposes the store. */
export async function withStore(kind: StoreKind, fn: (store: TestStore, clock: TestClock) => Promise<void>): Promise<void> {
  const clock = new TestClock(Date.parse('2021-01-01T00:00:00Z'));
  const store = await kind.open({ clock });
  try {
    await fn(store, clock);
  } finally {
    await store.dispose();
  }
}

/** Parses `a=1&b=2&b=3` into a multi-map, keeping repeated parameters (no `+` decoding). */
export function queryOf(text: string): QueryParams {
  const out: Record<string, string[]> = {};
  for (const part of text.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const key = decodeURIComponent(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : decodeURIComponent(part.slice(eq + 1));
    (out[key] ??= []).push(value);
  }
  return out;
}

/** Writes resources with the ids they carry (update-as-create), in order. */
export async function put(store: TestStore, ...resources: Resource[]): Promise<void> {
  for (const r of resources) await store.repo.update(r);
}

/** Runs a strict search given as a query string. */
export async function search(store: TestStore, type: string, query: string): Promise<SearchResult> {
  return store.repo.search(parseSearchRequest(type, queryOf(query), { strict: true }));
}

/** The ids a search matches, sorted (for searches whose order is not the point). */
export async function ids(store: TestStore, type: string, query: string): Promise<string[]> {
  const q = /(^|&)_count=/.test(query) ? query : `${query}${query ? '&' : ''}_count=1000`;
  const r = await search(store, type, q);
  return r.matches.map((m) => m.id).sort();
}

/** The ids a search matches, in result order. */
export async function orderedIds(store: TestStore, type: string, query: string): Promise<string[]> {
  return (await search(store, type, query)).matches.map((m) => m.id);
}

/** `Type/id` of each included resource, sorted. */
export function includedKeys(r: SearchResult): string[] {
  return r.included.map((v) => `${v.type}/${v.id}`).sort();
}
