/**
 * The practice's day: one column per clinician with the day's appointments, each with the
 * patient's name, reason, front-desk status, coverage and copay, and flags (allergies on
 * file, balance owed, new patient). Built from a fixed number of queries whatever the
 * number of appointments (see chart-queries.ts), so it can refresh every few seconds.
 */
import type { Account, AllergyIntolerance, Appointment, Coverage, Patient, Practitioner, Schedule, Slot } from '@medplum/fhirtypes';
import { parseSearchRequest } from '@chartroom/core';
import type { FhirRepository } from '../../store/fhir-repository.js';
import { patientsWithDatedResourceBefore, readAllOfType, readMany, referencing } from '../patients/chart-queries.js';
import { accountBalance, coverageInForce, patientMrn, patientName, summarizeCoverage } from '../patients/patient-facts.js';
import type { CoverageSummary } from '../patients/patient-facts.js';
import { localDay, parseLocalDay, startOfLocalDay } from './local-time.js';
import { APPOINTMENT_TYPE_SYSTEM, scheduleSettings, workingIntervals } from './schedule-settings.js';
import { formatClock } from './local-time.js';
import { BOOKING_OVERRIDE_URL, allowedNext, frontDeskStatus } from './appointment-rules.js';
import type { FrontDeskStatus } from './appointment-rules.js';
import { appointmentActors, displayName, referenceId } from './appointment-service.js';
import { schedulePractitioner } from './schedule-service.js';

export interface DayViewAppointment {
  id: string;
  start: string | undefined;
  end: string | undefined;
  minutes: number | undefined;
  status: FrontDeskStatus;
  /** The states the front desk can move it to next. */
  next: readonly FrontDeskStatus[];
  appointmentType: string | undefined;
  reason: string | undefined;
  patient: { id: string; name: string; birthDate: string | undefined; gender: string | undefined; mrn: string | undefined } | null;
  coverage: CoverageSummary | null;
  flags: { allergies: boolean; balance: number; newPatient: boolean; doubleBooked: boolean };
}

export interface DayViewColumn {
  practitionerId: string;
  practitioner: string;
  scheduleId: string | undefined;
  workingHours: { start: string; end: string }[];
  blocks: { id: string; start: string; end: string; reason: string | undefined }[];
  appointments: DayViewAppointment[];
}

export interface DayView {
  date: string;
  columns: DayViewColumn[];
}

const SHOWN = new Set<Appointment['status']>(['proposed', 'pending', 'booked', 'arrived', 'checked-in', 'fulfilled', 'cancelled', 'noshow', 'waitlist']);

