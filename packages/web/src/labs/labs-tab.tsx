/** The chart's labs: latest result per analyte with flag and range; a trend plot for the chosen one. */
import { useState } from 'react';
import { Badge, Button, Stack, Table, Text } from '@mantine/core';
import { conceptText, dateText, quantityText } from '../api/fhir-format';
import type { ChartData } from '../chart/chart.resource';
import { obsDate } from '../chart/chart.resource';
import { Empty } from '../shell/view-states';
import { abnormalFlag, labSeries, rangeText } from './lab-rows';
import { LabTrend } from './lab-trend';

/** The labs tab. */
export function LabsTab({ chart }: { chart: ChartData }) {
  const series = labSeries(chart.observations);
  const withHistory = series.find((s) => s.results.length > 2);
  const [chosen, setChosen] = useState<string | undefined>(withHistory?.code);
  const current = series.find((s) => s.code === chosen);
  if (series.length === 0) return <Empty>No lab results.</Empty>;
  return (
    <Stack>
      {current && <LabTrend series={current} />}
      <Table striped highlightOnHover aria-label="Latest lab results">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Test</Table.Th>
            <Table.Th>Result</Table.Th>
            <Table.Th>Flag</Table.Th>
            <Table.Th>Reference range</Table.Th>
            <Table.Th>Date</Table.Th>
            <Table.Th>History</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {series.map((s) => {
            const flag = abnormalFlag(s.latest);
            return (
              <Table.Tr key={s.code} aria-selected={s.code === chosen}>
                <Table.Td>
                  <Text size="sm" fw={600}>
                    {s.name}
                  </Text>
                  <Text size="xs" c="dimmed">
                    LOINC {s.code}
                  </Text>
                </Table.Td>
                <Table.Td className={flag ? 'flag-abnormal' : undefined}>{quantityText(s.latest.valueQuantity)}</Table.Td>
                <Table.Td>{flag ? <Badge color="red" style={{ flexShrink: 0, maxWidth: 'none' }}>{conceptText(s.latest.interpretation?.[0]) || flag}</Badge> : <Text size="sm" c="dimmed">normal</Text>}</Table.Td>
                <Table.Td>{rangeText(s.latest.referenceRange?.[0])}</Table.Td>
                <Table.Td>{dateText(obsDate(s.latest))}</Table.Td>
                <Table.Td>
                  <Button size="compact-xs" variant={s.code === chosen ? 'filled' : 'light'} onClick={() => setChosen(s.code)} aria-label={`Trend (${s.results.length}) of ${s.name}`}>
                    Trend ({s.results.length})
                  </Button>
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}
