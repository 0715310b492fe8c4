/** The results inbox: new results to review, abnormal ones flagged, acknowledged with one click. */
import { useState } from 'react';
import { Alert, Badge, Button, Stack, Table, Text, Title } from '@mantine/core';
import { dateText } from '../api/fhir-format';
import { useResource } from '../api/use-resource';
import { markChartRequested } from '../search/patient-search';
import { navigate } from '../shell/router';
import { Empty, ErrorState, Loading } from '../shell/view-states';
import { acknowledge, loadInbox } from './results-inbox.resource';

/** The results inbox screen. */
export function ResultsInboxPage() {
  const inbox = useResource('inbox', loadInbox);
  const [done, setDone] = useState<Set<string>>(new Set());
  const [error, setError] = useState<string | undefined>();
  async function ack(id: string) {
    setError(undefined);
    try {
      await acknowledge(id);
      setDone((d) => new Set(d).add(id));
    } catch (err) {
      setError((err as Error).message);
    }
  }
  const rows = inbox.data?.filter((r) => !done.has(r.id)) ?? [];
  return (
    <Stack>
      <Title order={1} size="h2">
        Results inbox
      </Title>
      {error && (
        <Alert color="red" role="alert" title="Not acknowledged">
          {error}
        </Alert>
      )}
      {inbox.status === 'loading' && <Loading what="results" />}
      {inbox.status === 'error' && <ErrorState what="the results inbox" error={inbox.error} retry={inbox.reload} />}
      {inbox.status === 'ready' &&
        (rows.length === 0 ? (
          <Empty>No results waiting for review.</Empty>
        ) : (
          <Table striped highlightOnHover aria-label="Results to review">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Patient</Table.Th>
                <Table.Th>Test</Table.Th>
                <Table.Th>Result</Table.Th>
                <Table.Th>Flag</Table.Th>
                <Table.Th>Range</Table.Th>
                <Table.Th>Date</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {rows.map((r) => (
                <Table.Tr key={r.id}>
                  <Table.Td>
                    {r.patientId ? (
                      <Button
                        variant="subtle"
                        size="compact-sm"
                        onClick={() => {
                          markChartRequested();
                          navigate(`/patients/${r.patientId ?? ''}/labs`);
                        }}
                      >
                        {r.patientName}
                      </Button>
                    ) : (
                      r.patientName
                    )}
                  </Table.Td>
                  <Table.Td>{r.test}</Table.Td>
                  <Table.Td className={r.flag && !/normal/i.test(r.flag) ? 'flag-abnormal' : undefined}>{r.value}</Table.Td>
                  <Table.Td>{r.flag && !/^n(ormal)?$/i.test(r.flag) ? <Badge color="red">{r.flag}</Badge> : <Text size="sm" c="dimmed">normal</Text>}</Table.Td>
                  <Table.Td>{r.range}</Table.Td>
                  <Table.Td>{dateText(r.date)}</Table.Td>
                  <Table.Td>
                    <Button size="compact-sm" onClick={() => void ack(r.id)} aria-label={`Acknowledge ${r.test} for ${r.patientName}`}>
                      Acknowledge
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        ))}
    </Stack>
  );
}