/** The day view of `date` (`YYYY-MM-DD`, clinic-local) for all clinicians or one. */
export async function dayView(repo: FhirRepository, query: { date?: string; practitioner?: string }): Promise<DayView> {
  const day = parseLocalDay(query.date, 'date');
  const next = startOfLocalDay(day, 1);
  const only = query.practitioner === undefined ? undefined : referenceId(query.practitioner, 'Practitioner', 'practitioner');

  const [schedules, appts, blocks] = await Promise.all([
    readAllOfType<Schedule>(repo, 'Schedule'),
    repo.search(
      parseSearchRequest('Appointment', {
        date: [`ge${day.toISOString()}`, `lt${next.toISOString()}`],
        ...(only ? { practitioner: `Practitioner/${only}` } : {}),
        _count: '1000',
      }),
    ),
    repo.search(parseSearchRequest('Slot', { status: 'busy-unavailable', start: [`gt${new Date(day.getTime() - 31 * 86_400_000).toISOString()}`, `lt${next.toISOString()}`], _count: '1000' })),
  ]);
  const appointments = appts.matches.map((v) => JSON.parse(v.json) as Appointment).filter((a) => SHOWN.has(a.status) && Date.parse(a.start ?? '') >= day.getTime());
  const patientIds = [...new Set(appointments.map((a) => appointmentActors(a).patientId).filter((x): x is string => !!x))];

  const [patients, coverages, allergies, accounts, seenBefore, practitioners] = await Promise.all([
    readMany<Patient>(repo, 'Patient', patientIds),
    referencing<Coverage>(repo, 'Coverage', ['beneficiary'], patientIds),
    referencing<AllergyIntolerance>(repo, 'AllergyIntolerance', ['patient'], patientIds),
    referencing<Account>(repo, 'Account', ['subject'], patientIds),
    patientsWithDatedResourceBefore(repo, 'Encounter', 'subject', 'date', patientIds, day.getTime()),
    readMany<Practitioner>(
      repo,
      'Practitioner',
      [...schedules.map((s) => schedulePractitioner(s).id), ...appointments.map((a) => appointmentActors(a).practitionerId)].filter((x): x is string => !!x),
    ),
  ]);

  const coverageBy = new Map<string, Coverage[]>();
  for (const c of coverages) coverageBy.set(c.targetId, [...(coverageBy.get(c.targetId) ?? []), c.resource]);
  const allergic = new Set(
    allergies
      .filter((a) => !a.resource.clinicalStatus?.coding?.some((c) => c.code === 'inactive' || c.code === 'resolved') && a.resource.verificationStatus?.coding?.[0]?.code !== 'entered-in-error')
      .map((a) => a.targetId),
  );
  const balance = new Map<string, number>();
  for (const a of accounts) balance.set(a.targetId, (balance.get(a.targetId) ?? 0) + accountBalance(a.resource));

  const columns = new Map<string, DayViewColumn>();
  const column = (practitionerId: string, schedule?: Schedule): DayViewColumn => {
    let col = columns.get(practitionerId);
    if (!col) {
      const p = practitioners.get(practitionerId);
      const settings = schedule ? scheduleSettings(schedule) : undefined;
      col = {
        practitionerId,
        practitioner: (p && displayName(p)) || schedule?.actor?.find((a) => a.reference === `Practitioner/${practitionerId}`)?.display || `Practitioner/${practitionerId}`,
        scheduleId: schedule?.id,
        workingHours: settings ? workingIntervals(settings, day).map(([a, b]) => ({ start: formatClock(a).slice(0, 5), end: formatClock(b).slice(0, 5) })) : [],
        blocks: [],
        appointments: [],
      };
      columns.set(practitionerId, col);
    }
    return col;
  };
  const scheduleIdToPractitioner = new Map<string, string>();
  for (const s of schedules) {
    const pid = schedulePractitioner(s).id;
    if (!pid || s.active === false || (only && pid !== only)) continue;
    column(pid, s);
    if (s.id) scheduleIdToPractitioner.set(s.id, pid);
  }
  for (const v of blocks.matches) {
    const s = JSON.parse(v.json) as Slot;
    const pid = scheduleIdToPractitioner.get(s.schedule.reference?.replace(/^Schedule\//, '') ?? '');
    if (!pid || Date.parse(s.end) <= day.getTime()) continue;
    column(pid).blocks.push({ id: s.id ?? '', start: s.start, end: s.end, reason: s.comment });
  }
  // Appointment types booked as new-patient visits (e.g. a first psychiatric evaluation).
  const newPatientTypes = new Map<string, Set<string>>();
  for (const s of schedules) {
    const pid = schedulePractitioner(s).id;
    if (pid) newPatientTypes.set(pid, new Set(scheduleSettings(s).appointmentTypes.filter((x) => x.newPatient).map((x) => x.code)));
  }
  const bookedAsNew = (a: Appointment, pid: string): boolean =>
    !!a.appointmentType?.coding?.some((c) => c.system === APPOINTMENT_TYPE_SYSTEM && c.code && newPatientTypes.get(pid)?.has(c.code));
  const when = day.getTime();
  for (const a of appointments) {
    const who = appointmentActors(a);
    if (!who.practitionerId) continue;
    const p = who.patientId ? patients.get(who.patientId) : undefined;
    const cov = who.patientId ? coverageInForce(coverageBy.get(who.patientId) ?? [], when) : undefined;
    const status = frontDeskStatus(a);
    column(who.practitionerId).appointments.push({
      id: a.id ?? '',
      start: a.start,
      end: a.end,
      minutes: a.minutesDuration,
      status,
      next: allowedNext(status),
      appointmentType: a.appointmentType?.text ?? a.appointmentType?.coding?.[0]?.display,
      reason: a.reasonCode?.[0]?.text ?? a.reasonCode?.[0]?.coding?.[0]?.display ?? a.description,
      patient: p && who.patientId ? { id: who.patientId, name: patientName(p), birthDate: p.birthDate, gender: p.gender, mrn: patientMrn(p) } : null,
      coverage: cov ? summarizeCoverage(cov) : null,
      flags: {
        allergies: who.patientId ? allergic.has(who.patientId) : false,
        balance: who.patientId ? (balance.get(who.patientId) ?? 0) : 0,
        newPatient: who.patientId ? !seenBefore.has(who.patientId) || bookedAsNew(a, who.practitionerId) : false,
        doubleBooked: !!a.extension?.some((e) => e.url === BOOKING_OVERRIDE_URL),
      },
    });
  }
  for (const col of columns.values()) col.appointments.sort((x, y) => Date.parse(x.start ?? '') - Date.parse(y.start ?? ''));
  return { date: localDay(day), columns: [...columns.values()].sort((a, b) => a.practitioner.localeCompare(b.practitioner)) };
}
