/**
 * Double booking across processes: two hub processes on one PostgreSQL database each have
 * their own store (their own pool and their own in-process lock); bookers on both try the
 * same clinician's same time at once. Exactly one booking may win, the others are refused
 * as double bookings, and the database holds one appointment at that time. Two stores in
 * one test process stand for the two processes: nothing in process memory is shared
 * between them (the in-process lock is per store).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OutcomeError } from '@chartroom/core';
import { PG_SKIP, TEST_PG, postgresTestStore } from './helpers/stores.js';
import { MONDAY_8AM, TestClock, at, seedClinic } from './helpers/clinic-fixture.js';
import { AppointmentService } from '../src/clinical/schedule/appointment-service.js';
import { openStore } from '../src/store/open-store.js';

describe('booking across two processes on one PostgreSQL hub', { skip: PG_SKIP }, () => {
  it('lets exactly one of many concurrent bookers of one slot win, then refuses a reschedule onto it', async () => {
    const first = await postgresTestStore();
    const url = new URL(TEST_PG as string);
    url.pathname = `/${first.databaseName as string}`;
    const second = await openStore({ kind: 'postgres', url: url.toString() });
    try {
      const c = await seedClinic(first.repo);
      const clock = new TestClock(MONDAY_8AM);
      const services = [new AppointmentService(first.repo, clock), new AppointmentService(second.repo, clock)];
      const patients = [c.alice, c.bob, c.carmen];
      const rounds = 4;
      for (let round = 0; round < rounds; round++) {
        const start = at(['09:00', '09:30', '10:00', '10:30'][round] as string);
        // Six bookers (three patients, each from both processes) for Dr A at the same time.
        const attempts = patients.flatMap((patient) =>
          services.map((s) => s.book({ patient, practitioner: c.drA, start, appointmentType: 'follow-up' }).then(
            (a) => ({ ok: true as const, id: a.id }),
            (error: unknown) => {
              if (!(error instanceof OutcomeError)) throw error;
              return { ok: false as const, diagnostics: error.outcome.issue[0]?.diagnostics ?? '' };
            },
          )),
        );
        const results = await Promise.all(attempts);
        const won = results.filter((r) => r.ok);
        assert.equal(won.length, 1, `round ${round}: ${won.length} bookings won`);
        for (const r of results) if (!r.ok) assert.match(r.diagnostics, /^Not booked: the clinician has Appointment\//);
      }
      const booked = await first.repo.dialect.db.selectFrom('resources').select('content').where('type', '=', 'Appointment').where('deleted', '=', 0).execute();
      assert.equal(booked.length, rounds, 'one appointment per time in the database');

      // Rescheduling from the other process onto a taken time is refused as well.
      const [a0, a1] = booked.map((b) => JSON.parse(b.content) as { id: string; start: string });
      assert.ok(a0 && a1);
      const moves = await Promise.allSettled([
        services[0]?.reschedule(a0.id, { start: at('14:00') }),
        services[1]?.reschedule(a1.id, { start: at('14:00') }),
      ]);
      assert.deepEqual(moves.map((m) => m.status).sort(), ['fulfilled', 'rejected'], 'one of two concurrent moves onto 14:00 wins');
      const refused = moves.find((m) => m.status === 'rejected');
      assert.ok(refused?.reason instanceof OutcomeError && /^Not booked: the clinician has Appointment\//.test(refused.reason.outcome.issue[0]?.diagnostics ?? ''), String(refused?.reason));
    } finally {
      await second.close();
      await first.dispose();
    }
  });
});
