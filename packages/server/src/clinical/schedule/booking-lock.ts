/**
 * The lock a booking holds while it checks for double booking and writes: "look for
 * overlapping appointments, then create" must not interleave with another booking of the
 * same clinician or patient, whichever process runs it.
 *
 * - In this process: the keyed lock of the store (fhir/keyed-lock.ts), plus one key that all
 *   bookings share, so a process holds at most one of the connections below at a time.
 * - Across processes (several `serve` processes on one PostgreSQL hub): a session-level
 *   advisory lock per key on a connection of its own, taken in sorted order (two bookings
 *   never deadlock), held until the booking's transaction has committed, then released.
 *   Whoever waited then reads the committed appointment in its own check.
 *   See https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS
 *   (The transaction's own connection is not reachable from a repository, hence a second one;
 *   the shared key keeps it to one per process, so the pool cannot run dry.)
 * - SQLite: one node process owns its database file, so the in-process lock is the lock.
 */
import { sql } from 'kysely';
import type { FhirRepository } from '../../store/fhir-repository.js';
import { lockFor } from '../../fhir/keyed-lock.js';

/** Lock keys of a booking: the clinician's and the patient's calendars. */
export function bookingKeys(practitionerId: string, patientId: string): string[] {
  return [`appointment:Practitioner/${practitionerId}`, `appointment:Patient/${patientId}`];
}

/** One key every booking of this process holds, so at most one advisory-lock connection is in use. */
const ALL_BOOKINGS = 'appointment:*';

/**
 * Runs `fn` in one transaction while holding the booking locks of `keys`, in this process
 * and across processes; `fn` gets the transaction's repository and must use only it.
 */
export async function withBookingLock<T>(repo: FhirRepository, keys: readonly string[], fn: (tx: FhirRepository) => Promise<T>): Promise<T> {
  const sorted = [...new Set(keys)].sort();
  return lockFor(repo).run([ALL_BOOKINGS, ...sorted], async () => {
    // Advisory locks exist where `SELECT … FOR UPDATE` does (PostgreSQL).
    if (!repo.dialect.supportsForUpdate) return repo.withTransaction(fn);
    return repo.dialect.db.connection().execute(async (conn) => {
      try {
        for (const key of sorted) await sql`SELECT pg_advisory_lock(hashtextextended(${`chartroom:${key}`}, 0))`.execute(conn);
        return await repo.withTransaction(fn);
      } finally {
        // A connection that was lost has lost its session locks with it.
        await sql`SELECT pg_advisory_unlock_all()`.execute(conn).catch((error: unknown) => {
          if (!repo.dialect.isConnectionLost(error)) throw error;
        });
      }
    });
  });
}
