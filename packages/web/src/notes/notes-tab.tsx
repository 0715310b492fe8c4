/** The notes of a chart: new note, signed notes locked (with addenda), drafts. */
import { useState } from 'react';
import { Alert, Badge, Button, Group, Paper, Stack, Text, Textarea } from '@mantine/core';
import { conceptText, dateText } from '../api/fhir-format';
import type { DocumentReference } from '../api/fhir-types';
import type { ChartData } from '../chart/chart.resource';
import { useUser } from '../login/session.resource';
import { Empty } from '../shell/view-states';
import { NoteEditor } from './note-editor';
import { addAddendum, isSigned, noteText } from './notes.resource';

function NoteCard({ note, onChanged }: { note: DocumentReference; onChanged: () => void }) {
  const signed = isSigned(note);
  const restricted = note.securityLabel?.some((l) => l.coding?.some((c) => c.code === 'PSYTHPN' || c.code === 'R'));
  const text = noteText(note);
  const [adding, setAdding] = useState(false);
  const [addendum, setAddendum] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  async function submit() {
    setBusy(true);
    setError(undefined);
    try {
      await addAddendum(note.id ?? '', addendum);
      setAdding(false);
      setAddendum('');
      onChanged();
    } catch (err) {
      setError(`Addendum not saved: ${(err as Error).message}. Your text is kept.`);
    } finally {
      setBusy(false);
    }
  }
  return (
    <Paper withBorder p="sm" className={signed ? 'signed-note' : undefined} aria-label={`${note.type?.text ?? 'Note'} ${dateText(note.date)}`}>
      <Group justify="space-between" align="flex-start">
        <div>
          <Text fw={600}>{note.type?.text ?? conceptText(note.type)}</Text>
          <Text size="xs" c="dimmed">
            {dateText(note.date)} · {note.author?.[0]?.display}
          </Text>
        </div>
        <Group gap={4}>
          {restricted && (
            <Badge color="grape" variant="light">
              Restricted
            </Badge>
          )}
          {signed ? (
            <Badge color="dark" variant="filled">
              Signed{note.authenticator?.display ? ` by ${note.authenticator.display}` : ''} · locked
            </Badge>
          ) : (
            <Badge color="yellow" variant="light">Draft</Badge>
          )}
        </Group>
      </Group>
      {text ? (
        <pre className="note-text">{text}</pre>
      ) : (
        <Text size="sm" c="dimmed">
          {note.description ?? 'No text'}
        </Text>
      )}
      {signed && !adding && (
        <Button size="compact-sm" variant="subtle" mt="xs" onClick={() => setAdding(true)}>
          Add addendum
        </Button>
      )}
      {adding && (
        <Stack gap="xs" mt="xs">
          <Textarea label="Addendum" autosize minRows={3} value={addendum} onChange={(e) => setAddendum(e.currentTarget.value)} />
          {error && (
            <Alert color="red" role="alert">
              {error}
            </Alert>
          )}
          <Group gap="xs">
            <Button size="compact-sm" onClick={() => void submit()} loading={busy} disabled={!addendum.trim()}>
              Sign addendum
            </Button>
            <Button size="compact-sm" variant="default" onClick={() => setAdding(false)}>
              Cancel
            </Button>
          </Group>
        </Stack>
      )}
    </Paper>
  );
}

/** The notes tab. */
export function NotesTab({ chart, onChanged }: { chart: ChartData; onChanged: () => void }) {
  const user = useUser();
  const [editing, setEditing] = useState(false);
  const [justSigned, setJustSigned] = useState(false);
  const canWrite = user.role === 'clinician' || user.role === 'admin' || user.role === 'nurse';
  return (
    <Stack gap="sm">
      {canWrite && !editing && (
        <Group>
          <Button onClick={() => (setEditing(true), setJustSigned(false))}>New note</Button>
        </Group>
      )}
      {justSigned && (
        <Alert color="teal" role="status">
          Note signed. It is locked; changes go in an addendum.
        </Alert>
      )}
      {editing && (
        <NoteEditor
          chart={chart}
          onDone={(signed) => {
            setEditing(false);
            setJustSigned(signed);
            if (signed) onChanged();
          }}
        />
      )}
      {chart.notes.length === 0 ? <Empty>No notes yet.</Empty> : chart.notes.map((n) => <NoteCard key={n.id} note={n} onChanged={onChanged} />)}
    </Stack>
  );
}
