/**
 * Patients' phone numbers as digits, in memory, for the type-ahead: a phone is typed in any
 * layout ("413-555-0142", "(413) 555 0142", "0142") and stored in any layout, which no index
 * range can serve. The directory is loaded once from the store's phone index rows and then
 * kept current from the change log (each lookup first asks for the last change sequence and
 * re-reads the Patients written since), so writes from this process, other processes on the
 * same database and replication are all seen. One directory per store.
 *
 * Lookups search one string of every number ("\n4135550142\n4135550199\n…") with the
 * engine's native `indexOf`, so a number typed in full costs one pass over ~600 KB at
 * 50,000 patients instead of 50,000 comparisons in script. A changed patient's old entries
 * are marked dead and its new ones appended; the string is rebuilt when a quarter is dead.
 */
import { changedPatientKeys } from './changed-patients.js';
import type { FhirRepository } from '../../store/fhir-repository.js';
import type { StoreDialect } from '../../store/dialect.js';

/** The digits of a phone number, without a leading US country code. */
export function phoneDigits(value: string): string {
  const d = value.replace(/\D/g, '');
  return d.length === 11 && d.startsWith('1') ? d.slice(1) : d;
}


/** Phone digits by Patient row key, kept current from the change log. */
export class PhoneDirectory {
  private seq = -1;
  /** Entry index (or indexes, for several numbers) of each row key. */
  private readonly byKey = new Map<number, number | number[]>();
  /** Row key of every entry appended so far; -1 once the entry is dead (its digits are in the string). */
  private rks: number[] = [];
  private dead = 0;
  /** "\n" + each entry's digits + "\n"…, and where each entry starts in it (after its "\n"). */
  private haystack = '\n';
  private starts: number[] = [];
  private refreshing: Promise<void> | undefined;

  private index(rk: number, entry: number): void {
    const had = this.byKey.get(rk);
    this.byKey.set(rk, had === undefined ? entry : typeof had === 'number' ? [had, entry] : [...had, entry]);
  }

  private append(rk: number, digits: string): void {
    this.index(rk, this.rks.length);
    this.rks.push(rk);
    this.starts.push(this.haystack.length);
    this.haystack += `${digits}\n`;
  }

  private forget(rk: number): void {
    const had = this.byKey.get(rk);
    for (const i of had === undefined ? [] : typeof had === 'number' ? [had] : had) {
      if ((this.rks[i] ?? -1) >= 0) {
        this.rks[i] = -1;
        this.dead++;
      }
    }
    this.byKey.delete(rk);
  }

  /** The digits of entry `i`, read back from the string. */
  private digitsOf(i: number): string {
    return this.haystack.slice(this.starts[i] ?? 0, (this.starts[i + 1] ?? this.haystack.length) - 1);
  }

  /** Rebuilds the string from the live entries once a quarter of them are dead. */
  private compact(): void {
    if (this.dead * 4 <= this.rks.length) return;
    const live = this.rks.flatMap((rk, i) => (rk >= 0 ? [{ rk, digits: this.digitsOf(i) }] : []));
    this.byKey.clear();
    this.rks = [];
    this.starts = [];
    this.dead = 0;
    this.haystack = '\n';
    this.appendAll(live);
  }

  /** Appends many entries with one string join. */
  private appendAll(entries: readonly { rk: number; digits: string }[]): void {
    const parts = [this.haystack];
    let at = this.haystack.length;
    for (const e of entries) {
      this.index(e.rk, this.rks.length);
      this.rks.push(e.rk);
      this.starts.push(at);
      parts.push(e.digits, '\n');
      at += e.digits.length + 1;
    }
    this.haystack = parts.join('');
  }

  private async load(repo: FhirRepository, rks: number[] | undefined): Promise<void> {
    let q = repo.dialect.db.selectFrom('sp_token').select(['rk', 'value']).where('type', '=', 'Patient').where('code', '=', 'phone');
    if (rks) q = q.where('rk', 'in', rks);
    const rows = await q.execute();
    const entries = rows.flatMap((r) => (r.value ? [{ rk: Number(r.rk), digits: phoneDigits(r.value) }] : []));
    if (rks) for (const e of entries) this.append(e.rk, e.digits);
    else this.appendAll(entries);
  }

  private async refreshNow(repo: FhirRepository): Promise<void> {
    const last = await repo.lastSeq();
    if (last === this.seq) return;
    if (this.seq < 0) {
      await this.load(repo, undefined);
    } else {
      const rks = await changedPatientKeys(repo, this.seq, last);
      for (let i = 0; i < rks.length; i += 500) {
        const part = rks.slice(i, i + 500);
        for (const rk of part) this.forget(rk);
        await this.load(repo, part);
      }
      this.compact();
    }
    this.seq = last;
  }

  /** Brings the directory up to date with the store (one cheap query when nothing changed). */
  async refresh(repo: FhirRepository): Promise<void> {
    while (this.refreshing) await this.refreshing;
    this.refreshing = this.refreshNow(repo).finally(() => {
      this.refreshing = undefined;
    });
    await this.refreshing;
  }

  /** The entry whose digits contain position `pos` of the string (binary search on the starts). */
  private entryAt(pos: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Row keys of patients whose phone digits contain `digits` (or equal them, when `exact`), in the order entered. */
  async find(repo: FhirRepository, digits: string, limit: number, exact = false): Promise<number[]> {
    await this.refresh(repo);
    if (!/^\d+$/.test(digits)) return [];
    const needle = exact ? `\n${digits}\n` : digits;
    const out: number[] = [];
    const seen = new Set<number>();
    for (let pos = this.haystack.indexOf(needle); pos >= 0 && out.length < limit; ) {
      const i = this.entryAt(exact ? pos + 1 : pos);
      const rk = this.rks[i] ?? -1;
      if (rk >= 0 && !seen.has(rk)) {
        seen.add(rk);
        out.push(rk);
      }
      // Next match after this entry (an entry matching twice counts once).
      const next = (this.starts[i + 1] ?? this.haystack.length) - (exact ? 1 : 0);
      pos = this.haystack.indexOf(needle, Math.max(next, pos + 1));
    }
    return out;
  }
}

const directories = new WeakMap<StoreDialect, PhoneDirectory>();

/** The phone directory of a store (shared by every repository over it). */
export function phoneDirectoryFor(repo: FhirRepository): PhoneDirectory {
  let d = directories.get(repo.dialect);
  if (!d) {
    d = new PhoneDirectory();
    directories.set(repo.dialect, d);
  }
  return d;
}
