/**
 * Patients' phone numbers as digits, in memory, for the type-ahead: a phone is typed in any
 * layout ("413-555-0142", "(413) 555 0142", "0142") and stored in any layout, which no index
 * range can serve. The directory is loaded once from the store's phone index rows and then
 * kept current from the change log (each lookup first asks for the last change sequence and
 * re-reads the Patients written since), so writes from this process, other processes on the
 * same database and replication are all seen. One directory per store.
 */
import type { FhirRepository } from '../../store/fhir-repository.js';
import type { StoreDialect } from '../../store/dialect.js';

/** The digits of a phone number, without a leading US country code. */
export function phoneDigits(value: string): string {
  const d = value.replace(/\D/g, '');
  return d.length === 11 && d.startsWith('1') ? d.slice(1) : d;
}

const LOOK_BACK = 100;

/** Phone digits by Patient row key, kept current from the change log. */
export class PhoneDirectory {
  private seq = -1;
  private readonly byKey = new Map<number, string[]>();
  private refreshing: Promise<void> | undefined;

  private async load(repo: FhirRepository, rks: number[] | undefined): Promise<void> {
    let q = repo.dialect.db.selectFrom('sp_token').select(['rk', 'value']).where('type', '=', 'Patient').where('code', '=', 'phone');
    if (rks) q = q.where('rk', 'in', rks);
    for (const r of await q.execute()) {
      if (!r.value) continue;
      const list = this.byKey.get(r.rk) ?? [];
      list.push(phoneDigits(r.value));
      this.byKey.set(r.rk, list);
    }
  }

  private async refreshNow(repo: FhirRepository): Promise<void> {
    const last = await repo.lastSeq();
    if (last === this.seq) return;
    if (this.seq < 0) {
      await this.load(repo, undefined);
    } else {
      const changed = await repo.dialect.db
        .selectFrom('changes as c')
        .innerJoin('resources as r', (j) => j.onRef('r.type', '=', 'c.type').onRef('r.id', '=', 'c.id'))
        .select('r.rk')
        .distinct()
        // A look-back: on PostgreSQL a change can commit after one with a higher sequence.
        .where('c.seq', '>', Math.max(0, this.seq - LOOK_BACK))
        .where('c.seq', '<=', last)
        .where('c.type', '=', 'Patient')
        .execute();
      const rks = changed.map((c) => c.rk);
      for (let i = 0; i < rks.length; i += 500) {
        const part = rks.slice(i, i + 500);
        for (const rk of part) this.byKey.delete(rk);
        await this.load(repo, part);
      }
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

  /** Row keys of patients whose phone digits contain `digits` (or equal them, when `exact`). */
  async find(repo: FhirRepository, digits: string, limit: number, exact = false): Promise<number[]> {
    await this.refresh(repo);
    const out: number[] = [];
    for (const [rk, phones] of this.byKey) {
      if (phones.some((p) => (exact ? p === digits : p.includes(digits)))) {
        out.push(rk);
        if (out.length >= limit) break;
      }
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
