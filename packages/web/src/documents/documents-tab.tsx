/** The documents tab: list, inline viewer (images and PDFs), upload. */
import { useEffect, useState } from 'react';
import type { FormEvent } from 'react';
import { Alert, Anchor, Button, FileInput, Group, Paper, Stack, Table, Text, TextInput } from '@mantine/core';
import { dateText } from '../api/fhir-format';
import type { DocumentReference } from '../api/fhir-types';
import type { ChartData } from '../chart/chart.resource';
import { Empty } from '../shell/view-states';
import { docTitle, documentSource, uploadDocument } from './documents.resource';

function Viewer({ doc }: { doc: DocumentReference }) {
  const [src, setSrc] = useState<ReturnType<typeof documentSource> | undefined>();
  useEffect(() => {
    const s = documentSource(doc);
    setSrc(s);
    return () => s.revoke?.();
  }, [doc]);
  if (!src) return null;
  const title = docTitle(doc);
  return (
    <Paper withBorder p="sm" aria-label={`Viewing ${title}`}>
      <Group justify="space-between" mb="xs">
        <Text fw={600}>{title}</Text>
        <Anchor href={src.url} target="_blank" rel="noopener" download={doc.content?.[0]?.attachment?.title}>
          Open / download
        </Anchor>
      </Group>
      {src.contentType.startsWith('image/') ? (
        <img src={src.url} alt={title} style={{ maxWidth: '100%', maxHeight: '70vh' }} data-testid="document-image" />
      ) : src.contentType === 'application/pdf' && !src.url.startsWith('blob:') ? (
        <iframe src={src.url} title={title} className="doc-frame" />
      ) : src.contentType === 'application/pdf' ? (
        <Text size="sm">This PDF is stored in the chart; open it with the link above.</Text>
      ) : (
        <Text size="sm">This file type ({src.contentType}) cannot be shown here; open or download it with the link above.</Text>
      )}
    </Paper>
  );
}

function Upload({ patientId, onDone }: { patientId: string; onDone: () => void }) {
  const [file, setFile] = useState<File | null>(null);
  const [title, setTitle] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!file) return;
    setBusy(true);
    setError(undefined);
    try {
      await uploadDocument(patientId, file, title.trim() || file.name);
      setFile(null);
      setTitle('');
      onDone();
    } catch (err) {
      setError(`Not uploaded: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  }
  return (
    <form onSubmit={(e) => void submit(e)} aria-label="Upload a document">
      <Group align="flex-end">
        <FileInput label="File (PDF or image)" placeholder="Choose a file" accept="application/pdf,image/*" value={file} onChange={setFile} clearable w={260} />
        <TextInput label="Title" placeholder="e.g. Referral letter from cardiology" value={title} onChange={(e) => setTitle(e.currentTarget.value)} w={320} />
        <Button type="submit" disabled={!file} loading={busy}>
          Upload
        </Button>
      </Group>
      {error && (
        <Alert color="red" mt="xs" role="alert">
          {error}
        </Alert>
      )}
    </form>
  );
}

/** The documents tab. */
export function DocumentsTab({ chart, onChanged }: { chart: ChartData; onChanged: () => void }) {
  const [viewing, setViewing] = useState<DocumentReference | undefined>(chart.documents[0]);
  return (
    <Stack gap="sm">
      <Upload patientId={chart.patient.id ?? ''} onDone={onChanged} />
      {chart.documents.length === 0 ? (
        <Empty>No documents.</Empty>
      ) : (
        <Table striped highlightOnHover aria-label="Documents">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Date</Table.Th>
              <Table.Th>Document</Table.Th>
              <Table.Th>Type</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {chart.documents.map((d) => (
              <Table.Tr key={d.id}>
                <Table.Td>{dateText(d.date)}</Table.Td>
                <Table.Td>{docTitle(d)}</Table.Td>
                <Table.Td>{d.content?.[0]?.attachment?.contentType}</Table.Td>
                <Table.Td>
                  <Button size="compact-xs" variant={viewing?.id === d.id ? 'filled' : 'light'} onClick={() => setViewing(d)}>
                    View
                  </Button>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {viewing && <Viewer doc={viewing} />}
    </Stack>
  );
}
