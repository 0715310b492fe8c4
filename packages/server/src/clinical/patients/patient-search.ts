/**
 * Type-ahead patient search: one box that takes a name ("mun", "Muñoz", "munoz, ali",
 * "alicia mu"), a birth date (1980-05-17 or 5/17/1980), a phone number in any layout, or an
 * MRN. Names match accent- and case-insensitively by prefix of any name part, on the store's
 * string index rows held sorted in memory (name-directory.ts), so a query of several words
 * over 50,000 patients costs a binary search and a walk of the rarest word's range.
 * See https://hl7.org/fhir/R4/search.html#string
 */
import { sql } from 'kysely';
import type { Patient } from '@medplum/fhirtypes';
import { badRequest, normalizeString, parseDateRange, prefixUpperBound } from '@chartroom/core';
import type { FhirRepository } from '../../store/fhir-repository.js';
import { patientMrn, patientName, patientPhone } from './patient-facts.js';
import { phoneDigits, phoneDirectoryFor } from './phone-directory.js';
import { nameDirectoryFor } from './name-directory.js';

export { phoneDigits };

/** One patient in the type-ahead list. */
export interface PatientHit {
  id: string;
  name: string;
  family: string | undefined;
  given: string[];
  birthDate: string | undefined;
  gender: string | undefined;
  mrn: string | undefined;
  phone: string | undefined;
}

/** What a query box text asks for. */
export interface ParsedPatientQuery {
  /** Name prefixes, each matching some part of the name (any part when `code` is `name`). */
  names: { code: 'name' | 'family' | 'given'; prefix: string }[];
  birthDate: { low: number; high: number } | undefined;
  /** A run of digits or an identifier-looking token (MRN or phone). */
  number: { raw: string; digits: string } | undefined;
}

const US_DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;

function isoDate(token: string): string | undefined {
  const us = US_DATE.exec(token);
  const iso = us ? `${us[3]}-${(us[1] ?? '').padStart(2, '0')}-${(us[2] ?? '').padStart(2, '0')}` : token;
  return /^\d{4}-\d{2}-\d{2}$/.test(iso) && parseDateRange(iso) ? iso : undefined;
}

/** Splits the search box text into name prefixes, a birth date and a number. */
export function parsePatientQuery(q: string): ParsedPatientQuery {
  const out: ParsedPatientQuery = { names: [], birthDate: undefined, number: undefined };
  const text = q.trim();
  const numberParts: string[] = [];
  const nameText: string[] = [];
  for (const token of text.split(/\s+/).filter(Boolean)) {
    const date = isoDate(token.replace(/,$/, ''));
    if (date) out.birthDate = parseDateRange(date);
    else if (/\d/.test(token)) numberParts.push(token);
    else nameText.push(token);
  }
  if (numberParts.length) {
    const raw = numberParts.join(' ');
    out.number = { raw, digits: raw.replace(/\D/g, '') };
  }
  const names = nameText.join(' ');
  const comma = names.indexOf(',');
  const push = (code: 'name' | 'family' | 'given', part: string): void => {
    for (const w of normalizeString(part).split(/[\s,]+/).filter(Boolean)) out.names.push({ code, prefix: w });
  };
  if (comma >= 0) {
    push('family', names.slice(0, comma));
    push('given', names.slice(comma + 1));
  } else push('name', names);
  return out;
}

function hit(p: Patient): PatientHit {
  const n = p.name?.find((x) => x.use === 'official') ?? p.name?.[0];
  return {
    id: p.id ?? '',
    name: patientName(p),
    family: n?.family,
    given: n?.given ?? [],
    birthDate: p.birthDate,
    gender: p.gender,
    mrn: patientMrn(p),
    phone: patientPhone(p),
  };
}

/** Keys of patients whose phone digits contain `digits` (or equal them, when `exact`). */
export async function patientKeysByPhone(repo: FhirRepository, digits: string, limit: number, exact = false): Promise<number[]> {
  return phoneDirectoryFor(repo).find(repo, digits, limit, exact);
}

/** Keys of patients born on a day (the birthdate index range equals the day's). */
export async function patientKeysByBirthDate(repo: FhirRepository, range: { low: number; high: number }, limit: number): Promise<number[]> {
  const rows = await sql<{ rk: number }>`
    SELECT rk FROM sp_date WHERE type = 'Patient' AND code = 'birthdate' AND low >= ${range.low} AND low <= ${range.high} AND high <= ${range.high}
    LIMIT ${limit}`.execute(repo.dialect.db);
  return rows.rows.map((r) => Number(r.rk));
}

