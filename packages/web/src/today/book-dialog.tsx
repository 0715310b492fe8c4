/** Booking from free slots: pick a slot of the clinician, find the patient, book. */
import { useState } from 'react';
import { Alert, Button, Chip, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { timeText } from '../api/fhir-format';
import { useResource } from '../api/use-resource';
import { searchPatients } from '../search/patient-search.resource';
import type { PatientHit } from '../search/patient-search.resource';
import { Empty, ErrorState, Loading } from '../shell/view-states';
import { bookAppointment, loadFreeSlots } from './schedule.resource';

/** The booking dialog. */
export function BookDialog(props: { practitionerId: string; practitioner: string; date: string; onClose: () => void; onBooked: () => void }) {
  const slots = useResource(`${props.practitionerId}|${props.date}`, (signal) => loadFreeSlots(props.practitionerId, props.date, signal));
  const [slot, setSlot] = useState<string | undefined>();
  const [q, setQ] = useState('');
  const [hits, setHits] = useState<PatientHit[]>([]);
  const [patient, setPatient] = useState<PatientHit | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  async function find(term: string) {
    setQ(term);
    if (term.trim().length < 2) return setHits([]);
    try {
      setHits(await searchPatients(term.trim(), new AbortController().signal));
    } catch (err) {
      setError((err as Error).message);
    }
  }
  async function book() {
    if (!slot || !patient) return;
    setBusy(true);
    setError(undefined);
    try {
      await bookAppointment({ patient: patient.id, practitioner: props.practitionerId, start: slot });
      props.onBooked();
      props.onClose();
    } catch (err) {
      setError(`Not booked: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  }
  return (
    <Modal closeButtonProps={{ "aria-label": "Close" }} opened onClose={props.onClose} title={`Book with ${props.practitioner}`} size="lg">
      <Stack>
        <Text fw={600}>Free slots</Text>
        {slots.status === 'loading' && <Loading what="free slots" />}
        {slots.status === 'error' && <ErrorState what="free slots" error={slots.error} retry={slots.reload} />}
        {slots.status === 'ready' &&
          (slots.data.length === 0 ? (
            <Empty>No free slot on this day.</Empty>
          ) : (
            <Chip.Group value={slot ?? null} onChange={(v) => setSlot(typeof v === 'string' ? v : undefined)}>
              <Group gap="xs">
                {slots.data.map((s) => (
                  <Chip key={s.start} value={s.start} size="sm">
                    {timeText(s.start)} ({s.minutes} min)
                  </Chip>
                ))}
              </Group>
            </Chip.Group>
          ))}
        <TextInput label="Patient" placeholder="Name or MRN" value={patient ? patient.name : q} onChange={(e) => (setPatient(undefined), void find(e.currentTarget.value))} />
        {!patient && hits.length > 0 && (
          <Stack gap={2}>
            {hits.slice(0, 6).map((h) => (
              <Button key={h.id} variant="subtle" justify="flex-start" onClick={() => setPatient(h)}>
                {h.name} <Text span size="xs" c="dimmed" ml={8}>{h.line}</Text>
              </Button>
            ))}
          </Stack>
        )}
        {error && (
          <Alert color="red" role="alert">
            {error}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={props.onClose}>
            Cancel
          </Button>
          <Button onClick={() => void book()} disabled={!slot || !patient} loading={busy}>
            Book
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
