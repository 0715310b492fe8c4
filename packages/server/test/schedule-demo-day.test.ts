/**
 * The demo practice's day through the day view and chart summary, on both databases:
 * every clinician's column, the front-desk mix of states, coverage with copays, flags
 * (allergies, balances, new patients, an overbooked add-on), and today's draft notes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { STORE_KINDS } from './helpers/stores.js';
import { fhirTestApp } from './helpers/fhir-app.js';
import type { FhirTestApp } from './helpers/fhir-app.js';
import { TestClock } from './helpers/clinic-fixture.js';
import { loadDemo } from '../src/demo/load-demo.js';
import type { DayView } from '../src/clinical/schedule/day-view.js';
import type { ChartSummary } from '../src/clinical/chart-summary/chart-summary.js';

/** A Wednesday afternoon, local time. */
const TODAY = new Date(2026, 2, 11, 13, 40);
const DAY = '2026-03-11';

for (const kind of STORE_KINDS) {
  describe(`the demo practice's day (${kind.name})`, { skip: kind.skip, timeout: 600_000 }, () => {
    let t: FhirTestApp;
    let view: DayView;
    before(async () => {
      t = await fhirTestApp(() => kind.open(), { clinicalClock: new TestClock(TODAY.getTime()) });
      await loadDemo(t.repo, { patients: 80, seed: 1, today: TODAY });
      const r = await t.request('GET', `/api/schedule?date=${DAY}`);
      assert.equal(r.status, 200, r.text);
      view = r.body as unknown as DayView;
    });
    after(async () => t?.dispose());

    it('has a column per clinician with working hours and a realistic mix of states', () => {
      assert.deepEqual(view.columns.map((c) => c.practitioner), ['Dr. Amara Okafor, MD', 'Dr. Tomás Herrera, MD', 'Jonas Lindqvist, LICSW', 'Priya Natarajan, FNP-C']);
      for (const c of view.columns) assert.deepEqual(c.workingHours, [{ start: '09:00', end: '12:00' }, { start: '13:00', end: '17:00' }]);
      const all = view.columns.flatMap((c) => c.appointments);
      const states = new Set(all.map((a) => a.status));
      for (const s of ['fulfilled', 'in-room', 'checked-in', 'booked', 'cancelled']) assert.ok(states.has(s as never), `some ${s}: ${[...states].join()}`);
      assert.ok(all.every((a) => a.patient?.name), 'every appointment names its patient');
      assert.ok(all.filter((a) => a.status === 'in-room').every((a) => a.next.includes('fulfilled')));
    });

    it('shows coverage with copays and the flags', () => {
      const all = view.columns.flatMap((c) => c.appointments);
      assert.ok(all.some((a) => (a.coverage?.copay ?? 0) > 0 && a.coverage?.payor), 'copays');
      assert.ok(all.some((a) => a.flags.allergies), 'allergies');
      assert.ok(all.some((a) => a.flags.balance > 0), 'balances');
      assert.ok(all.some((a) => a.flags.newPatient), 'new patients');
      assert.ok(all.some((a) => a.flags.doubleBooked), 'an overbooked add-on');
      assert.ok(all.some((a) => !a.flags.newPatient && !a.flags.allergies), 'not every flag everywhere');
    });

    it("puts today's draft notes in the chart summary", async () => {
      const inRoom = view.columns.flatMap((c) => c.appointments).find((a) => a.status === 'in-room' && a.patient);
      assert.ok(inRoom?.patient);
      const r = await t.request('GET', `/api/patients/${inRoom.patient.id}/summary`);
      assert.equal(r.status, 200, r.text);
      const s = r.body as unknown as ChartSummary;
      assert.equal(s.notes[0]?.status, 'draft', 'the visit in progress has a draft note');
      assert.ok(s.notes[0]?.date?.startsWith(DAY));
      assert.ok(s.problems.every((p) => p.system === 'http://hl7.org/fhir/sid/icd-10-cm'));
    });
  });
}