/** Patients by row key, in the order of the keys (deleted ones and other types left out). */
export async function loadByKeys(repo: FhirRepository, rks: readonly number[]): Promise<Patient[]> {
  if (!rks.length) return [];
  // By primary key only: with `type = 'Patient'` as well, SQLite's planner (no statistics)
  // walks every Patient through the (type, …) index and probes the key list for each.
  const rows = await repo.dialect.db.selectFrom('resources').select(['rk', 'type', 'deleted', 'content']).where('rk', 'in', [...new Set(rks)]).execute();
  const order = new Map(rks.map((rk, i) => [rk, i]));
  return rows
    .filter((r) => r.type === 'Patient' && r.deleted === 0)
    .sort((a, b) => (order.get(a.rk) ?? 0) - (order.get(b.rk) ?? 0))
    .map((r) => JSON.parse(r.content) as Patient);
}

function matchesNames(p: Patient, names: ParsedPatientQuery['names']): boolean {
  const parts = (code: string): string[] =>
    (p.name ?? []).flatMap((n) => (code === 'family' ? [n.family] : code === 'given' ? (n.given ?? []) : [n.family, ...(n.given ?? []), ...(n.prefix ?? []), ...(n.suffix ?? []), n.text]))
      .filter((x): x is string => !!x)
      .map(normalizeString);
  return names.every((n) => parts(n.code).some((v) => v.startsWith(n.prefix)));
}

/** Sorts hits by family, then given names, then birth date (each key folded once). */
function sortHits(hits: PatientHit[]): PatientHit[] {
  const keyed = hits.map((h) => ({ h, k: normalizeString(`${h.family ?? ''} ${h.given.join(' ')}`) }));
  keyed.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0) || (a.h.birthDate ?? '').localeCompare(b.h.birthDate ?? '') || (a.h.id < b.h.id ? -1 : 1));
  return keyed.map((x) => x.h);
}

/** Type-ahead search; at most `limit` patients (default 20), sorted by family then given name. */
export async function searchPatients(repo: FhirRepository, q: string | undefined, limit = 20): Promise<{ query: string; results: PatientHit[] }> {
  if (q === undefined) throw badRequest('q is required: a name, birth date, phone number or MRN', 'q');
  if (q.length > 200) throw badRequest('q is at most 200 characters', 'q');
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw badRequest('limit must be a whole number from 1 to 100', 'limit');
  const parsed = parsePatientQuery(q);
  const fetch = limit * 2;
  let patients: Patient[] = [];
  if (parsed.number) {
    // An MRN (identifier prefix, as typed or upper-cased) or a phone number (digits anywhere).
    const raw = parsed.number.raw.replace(/\s+/g, '');
    const variants = [...new Set([raw, raw.toUpperCase()])];
    const ids = await sql<{ rk: number }>`
      SELECT DISTINCT rk FROM sp_token WHERE type = 'Patient' AND code = 'identifier' AND (${sql.join(
        variants.map((v) => sql`(value >= ${v} AND value < ${prefixUpperBound(v)})`),
        sql` OR `,
      )}) LIMIT ${fetch}`.execute(repo.dialect.db);
    const keys = ids.rows.map((r) => Number(r.rk));
    if (parsed.number.digits.length >= 4) keys.push(...(await patientKeysByPhone(repo, phoneDigits(parsed.number.digits), fetch)));
    patients = await loadByKeys(repo, keys);
  } else if (parsed.names.length) {
    // In memory: the store's name index rows, sorted per code (name-directory.ts).
    patients = await loadByKeys(repo, await nameDirectoryFor(repo).find(repo, parsed.names, parsed.birthDate, fetch));
  } else if (parsed.birthDate) {
    patients = await loadByKeys(repo, await patientKeysByBirthDate(repo, parsed.birthDate, fetch));
  }
  if (parsed.number && parsed.names.length) patients = patients.filter((p) => matchesNames(p, parsed.names));
  if (parsed.number && parsed.birthDate) patients = patients.filter((p) => p.birthDate && parseDateRange(p.birthDate)?.low === parsed.birthDate?.low);
  const seen = new Set<string>();
  const results = sortHits(patients.filter((p) => p.active !== false && !seen.has(p.id ?? '') && seen.add(p.id ?? '')).map(hit)).slice(0, limit);
  return { query: q, results };
}

/**
 * Loads the name and phone directories now (`serve` calls it once listening), so the first
 * type-ahead of the day does not wait for them (1.7–3.3 s at 50,000 patients on a loaded
 * 2-core machine). A failure is left for the first search to report.
 */
export async function warmPatientDirectories(repo: FhirRepository): Promise<void> {
  await nameDirectoryFor(repo).refresh(repo);
  await phoneDirectoryFor(repo).refresh(repo);
}
