/** The note editor: template with smart fields, autosaved draft, sign. A failed save says so and keeps the text. */
import { useEffect, useRef, useState } from 'react';
import { Alert, Button, Group, Paper, Select, Stack, Text, TextInput, Textarea } from '@mantine/core';
import { conceptText, nameOf, timeText } from '../api/fhir-format';
import { useResource } from '../api/use-resource';
import type { ChartData } from '../chart/chart.resource';
import { latestVitals } from '../chart/chart.resource';
import { createDraft, fillSmartFields, loadTemplates, saveDraft, signNote } from './notes.resource';

type SaveState = { kind: 'idle' } | { kind: 'saving' } | { kind: 'saved'; at: string } | { kind: 'failed'; message: string };

function smartValues(chart: ChartData): Record<string, string> {
  const vitals = latestVitals(chart)
    .map((o) => `${conceptText(o.code)} ${o.valueQuantity?.value ?? o.component?.map((c) => c.valueQuantity?.value).join('/') ?? ''}`)
    .join('; ');
  return {
    'patient.name': nameOf(chart.patient.name),
    'patient.birthDate': chart.patient.birthDate ?? '',
    allergies: chart.allergies.map((a) => conceptText(a.code)).join(', ') || 'none recorded',
    problems: chart.problems.map((p) => conceptText(p.code)).join('; ') || 'none recorded',
    medications: chart.medications.filter((m) => m.status === 'active').map((m) => conceptText(m.medicationCodeableConcept)).join('; ') || 'none',
    vitals: vitals || 'none recorded',
    today: new Date().toLocaleDateString(),
  };
}

/** Editor for a new note. */
export function NoteEditor({ chart, onDone }: { chart: ChartData; onDone: (signed: boolean) => void }) {
  const templates = useResource('templates', loadTemplates);
  const [templateId, setTemplateId] = useState<string | null>(null);
  const [title, setTitle] = useState('Progress note');
  const [text, setText] = useState('');
  const [draftId, setDraftId] = useState<string | undefined>();
  const [save, setSave] = useState<SaveState>({ kind: 'idle' });
  const [signing, setSigning] = useState(false);
  const [signError, setSignError] = useState<string | undefined>();
  const dirty = useRef(false);
  const patientId = chart.patient.id ?? '';

  function pickTemplate(id: string | null) {
    setTemplateId(id);
    const t = templates.data?.templates.find((x) => x.id === id);
    if (!t) return;
    if (text.trim() && !window.confirm('Replace the text with this template?')) return;
    setTitle(t.name);
    setText(fillSmartFields(t.text, smartValues(chart)));
    dirty.current = true;
  }

  async function persist(): Promise<string | undefined> {
    setSave({ kind: 'saving' });
    try {
      let id = draftId;
      if (!id) {
        id = (await createDraft(patientId, { title, text, ...(templateId && !templateId.startsWith('builtin-') ? { templateId } : {}) })).id;
        setDraftId(id);
      } else await saveDraft(id, { title, text });
      dirty.current = false;
      setSave({ kind: 'saved', at: new Date().toISOString() });
      return id;
    } catch (err) {
      setSave({ kind: 'failed', message: (err as Error).message });
      return undefined;
    }
  }

  // Autosave 1.5 s after the last keystroke.
  useEffect(() => {
    if (!dirty.current || !text.trim()) return;
    const t = window.setTimeout(() => void persist(), 1500);
    return () => window.clearTimeout(t);
    // persist reads the latest state when it runs; only text and title changes restart the timer.
  }, [text, title]);

  async function sign() {
    setSigning(true);
    setSignError(undefined);
    try {
      const id = dirty.current || !draftId ? await persist() : draftId;
      if (!id) throw new Error('The draft could not be saved, so it was not signed');
      await signNote(id);
      onDone(true);
    } catch (err) {
      setSignError(`Not signed: ${(err as Error).message}. Your text is still here.`);
    } finally {
      setSigning(false);
    }
  }

  return (
    <Paper withBorder p="md" aria-label="New note">
      <Stack gap="sm">
        <Group grow align="flex-end">
          <Select
            label="Template"
            placeholder={templates.status === 'loading' ? 'Loading templates…' : 'Choose a template'}
            data={(templates.data?.templates ?? []).map((t) => ({ value: t.id, label: t.name }))}
            value={templateId}
            onChange={pickTemplate}
            description={templates.data?.builtIn ? 'Built-in templates (the server offers none)' : undefined}
          />
          <TextInput
            label="Title"
            value={title}
            onChange={(e) => {
              setTitle(e.currentTarget.value);
              dirty.current = true;
            }}
          />
        </Group>
        <Textarea
          label="Note"
          autosize
          minRows={10}
          value={text}
          onChange={(e) => {
            setText(e.currentTarget.value);
            dirty.current = true;
          }}
          description="Smart fields such as {{allergies}}, {{medications}}, {{vitals}} are filled from the chart when you pick a template."
        />
        <Group justify="space-between">
          <Text size="sm" c={save.kind === 'failed' ? 'red.8' : 'dimmed'} role="status" aria-live="polite" data-testid="save-state">
            {save.kind === 'idle' && 'Saved automatically as you type'}
            {save.kind === 'saving' && 'Saving draft…'}
            {save.kind === 'saved' && `Draft saved at ${timeText(save.at)}`}
            {save.kind === 'failed' && 'Draft not saved'}
          </Text>
          <Group gap="xs">
            <Button variant="default" onClick={() => onDone(false)}>
              Close
            </Button>
            <Button variant="light" onClick={() => void persist()} disabled={!text.trim()}>
              Save draft
            </Button>
            <Button onClick={() => void sign()} loading={signing} disabled={!text.trim()}>
              Sign note
            </Button>
          </Group>
        </Group>
        {save.kind === 'failed' && (
          <Alert color="red" role="alert" title="The draft was not saved">
            {save.message}. Your text is kept here; it will be saved when you try again.
          </Alert>
        )}
        {signError && (
          <Alert color="red" role="alert" title="Not signed">
            {signError}
          </Alert>
        )}
      </Stack>
    </Paper>
  );
}
