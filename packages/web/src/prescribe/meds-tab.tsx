/** The medications tab: active and past prescriptions, and the prescribe dialog. */
import { useState } from 'react';
import { Alert, Badge, Button, Group, Stack, Table } from '@mantine/core';
import { conceptText, dateText } from '../api/fhir-format';
import type { ChartData } from '../chart/chart.resource';
import { useUser } from '../login/session.resource';
import { Empty } from '../shell/view-states';
import { PrescribeDialog } from './prescribe-dialog';

/** The medications tab. */
export function MedsTab({ chart, onChanged }: { chart: ChartData; onChanged: () => void }) {
  const user = useUser();
  const [open, setOpen] = useState(false);
  const [done, setDone] = useState(false);
  const canPrescribe = user.role === 'clinician' || user.role === 'admin';
  return (
    <Stack gap="sm">
      {canPrescribe && (
        <Group>
          <Button onClick={() => (setOpen(true), setDone(false))}>Prescribe</Button>
        </Group>
      )}
      {done && (
        <Alert color="teal" role="status">
          Prescription saved.
        </Alert>
      )}
      {chart.medications.length === 0 ? (
        <Empty>No prescriptions.</Empty>
      ) : (
        <Table striped aria-label="Medications">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Medication</Table.Th>
              <Table.Th>Directions</Table.Th>
              <Table.Th>Since</Table.Th>
              <Table.Th>Prescriber</Table.Th>
              <Table.Th>Status</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {chart.medications.map((m) => (
              <Table.Tr key={m.id}>
                <Table.Td fw={600}>{conceptText(m.medicationCodeableConcept)}</Table.Td>
                <Table.Td>{m.dosageInstruction?.[0]?.text}</Table.Td>
                <Table.Td>{dateText(m.authoredOn)}</Table.Td>
                <Table.Td>{m.requester?.display}</Table.Td>
                <Table.Td>
                  <Badge color={m.status === 'active' ? 'teal' : 'gray'} variant="light" style={{ overflow: 'visible', maxWidth: 'none' }}>
                    {m.status}
                  </Badge>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      {open && (
        <PrescribeDialog
          chart={chart}
          onClose={() => setOpen(false)}
          onDone={() => {
            setOpen(false);
            setDone(true);
            onChanged();
          }}
        />
      )}
    </Stack>
  );
}
