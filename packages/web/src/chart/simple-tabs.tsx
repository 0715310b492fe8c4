/** Chart tabs that are plain lists: messages, appointments. */
import { Badge, Table } from '@mantine/core';
import { dateText, timeText } from '../api/fhir-format';
import { Empty } from '../shell/view-states';
import type { ChartData } from './chart.resource';

/** Messages about the patient. */
export function MessagesTab({ chart }: { chart: ChartData }) {
  if (chart.messages.length === 0) return <Empty>No messages.</Empty>;
  return (
    <Table striped>
      <Table.Tbody>
        {chart.messages.map((m) => (
          <Table.Tr key={m.id}>
            <Table.Td>{dateText(m.sent)}</Table.Td>
            <Table.Td>{m.sender?.display}</Table.Td>
            <Table.Td>{m.payload?.map((p) => p.contentString).join(' ')}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

/** Past and coming appointments. */
export function AppointmentsTab({ chart }: { chart: ChartData }) {
  if (chart.appointments.length === 0) return <Empty>No appointments.</Empty>;
  return (
    <Table striped>
      <Table.Thead>
        <Table.Tr>
          <Table.Th>When</Table.Th>
          <Table.Th>What</Table.Th>
          <Table.Th>With</Table.Th>
          <Table.Th>Status</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {chart.appointments.map((a) => (
          <Table.Tr key={a.id}>
            <Table.Td>
              {dateText(a.start)} {timeText(a.start)}
            </Table.Td>
            <Table.Td>{a.serviceType?.[0]?.text ?? a.description}</Table.Td>
            <Table.Td>{a.participant?.find((p) => p.actor?.reference?.startsWith('Practitioner/'))?.actor?.display}</Table.Td>
            <Table.Td>
              <Badge variant="light" color="gray">
                {a.status}
              </Badge>
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
