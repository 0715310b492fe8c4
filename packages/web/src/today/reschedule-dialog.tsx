/** Rescheduling from free slots: pick a day and a free slot of the same clinician, move the appointment there. */
import { useState } from 'react';
import { Alert, Button, Chip, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { dateText, timeText } from '../api/fhir-format';
import { useResource } from '../api/use-resource';
import { Empty, ErrorState, Loading } from '../shell/view-states';
import { loadFreeSlots, rescheduleAppointment } from './schedule.resource';
import type { DayAppointment } from './schedule.resource';

/** The reschedule dialog for one appointment. */
export function RescheduleDialog(props: { appointment: DayAppointment; practitionerId: string; practitioner: string; date: string; onClose: () => void; onMoved: () => void }) {
  const a = props.appointment;
  const [date, setDate] = useState(props.date);
  const slots = useResource(`${props.practitionerId}|${date}`, (signal) => loadFreeSlots(props.practitionerId, date, signal));
  const [slot, setSlot] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  async function move() {
    if (!slot) return;
    setBusy(true);
    setError(undefined);
    try {
      await rescheduleAppointment(a.id, { start: slot });
      props.onMoved();
      props.onClose();
    } catch (err) {
      setError(`Not moved: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  }
  return (
    <Modal closeButtonProps={{ 'aria-label': 'Close' }} opened onClose={props.onClose} title={`Reschedule ${a.patient?.name ?? 'appointment'}`} size="lg">
      <Stack>
        <Text size="sm">
          Now: {dateText(a.start)} at {timeText(a.start)} with {props.practitioner}
          {a.minutes ? ` (${a.minutes} min)` : ''}
        </Text>
        <TextInput
          type="date"
          label="Day"
          value={date}
          onChange={(e) => {
            if (!e.currentTarget.value) return;
            setDate(e.currentTarget.value);
            setSlot(undefined);
          }}
          w={200}
        />
        <Text fw={600}>Free slots of {props.practitioner}</Text>
        {slots.status === 'loading' && <Loading what="free slots" />}
        {slots.status === 'error' && <ErrorState what="free slots" error={slots.error} retry={slots.reload} />}
        {slots.status === 'ready' &&
          (slots.data.length === 0 ? (
            <Empty>No free slot on this day. Try another day.</Empty>
          ) : (
            <Chip.Group value={slot ?? null} onChange={(v) => setSlot(typeof v === 'string' ? v : undefined)}>
              <Group gap="xs" role="group" aria-label="Free slots">
                {slots.data.map((s) => (
                  <Chip key={s.start} value={s.start} size="sm">
                    {timeText(s.start)} ({s.minutes} min)
                  </Chip>
                ))}
              </Group>
            </Chip.Group>
          ))}
        {error && (
          <Alert color="red" role="alert">
            {error}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={props.onClose}>
            Cancel
          </Button>
          <Button onClick={() => void move()} disabled={!slot} loading={busy}>
            {slot ? `Move to ${dateText(slot)} ${timeText(slot)}` : 'Move'}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
