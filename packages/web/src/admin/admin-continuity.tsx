/** Admin screens for the safety valves: quarantined sync batches to approve or reject, and the downtime-kit settings. */
import { useEffect, useState } from 'react';
import type { FormEvent } from 'react';
import { Alert, Badge, Button, Checkbox, Group, NumberInput, PasswordInput, Stack, Table, Text, Textarea } from '@mantine/core';
import { dateText, timeText } from '../api/fhir-format';
import { useResource } from '../api/use-resource';
import { Empty, ErrorState, Loading } from '../shell/view-states';
import { decideQuarantine, loadKitSettings, loadPeers, loadQuarantine, runKitNow, saveKitSettings } from './admin.resource';

const when = (iso: string | null | undefined) => (iso ? `${dateText(iso)} ${timeText(iso)}` : '—');

/** Quarantined sync batches: what a peer sent that would delete or rewrite much of this node, held for a decision. */
export function Quarantine() {
  const q = useResource('quarantine', loadQuarantine);
  // Peers by node id, to name where a batch came from (the id alone when the status is unavailable).
  const peers = useResource('quarantine-peers', loadPeers);
  const peerName = (nodeId: string) => peers.data?.peers.find((p) => p.nodeId === nodeId)?.name ?? nodeId;
  const [busy, setBusy] = useState<string | undefined>();
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>();
  async function decide(id: string, d: 'approve' | 'reject') {
    if (d === 'approve' && !window.confirm('Apply this batch? Its deletions and rewrites will be stored on this node.')) return;
    setBusy(id + d);
    setMessage(undefined);
    try {
      await decideQuarantine(id, d);
      setMessage({ ok: true, text: d === 'approve' ? 'Batch approved and applied.' : 'Batch rejected: nothing from it was stored.' });
      q.reload();
    } catch (err) {
      setMessage({ ok: false, text: (err as Error).message });
    } finally {
      setBusy(undefined);
    }
  }
  return (
    <Stack>
      <Text size="sm">
        A batch from a peer that would delete or rewrite more than 5 % of this node&apos;s records within an hour is held here. Approve it only if you expected the change (e.g. a
        planned clean-up); reject it otherwise.
      </Text>
      {message && (
        <Alert color={message.ok ? 'teal' : 'red'} role={message.ok ? 'status' : 'alert'}>
          {message.text}
        </Alert>
      )}
      {q.status === 'loading' && <Loading what="quarantined batches" />}
      {q.status === 'error' && <ErrorState what="quarantined batches" error={q.error} retry={q.reload} />}
      {q.status === 'ready' &&
        (q.data.length === 0 ? (
          <Empty>Nothing held: no sync batch is waiting for a decision.</Empty>
        ) : (
          <Table striped aria-label="Quarantined sync batches">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Held</Table.Th>
                <Table.Th>From peer</Table.Th>
                <Table.Th>Revisions</Table.Th>
                <Table.Th>Deletes or rewrites</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Decision</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {q.data.map((b) => (
                <Table.Tr key={b.id}>
                  <Table.Td>{when(b.createdAt)}</Table.Td>
                  <Table.Td>
                    {peerName(b.peer)}
                    {!peerName(b.peer).includes(b.peer) && (
                      <Text size="xs" c="dimmed">
                        node {b.peer}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>{b.docs}</Table.Td>
                  <Table.Td>
                    {b.destructive} of the {b.resources} records on this node{b.resources > 0 ? ` (${Math.round((100 * b.destructive) / b.resources)} %)` : ''}
                  </Table.Td>
                  <Table.Td>
                    <Badge variant="light" color={b.status === 'pending' ? 'orange' : b.status === 'approved' ? 'teal' : 'gray'}>
                      {b.status}
                    </Badge>
                    {b.decidedAt && (
                      <Text size="xs" c="dimmed">
                        {when(b.decidedAt)}
                      </Text>
                    )}
                  </Table.Td>
                  <Table.Td>
                    {b.status === 'pending' && (
                      <Group gap="xs">
                        <Button size="compact-sm" color="red" variant="light" loading={busy === `${b.id}approve`} onClick={() => void decide(b.id, 'approve')} aria-label={`Approve batch from ${peerName(b.peer)}`}>
                          Approve
                        </Button>
                        <Button size="compact-sm" variant="default" loading={busy === `${b.id}reject`} onClick={() => void decide(b.id, 'reject')} aria-label={`Reject batch from ${peerName(b.peer)}`}>
                          Reject
                        </Button>
                      </Group>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        ))}
    </Stack>
  );
}

/** Downtime-kit settings: how often, where, whether every patient's lists go in, the passphrase; write one now. */
export function DowntimeKit() {
  const s = useResource('downtime-kit', loadKitSettings);
  const [everyMinutes, setEveryMinutes] = useState<number | string>(15);
  const [folders, setFolders] = useState('');
  const [allPatients, setAllPatients] = useState(false);
  const [passphrase, setPassphrase] = useState('');
  const [busy, setBusy] = useState<'save' | 'run' | undefined>();
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>();
  useEffect(() => {
    if (s.status !== 'ready') return;
    setEveryMinutes(s.data.everyMinutes);
    setFolders(s.data.folders.join('\n'));
    setAllPatients(s.data.allPatients);
  }, [s.status, s.data]);
  async function save(e: FormEvent) {
    e.preventDefault();
    setBusy('save');
    setMessage(undefined);
    try {
      await saveKitSettings({
        everyMinutes: Number(everyMinutes),
        folders: folders
          .split('\n')
          .map((f) => f.trim())
          .filter(Boolean),
        allPatients,
        ...(passphrase ? { passphrase } : {}),
      });
      setPassphrase('');
      setMessage({ ok: true, text: 'Settings saved. The running node uses them from now on.' });
      s.reload();
    } catch (err) {
      setMessage({ ok: false, text: `Not saved: ${(err as Error).message}` });
    } finally {
      setBusy(undefined);
    }
  }
  async function run() {
    setBusy('run');
    setMessage(undefined);
    try {
      const r = await runKitNow();
      const failed = r.failures.map((f) => ` NOT written to ${f.folder}: ${f.error}.`).join('');
      setMessage({ ok: r.failures.length === 0, text: `Kit written to ${r.files.join(', ') || 'no folder'} in ${(r.elapsedMs / 1000).toFixed(1)} s.${failed}` });
      s.reload();
    } catch (err) {
      setMessage({ ok: false, text: `Not written: ${(err as Error).message}` });
    } finally {
      setBusy(undefined);
    }
  }
  if (s.status === 'loading') return <Loading what="the downtime-kit settings" />;
  if (s.status === 'error') return <ErrorState what="the downtime-kit settings" error={s.error} retry={s.reload} />;
  const last = s.data.lastWritten;
  return (
    <form onSubmit={(e) => void save(e)} aria-label="Downtime-kit settings">
      <Stack maw={640}>
        <Text size="sm">
          The downtime kit is one encrypted file with today&apos;s and the next working day&apos;s schedule and a face sheet per scheduled patient, for when computers are down.
          It opens in any browser with the passphrase.
        </Text>
        <Text size="sm" data-testid="kit-last-written">
          {last
            ? `Last written ${when(last.at)} to ${last.folder}: ${(last.bytes / 1024).toFixed(0)} KiB, ${last.appointments} appointments, ${last.faceSheets} face sheets.`
            : 'No kit has been written yet.'}
        </Text>
        <NumberInput label="Write a new kit every (minutes)" min={5} max={1440} value={everyMinutes} onChange={setEveryMinutes} w={260} />
        <Textarea label="Folders (one absolute path per line)" description="Use folders on at least two machines or a USB drive; each must exist and be writable by the node." autosize minRows={2} value={folders} onChange={(e) => setFolders(e.currentTarget.value)} />
        <Checkbox label="Include every patient's medication and allergy lists (larger file)" checked={allPatients} onChange={(e) => setAllPatients(e.currentTarget.checked)} />
        <PasswordInput
          label={s.data.passphraseSet ? 'New passphrase (leave empty to keep the current one)' : 'Passphrase (at least 10 characters; not set yet)'}
          value={passphrase}
          onChange={(e) => setPassphrase(e.currentTarget.value)}
          autoComplete="new-password"
        />
        {message && (
          <Alert color={message.ok ? 'teal' : 'red'} role={message.ok ? 'status' : 'alert'}>
            {message.text}
          </Alert>
        )}
        <Group>
          <Button type="submit" loading={busy === 'save'}>
            Save settings
          </Button>
          <Button variant="light" onClick={() => void run()} loading={busy === 'run'}>
            Write a kit now
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
