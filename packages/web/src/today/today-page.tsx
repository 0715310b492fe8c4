/** Today: the practice's day in columns per clinician (or my day), status changes in one or two clicks, booking from free slots. */
import { useState } from 'react';
import { ActionIcon, Alert, Badge, Button, Group, Menu, Paper, SegmentedControl, Stack, Text, TextInput, Title, Tooltip } from '@mantine/core';
import { timeText } from '../api/fhir-format';
import { useResource } from '../api/use-resource';
import { useUser } from '../login/session.resource';
import { markChartRequested } from '../search/patient-search';
import { navigate } from '../shell/router';
import { Empty, ErrorState, Loading } from '../shell/view-states';
import { BookDialog } from './book-dialog';
import { RescheduleDialog } from './reschedule-dialog';
import { loadDay, RESCHEDULABLE, setAppointmentStatus, STATUS_LABEL } from './schedule.resource';
import type { DayAppointment, DayColumn, FrontDeskStatus } from './schedule.resource';

/** Today's date as YYYY-MM-DD in local time. */
export function localDate(d = new Date()): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

function Flags({ a }: { a: DayAppointment }) {
  const f = a.flags;
  if (!f) return null;
  return (
    <Group gap={4}>
      {f.allergies && (
        <Badge color="red" variant="light" size="sm">
          Allergies
        </Badge>
      )}
      {f.newPatient && (
        <Badge color="blue" variant="light" size="sm">
          New patient
        </Badge>
      )}
      {!!f.balance && f.balance > 0 && (
        <Badge color="yellow" variant="light" size="sm">
          Balance ${f.balance.toFixed(2)}
        </Badge>
      )}
      {f.doubleBooked && (
        <Badge color="orange" variant="light" size="sm">
          Double-booked
        </Badge>
      )}
    </Group>
  );
}

function AppointmentCard({ a, col, date, onChanged }: { a: DayAppointment; col: DayColumn; date: string; onChanged: () => void }) {
  const [busy, setBusy] = useState<FrontDeskStatus | undefined>();
  const [rescheduling, setRescheduling] = useState(false);
  const canReschedule = RESCHEDULABLE.includes(a.status) && col.practitionerId !== 'unassigned';
  const [error, setError] = useState<string | undefined>();
  const primary = a.next.find((s) => s !== 'cancelled' && s !== 'noshow');
  const others = a.next.filter((s) => s !== primary);
  const who = a.patient?.name ?? 'No patient';
  async function move(s: FrontDeskStatus) {
    setBusy(s);
    setError(undefined);
    try {
      await setAppointmentStatus(a.id, s);
      onChanged();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(undefined);
    }
  }
  return (
    <Paper withBorder p="sm" className="appt-card" data-status={a.status} aria-label={`${timeText(a.start)} ${who}`}>
      <Group justify="space-between" wrap="nowrap" align="flex-start">
        <div>
          <Text size="sm" fw={700}>
            {timeText(a.start)}
            {a.minutes ? <Text span size="xs" c="dimmed">{` · ${a.minutes} min`}</Text> : null}
          </Text>
          {a.patient ? (
            <a
              href={`/patients/${a.patient.id}`}
              className="patient-link"
              onClick={(e) => {
                e.preventDefault();
                markChartRequested();
                navigate(`/patients/${a.patient?.id ?? ''}`);
              }}
            >
              <Text fw={600}>{who}</Text>
            </a>
          ) : (
            <Text fw={600}>{who}</Text>
          )}
          <Text size="xs" c="dimmed">
            {[a.appointmentType, a.reason && !a.reason.startsWith(a.appointmentType ?? '\u0000') ? a.reason : undefined].filter(Boolean).join(' · ')}
          </Text>
        </div>
        <Badge color={STATUS_LABEL[a.status]?.color ?? 'gray'} variant={a.status === 'booked' ? 'outline' : 'light'} style={{ flexShrink: 0 }}>
          {STATUS_LABEL[a.status]?.state ?? a.status}
        </Badge>
      </Group>
      <Flags a={a} />
      {(primary || others.length > 0 || canReschedule) && (
        <Group gap="xs" mt="xs">
          {primary && (
            <Button size="compact-sm" onClick={() => void move(primary)} loading={busy === primary} aria-label={`${STATUS_LABEL[primary].action}: ${who}`}>
              {STATUS_LABEL[primary].action}
            </Button>
          )}
          {(others.length > 0 || canReschedule) && (
            <Menu position="bottom-start" withinPortal>
              <Menu.Target>
                <Button size="compact-sm" variant="default" aria-label={`More actions for ${who}`} loading={!!busy && busy !== primary}>
                  More
                </Button>
              </Menu.Target>
              <Menu.Dropdown>
                {canReschedule && <Menu.Item onClick={() => setRescheduling(true)}>Reschedule…</Menu.Item>}
                {others.map((s) => (
                  <Menu.Item key={s} onClick={() => void move(s)} color={s === 'cancelled' || s === 'noshow' ? 'red' : undefined}>
                    {STATUS_LABEL[s].action}
                  </Menu.Item>
                ))}
              </Menu.Dropdown>
            </Menu>
          )}
        </Group>
      )}
      {error && (
        <Alert color="red" mt="xs" p="xs" role="alert">
          {error}
        </Alert>
      )}
      {rescheduling && <RescheduleDialog appointment={a} practitionerId={col.practitionerId} practitioner={col.practitioner} date={date} onClose={() => setRescheduling(false)} onMoved={onChanged} />}
    </Paper>
  );
}

