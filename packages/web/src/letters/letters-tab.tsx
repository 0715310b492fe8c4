/** The chart's Letters tab: the patient's letters, and a new one from a template (draft → edit → sign → PDF). */
import { useState } from 'react';
import { Alert, Anchor, Badge, Button, Group, Paper, Select, Stack, Table, Text, TextInput, Textarea } from '@mantine/core';
import { dateText } from '../api/fhir-format';
import { useResource } from '../api/use-resource';
import { useUser } from '../login/session.resource';
import { Empty, ErrorState, Loading } from '../shell/view-states';
import { letterPdfUrl, loadLetters, loadLetterTemplates, saveLetter, signLetter, startLetter } from './letters.resource';
import type { Letter, LetterTemplate } from './letters.resource';

function LetterEditor({ letter, template, onClose }: { letter: Letter; template: LetterTemplate | undefined; onClose: (changed: boolean) => void }) {
  const [current, setCurrent] = useState(letter);
  const [recipient, setRecipient] = useState(letter.recipient ?? '');
  const [subject, setSubject] = useState(letter.subject);
  const [body, setBody] = useState(letter.body);
  const [busy, setBusy] = useState<'save' | 'sign' | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [saved, setSaved] = useState(false);
  const needsRecipient = template?.needsRecipient ?? false;
  const dirty = recipient !== (current.recipient ?? '') || subject !== current.subject || body !== current.body;

  async function save(): Promise<Letter | undefined> {
    setBusy('save');
    setError(undefined);
    try {
      const next = dirty ? await saveLetter(current, { recipient, subject, body }) : current;
      setCurrent(next);
      setSaved(true);
      return next;
    } catch (err) {
      setError(`Not saved: ${(err as Error).message}. Your text is still here.`);
      return undefined;
    } finally {
      setBusy(undefined);
    }
  }

  async function sign() {
    if (needsRecipient && !recipient.trim()) return setError('This letter needs a recipient before it is signed.');
    const next = await save();
    if (!next) return;
    setBusy('sign');
    try {
      setCurrent(await signLetter(next.id));
    } catch (err) {
      setError(`Not signed: ${(err as Error).message}. Your text is still here.`);
    } finally {
      setBusy(undefined);
    }
  }

  if (current.status === 'signed') {
    return (
      <Alert color="teal" title="Letter signed. It is locked." role="status">
        <Group gap="sm">
          <Anchor href={letterPdfUrl(current.id)} target="_blank" rel="noopener">
            Open the signed PDF
          </Anchor>
          <Button size="xs" variant="default" onClick={() => onClose(true)}>
            Back to letters
          </Button>
        </Group>
      </Alert>
    );
  }
  return (
    <Paper withBorder p="md" aria-label="Letter draft">
      <Stack gap="sm">
        <Group justify="space-between">
          <Text fw={600}>{current.title}</Text>
          <Badge variant="light" color="gray">
            Draft
          </Badge>
        </Group>
        <Textarea label={needsRecipient ? 'Recipient (required)' : 'Recipient (optional)'} autosize minRows={2} value={recipient} onChange={(e) => setRecipient(e.currentTarget.value)} />
        <TextInput label="Subject" value={subject} onChange={(e) => setSubject(e.currentTarget.value)} />
        <Textarea label="Letter" autosize minRows={10} value={body} onChange={(e) => setBody(e.currentTarget.value)} description="Filled from the chart; replace the [bracketed] parts before signing." />
        {error && (
          <Alert color="red" role="alert" title="The letter was not saved or signed">
            {error}
          </Alert>
        )}
        <Group justify="space-between">
          <Text size="sm" c="dimmed" role="status">
            {dirty ? 'Unsaved changes' : saved ? 'Draft saved' : 'Draft'}
          </Text>
          <Group gap="xs">
            <Button variant="default" onClick={() => onClose(saved)}>
              Close
            </Button>
            <Anchor href={letterPdfUrl(current.id)} target="_blank" rel="noopener" size="sm">
              Preview PDF
            </Anchor>
            <Button variant="light" onClick={() => void save()} loading={busy === 'save'} disabled={!dirty}>
              Save draft
            </Button>
            <Button onClick={() => void sign()} loading={busy === 'sign'}>
              Sign letter
            </Button>
          </Group>
        </Group>
      </Stack>
    </Paper>
  );
}

/** Letters for the patient, and writing a new one from a template. */
export function LettersTab({ patientId }: { patientId: string }) {
  const user = useUser();
  const canWrite = user.role === 'clinician' || user.role === 'admin';
  const letters = useResource(`letters:${patientId}`, (signal) => loadLetters(patientId, signal));
  const templates = useResource(canWrite ? 'letter-templates' : null, loadLetterTemplates);
  const [templateId, setTemplateId] = useState<string | null>(null);
  const [editing, setEditing] = useState<Letter | undefined>();
  const [starting, setStarting] = useState(false);
  const [startError, setStartError] = useState<string | undefined>();
  const templateOf = (id: string) => templates.data?.find((t) => t.id === id);

  async function start() {
    if (!templateId) return;
    setStarting(true);
    setStartError(undefined);
    try {
      setEditing(await startLetter(patientId, templateId));
    } catch (err) {
      setStartError((err as Error).message);
    } finally {
      setStarting(false);
    }
  }

  if (editing) {
    return (
      <LetterEditor
        letter={editing}
        template={templateOf(editing.template)}
        onClose={() => {
          setEditing(undefined);
          letters.reload();
        }}
      />
    );
  }
  return (
    <Stack gap="sm">
      {canWrite && (
        <Group align="flex-end" gap="xs">
          <Select
            label="Letter template"
            placeholder={templates.status === 'loading' ? 'Loading templates…' : 'Choose a template'}
            data={(templates.data ?? []).map((t) => ({ value: t.id, label: t.title }))}
            value={templateId}
            onChange={setTemplateId}
            w={280}
          />
          <Button onClick={() => void start()} loading={starting} disabled={!templateId}>
            Write letter
          </Button>
        </Group>
      )}
      {templates.status === 'error' && <ErrorState what="the letter templates" error={templates.error} retry={templates.reload} />}
      {startError && (
        <Alert color="red" role="alert" title="The letter was not started">
          {startError}
        </Alert>
      )}
      {letters.status === 'loading' && <Loading what="letters" />}
      {letters.status === 'error' && <ErrorState what="letters" error={letters.error} retry={letters.reload} />}
      {letters.status === 'ready' && letters.data.length === 0 && <Empty>No letters yet.</Empty>}
      {letters.status === 'ready' && letters.data.length > 0 && (
        <Table striped aria-label="Letters">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Date</Table.Th>
              <Table.Th>Letter</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Actions</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {letters.data.map((l) => (
              <Table.Tr key={l.id}>
                <Table.Td>{dateText(l.signedAt ?? l.created)}</Table.Td>
                <Table.Td>
                  <Text size="sm">{l.subject}</Text>
                  <Text size="xs" c="dimmed">
                    {l.title}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Badge variant="light" color={l.status === 'signed' ? 'teal' : 'gray'}>
                    {l.status === 'signed' ? 'Signed' : 'Draft'}
                  </Badge>
                </Table.Td>
                <Table.Td>
                  <Group gap="xs">
                    <Anchor href={letterPdfUrl(l.id)} target="_blank" rel="noopener" size="sm">
                      PDF
                    </Anchor>
                    {l.status === 'draft' && canWrite && (
                      <Button size="compact-xs" variant="light" onClick={() => setEditing(l)} aria-label={`Edit ${l.subject}`}>
                        Edit
                      </Button>
                    )}
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}
