/**
 * Schedule and front desk over HTTP, on both databases: booking, double-booking refused
 * unless overridden with a reason, bookings in the past or outside hours refused without
 * side effects, rescheduling, front-desk states, blocked time, free slots and the day view.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { STORE_KINDS } from './helpers/stores.js';
import { assertOutcome, assertUnchanged, fhirTestApp } from './helpers/fhir-app.js';
import type { FhirTestApp } from './helpers/fhir-app.js';
import { MONDAY_8AM, TestClock, at, seedClinic } from './helpers/clinic-fixture.js';
import type { Clinic } from './helpers/clinic-fixture.js';

interface DayViewBody {
  date: string;
  columns: {
    practitionerId: string;
    practitioner: string;
    workingHours: { start: string; end: string }[];
    blocks: { start: string }[];
    appointments: {
      id: string;
      status: string;
      reason?: string;
      patient: { id: string; name: string } | null;
      coverage: { copay: number | null; payor?: string; memberId?: string } | null;
      flags: { allergies: boolean; balance: number; newPatient: boolean; doubleBooked: boolean };
    }[];
  }[];
}

for (const kind of STORE_KINDS) {
  describe(`schedule and front desk (${kind.name})`, { skip: kind.skip }, () => {
    let t: FhirTestApp;
    let c: Clinic;
    const clock = new TestClock(MONDAY_8AM);
    before(async () => {
      t = await fhirTestApp(() => kind.open(), { clinicalClock: clock });
      c = await seedClinic(t.repo);
    });
    after(async () => t?.dispose());

    const book = (body: Record<string, unknown>) => t.request('POST', '/api/appointments', { body });
    let first = '';

    it('books an appointment and shows it on the day view with coverage and flags', async () => {
      const r = await book({ patient: c.alice, practitioner: c.drA, start: at('09:00'), appointmentType: 'follow-up', reason: 'Blood pressure check' });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.body.resourceType, 'Appointment');
      assert.equal(r.body.status, 'booked');
      assert.equal(r.body.minutesDuration, 20);
      first = String(r.body.id);
      const r2 = await book({ patient: c.bob, practitioner: c.drA, start: at('10:00'), appointmentType: 'follow-up' });
      assert.equal(r2.status, 201, r2.text);

      const day = await t.request('GET', `/api/schedule?date=${at('00:00').slice(0, 10)}`);
      assert.equal(day.status, 200, day.text);
      const body = day.body as unknown as DayViewBody;
      assert.equal(body.columns.length, 2, 'one column per clinician, even without appointments');
      const colA = body.columns.find((x) => x.practitionerId === c.drA);
      assert.ok(colA);
      assert.equal(colA.practitioner, 'Dr. Amara Okafor');
      assert.deepEqual(colA.workingHours, [{ start: '09:00', end: '12:00' }, { start: '13:00', end: '17:00' }]);
      assert.equal(colA.appointments.length, 2);
      const [alice, bob] = colA.appointments;
      assert.equal(alice?.patient?.name, 'Alicia Muñoz');
      assert.equal(alice?.reason, 'Blood pressure check');
      assert.equal(alice?.coverage?.copay, 35);
      assert.equal(alice?.coverage?.memberId, 'HMI123456');
      assert.deepEqual(alice?.flags, { allergies: false, balance: 0, newPatient: true, doubleBooked: false });
      assert.equal(bob?.patient?.name, "Robert O'Connor");
      assert.equal(bob?.coverage, null);
      assert.deepEqual(bob?.flags, { allergies: true, balance: 80, newPatient: false, doubleBooked: false });

      const one = await t.request('GET', `/api/schedule?date=${at('00:00').slice(0, 10)}&practitioner=${c.drB}`);
      assert.equal((one.body as unknown as DayViewBody).columns.length, 1);
      assert.equal((one.body as unknown as DayViewBody).columns[0]?.appointments.length, 0);
    });

    it('refuses a double booking (clinician or patient busy) with 409 and stores nothing', async () => {
      await assertUnchanged(t, async () => {
        const r = await book({ patient: c.carmen, practitioner: c.drA, start: at('09:10'), appointmentType: 'follow-up' });
        const oo = assertOutcome(r, 409, { code: 'conflict', diagnostics: /clinician has Appointment\// });
        assert.equal(oo.issue[0]?.details?.coding?.[0]?.code, 'clinician-busy');
        const p = await book({ patient: c.alice, practitioner: c.drB, start: at('09:00'), appointmentType: 'follow-up' });
        assertOutcome(p, 409, { diagnostics: /patient has Appointment\/.* with another clinician/ });
        const empty = await book({ patient: c.carmen, practitioner: c.drA, start: at('09:10'), override: { reason: '  ' } });
        assertOutcome(empty, 400, { expression: 'override.reason' });
      });
    });

    it('books over a conflict when overridden with a reason, and records it', async () => {
      const r = await book({ patient: c.carmen, practitioner: c.drA, start: at('09:10'), appointmentType: 'follow-up', override: { reason: 'Urgent: lithium level result' } });
      assert.equal(r.status, 201, r.text);
      const ext = (r.body.extension as { url: string; extension: { url: string; valueString?: string }[] }[])[0];
      assert.equal(ext?.url, 'https://chartroom.dev/fhir/StructureDefinition/booking-override');
      assert.equal(ext?.extension.find((e) => e.url === 'reason')?.valueString, 'Urgent: lithium level result');
      const day = (await t.request('GET', `/api/schedule?date=${at('00:00').slice(0, 10)}&practitioner=${c.drA}`)).body as unknown as DayViewBody;
      assert.equal(day.columns[0]?.appointments.find((a) => a.id === r.body.id)?.flags.doubleBooked, true);
    });

    it('refuses bookings in the past, outside hours, and malformed ones without side effects', async () => {
      await assertUnchanged(t, async () => {
        assertOutcome(await book({ patient: c.carmen, practitioner: c.drB, start: at('07:00') }), 400, { expression: 'start', diagnostics: /in the past/ });
        assertOutcome(await book({ patient: c.carmen, practitioner: c.drB, start: '2020-01-01T09:00:00Z' }), 400, { diagnostics: /in the past/ });
        const late = await book({ patient: c.carmen, practitioner: c.drB, start: at('18:00') });
        const oo = assertOutcome(late, 409, { diagnostics: /outside the clinician's working hours/ });
        assert.equal(oo.issue[0]?.details?.coding?.[0]?.code, 'outside-hours');
        assertOutcome(await book({ patient: c.carmen, practitioner: c.drB, start: 'tomorrow at nine' }), 400, { expression: 'start' });
        assertOutcome(await book({ patient: 'nobody', practitioner: c.drB, start: at('09:00', 1) }), 400, { expression: 'patient', diagnostics: /Patient\/nobody does not exist/ });
        assertOutcome(await book({ patient: c.carmen, practitioner: c.drB, start: at('09:00', 1), appointmentType: 'massage' }), 400, { expression: 'appointmentType' });
        assertOutcome(await book({ patient: c.carmen, practitioner: c.drB, start: at('09:00', 1), minutes: -5 }), 400, { expression: 'minutes' });
        assertOutcome(await book({ practitioner: c.drB, start: at('09:00', 1) }), 400, { expression: 'patient' });
        assertOutcome(await t.request('GET', '/api/schedule?date=2030-02-30'), 400, { expression: 'date' });
      });
    });

    it('moves an appointment through arrived, in room and done; refuses impossible moves', async () => {
      clock.ms = new Date(2030, 2, 4, 9, 2).getTime();
      const status = (id: string, s: string) => t.request('POST', `/api/appointments/${id}/status`, { body: { status: s } });
      let r = await status(first, 'arrived');
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.status, 'arrived');
      r = await status(first, 'in-room');
      assert.equal(r.body.status, 'checked-in');
      const day = (await t.request('GET', `/api/schedule?date=${at('00:00').slice(0, 10)}&practitioner=${c.drA}`)).body as unknown as DayViewBody;
      assert.equal(day.columns[0]?.appointments.find((a) => a.id === first)?.status, 'in-room');
      r = await status(first, 'done');
      assert.equal(r.body.status, 'fulfilled');
      await assertUnchanged(t, async () => {
        assertOutcome(await status(first, 'booked'), 409, { diagnostics: /is fulfilled; it can become nothing else/ });
        assertOutcome(await status(first, 'sleeping'), 400, { expression: 'status' });
        assertOutcome(await status('missing', 'arrived'), 404);
      });
    });

    it('reschedules, refusing a conflicting time, and keeps the old time in history', async () => {
      const r = await book({ patient: c.carmen, practitioner: c.drB, start: at('13:00', 1), appointmentType: 'follow-up' });
      assert.equal(r.status, 201, r.text);
      const id = String(r.body.id);
      const other = await book({ patient: c.bob, practitioner: c.drB, start: at('14:00', 1), appointmentType: 'follow-up' });
      assert.equal(other.status, 201);
      await assertUnchanged(t, async () => {
        assertOutcome(await t.request('POST', `/api/appointments/${id}/reschedule`, { body: { start: at('14:10', 1) } }), 409);
        assertOutcome(await t.request('POST', `/api/appointments/${id}/reschedule`, { body: { start: at('08:00') } }), 400, { diagnostics: /in the past/ });
        assertOutcome(await t.request('POST', `/api/appointments/${first}/reschedule`, { body: { start: at('15:00', 1) } }), 409, { diagnostics: /only a booked appointment/ });
      });
      const moved = await t.request('POST', `/api/appointments/${id}/reschedule`, { body: { start: at('15:00', 1) } });
      assert.equal(moved.status, 200, moved.text);
      assert.match(String(moved.body.start), /T15:00:00/);
      const history = await t.call('GET', `Appointment/${id}/_history`);
      assert.equal((history.body.entry as unknown[]).length, 2);
      const cancel = await t.request('POST', `/api/appointments/${id}/status`, { body: { status: 'cancelled', reason: 'Patient called' } });
      assert.equal(cancel.body.status, 'cancelled');
      assert.equal((cancel.body.cancelationReason as { text: string }).text, 'Patient called');
      // The cancelled time is free again.
      const again = await book({ patient: c.alice, practitioner: c.drB, start: at('15:00', 1), appointmentType: 'follow-up' });
      assert.equal(again.status, 201, again.text);
      await assertUnchanged(t, async () => {
        assertOutcome(await t.request('POST', `/api/appointments/${other.body.id as string}/status`, { body: { status: 'noshow' } }), 409, { diagnostics: /cannot be a no-show before then/ });
        assertOutcome(await t.request('POST', `/api/appointments/${other.body.id as string}/status`, { body: { status: 'arrived' } }), 409, { diagnostics: /only arrive on the day/ });
      });
    });

    it('blocks time, which free slots and bookings respect', async () => {
      const settings = await t.request('PUT', `/api/schedules/${c.scheduleB}/settings`, {
        body: { workingHours: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '12:00' }], appointmentTypes: [{ code: 'visit', display: 'Visit', minutes: 30 }] },
      });
      assert.equal(settings.status, 200, settings.text);
      await assertUnchanged(t, async () => {
        const bad = await t.request('PUT', `/api/schedules/${c.scheduleB}/settings`, { body: { workingHours: [{ days: ['mon'], start: '12:00', end: '09:00' }], appointmentTypes: [{ code: 'v', minutes: 30 }] } });
        assertOutcome(bad, 400, { expression: 'workingHours[0].end' });
      });
      const block = await t.request('POST', `/api/schedules/${c.scheduleB}/blocks`, { body: { start: at('10:00', 2), end: at('11:00', 2), reason: 'Staff meeting' } });
      assert.equal(block.status, 201, block.text);
      await assertUnchanged(t, async () => {
        const r = await book({ patient: c.carmen, practitioner: c.drB, start: at('10:30', 2), appointmentType: 'visit' });
        const oo = assertOutcome(r, 409, { diagnostics: /blocked \(Staff meeting\)/ });
        assert.equal(oo.issue[0]?.details?.coding?.[0]?.code, 'blocked');
      });
      const booked = await book({ patient: c.carmen, practitioner: c.drB, start: at('09:00', 2), appointmentType: 'visit' });
      assert.equal(booked.status, 201, booked.text);
      const free = await t.request('GET', `/api/free-slots?practitioner=${c.drB}&from=${at('00:00', 2).slice(0, 10)}&days=1&appointmentType=visit`);
      assert.equal(free.status, 200, free.text);
      const starts = (free.body.slots as { start: string }[]).map((s) => s.start.slice(11, 16));
      assert.deepEqual(starts, ['09:30', '11:00', '11:30']);
      const day = (await t.request('GET', `/api/schedule?date=${at('00:00', 2).slice(0, 10)}&practitioner=${c.drB}`)).body as unknown as DayViewBody;
      assert.equal(day.columns[0]?.blocks.length, 1);
    });
  });
}
