/** The reconciliation inbox: each conflict's versions side by side, differences highlighted; keep one or merge field by field. */
import { useState } from 'react';
import { Alert, Badge, Button, Group, Paper, Radio, Stack, Table, Text, Title } from '@mantine/core';
import { dateText, timeText } from '../api/fhir-format';
import { useResource } from '../api/use-resource';
import { Empty, ErrorState, Loading } from '../shell/view-states';
import { flatten, loadConflicts, resolveConflict } from './conflicts.resource';
import type { Conflict } from './conflicts.resource';

function setPath(obj: Record<string, unknown>, path: string, json: string | undefined): void {
  const parts = path.match(/[^.[\]]+/g) ?? [];
  let cur: Record<string, unknown> | unknown[] = obj;
  for (let i = 0; i < parts.length - 1; i++) {
    const k = parts[i] ?? '';
    const nextIsIndex = /^\d+$/.test(parts[i + 1] ?? '');
    const c = cur as Record<string, unknown>;
    if (c[k] === undefined || c[k] === null || typeof c[k] !== 'object') c[k] = nextIsIndex ? [] : {};
    cur = c[k] as Record<string, unknown>;
  }
  const last = parts[parts.length - 1] ?? '';
  if (json === undefined) delete (cur as Record<string, unknown>)[last];
  else (cur as Record<string, unknown>)[last] = JSON.parse(json) as unknown;
}

function ConflictCard({ c, onResolved }: { c: Conflict; onResolved: () => void }) {
  const flats = c.leaves.map((l) => flatten(l.resource));
  const paths = [...new Set(flats.flatMap((f) => [...f.keys()]))].sort();
  const differing = paths.filter((p) => new Set(flats.map((f) => f.get(p))).size > 1);
  const winnerIdx = Math.max(0, c.leaves.findIndex((l) => l.rev === c.winner));
  const [pick, setPick] = useState<Record<string, number>>({});
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  async function run(choice: Parameters<typeof resolveConflict>[1]) {
    setBusy(true);
    setError(undefined);
    try {
      await resolveConflict(c, choice);
      onResolved();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }
  function merged(): Record<string, unknown> {
    const base = structuredClone(c.leaves[winnerIdx]?.resource ?? {});
    for (const p of differing) {
      const i = pick[p];
      if (i !== undefined && i !== winnerIdx) setPath(base, p, flats[i]?.get(p));
    }
    return base;
  }
  return (
    <Paper withBorder p="md" aria-label={`Conflict on ${c.type}/${c.id}`}>
      <Group justify="space-between">
        <Text fw={700}>
          {c.type}/{c.id}
        </Text>
        <Badge color="orange" variant="light">{differing.length} differing fields</Badge>
      </Group>
      <Table mt="sm" withColumnBorders aria-label={`Versions of ${c.type}/${c.id}`}>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Field</Table.Th>
            {c.leaves.map((l, i) => (
              <Table.Th key={l.rev}>
                {i === winnerIdx ? 'Current (winner)' : 'Other version'}
                <Text size="xs" c="dimmed">
                  {dateText(l.lastUpdated)} {timeText(l.lastUpdated)}
                </Text>
              </Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {differing.map((p) => (
            <Table.Tr key={p}>
              <Table.Td>
                <code>{p}</code>
              </Table.Td>
              {flats.map((f, i) => (
                <Table.Td key={i} className="diff-cell">
                  <Radio
                    name={`${c.type}-${c.id}-${p}`}
                    checked={(pick[p] ?? winnerIdx) === i}
                    onChange={() => setPick((x) => ({ ...x, [p]: i }))}
                    label={f.get(p) ?? '(absent)'}
                    aria-label={`Use ${f.get(p) ?? 'absent'} for ${p}`}
                  />
                </Table.Td>
              ))}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {error && (
        <Alert color="red" role="alert" mt="xs" title="Not resolved">
          {error}
        </Alert>
      )}
      <Group mt="sm" gap="xs">
        {c.leaves.map((l, i) => (
          <Button key={l.rev} variant={i === winnerIdx ? 'filled' : 'light'} loading={busy} onClick={() => void run({ rev: l.rev })}>
            Keep {i === winnerIdx ? 'current' : `version ${i + 1}`}
          </Button>
        ))}
        <Button variant="default" loading={busy} onClick={() => void run({ resource: merged() })} disabled={Object.keys(pick).length === 0}>
          Save merge of chosen fields
        </Button>
      </Group>
    </Paper>
  );
}

/** The reconciliation inbox screen. */
export function ConflictsPage() {
  const list = useResource('conflicts', loadConflicts);
  return (
    <Stack>
      <Title order={1} size="h2">
        Reconciliation inbox
      </Title>
      <Text size="sm" c="dimmed">
        Records changed in two places while the nodes could not talk. Compare the versions, then keep one or merge.
      </Text>
      {list.status === 'loading' && <Loading what="conflicts" />}
      {list.status === 'error' && <ErrorState what="the reconciliation inbox" error={list.error} retry={list.reload} />}
      {list.status === 'ready' && (list.data.length === 0 ? <Empty>No conflicts: every record agrees.</Empty> : list.data.map((c) => <ConflictCard key={`${c.type}/${c.id}`} c={c} onResolved={list.reload} />))}
    </Stack>
  );
}