function Column({ col, date, onChanged }: { col: DayColumn; date: string; onChanged: () => void }) {
  const [booking, setBooking] = useState(false);
  const sorted = [...col.appointments].sort((x, y) => (x.start ?? '').localeCompare(y.start ?? ''));
  return (
    <section aria-label={`Schedule of ${col.practitioner}`}>
      <Group justify="space-between" mb="xs">
        <Title order={2} size="h4">
          {col.practitioner}
        </Title>
        <Tooltip label="Book into a free slot">
          <ActionIcon variant="light" onClick={() => setBooking(true)} aria-label={`Book with ${col.practitioner}`}>
            +
          </ActionIcon>
        </Tooltip>
      </Group>
      <Stack gap="xs">
        {sorted.length === 0 ? <Empty>No appointments.</Empty> : sorted.map((a) => <AppointmentCard key={a.id} a={a} col={col} date={date} onChanged={onChanged} />)}
      </Stack>
      {booking && <BookDialog practitionerId={col.practitionerId} practitioner={col.practitioner} date={date} onClose={() => setBooking(false)} onBooked={onChanged} />}
    </section>
  );
}

/** The Today screen. */
export function TodayPage() {
  const user = useUser();
  const [date, setDate] = useState(localDate());
  const [mine, setMine] = useState(user.role === 'clinician' && !!user.practitionerId);
  const practitioner = mine ? user.practitionerId : undefined;
  const day = useResource(`${date}|${practitioner ?? ''}`, (signal) => loadDay(date, practitioner, signal));
  const counts = day.data ? day.data.columns.flatMap((c) => c.appointments) : [];
  return (
    <Stack gap="md">
      <Group justify="space-between" align="flex-end">
        <div>
          <Title order={1} size="h2">
            {date === localDate() ? 'Today' : 'Schedule'}
          </Title>
          {day.data && (
            <Text size="sm" c="dimmed">
              {counts.length} appointments · {counts.filter((a) => a.status === 'arrived' || a.status === 'checked-in').length} waiting · {counts.filter((a) => a.status === 'in-room').length} in room ·{' '}
              {counts.filter((a) => a.status === 'fulfilled').length} done
            </Text>
          )}
        </div>
        <Group align="flex-end">
          {user.practitionerId && (user.role === 'clinician' || user.role === 'nurse') && (
            <SegmentedControl
              aria-label="Whose schedule"
              value={mine ? 'mine' : 'all'}
              onChange={(v) => setMine(v === 'mine')}
              data={[
                { value: 'all', label: 'Practice' },
                { value: 'mine', label: 'My day' },
              ]}
            />
          )}
          <TextInput type="date" label="Date" value={date} onChange={(e) => e.currentTarget.value && setDate(e.currentTarget.value)} />
          <Button variant="default" onClick={day.reload}>
            Refresh
          </Button>
        </Group>
      </Group>
      {day.data?.fallback && (
        <Alert color="gray" p="xs">
          Read from the FHIR API: this server has no schedule API yet, so flags and in-room status are not shown.
        </Alert>
      )}
      {day.status === 'loading' && <Loading what="the schedule" />}
      {day.status === 'error' && <ErrorState what="the schedule" error={day.error} retry={day.reload} />}
      {day.status === 'ready' &&
        (day.data.columns.length === 0 ? (
          <Empty>No clinician has appointments on this day.</Empty>
        ) : (
          <div className="schedule-cols">
            {day.data.columns.map((c) => (
              <Column key={c.practitionerId} col={c} date={date} onChanged={day.reload} />
            ))}
          </div>
        ))}
    </Stack>
  );
}
