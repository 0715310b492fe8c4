/** The summary column: allergies first and impossible to miss, then alerts, problems, active medications, latest vitals. */
import { Badge, Card, Group, List, Stack, Text, Title } from '@mantine/core';
import { codeIn, conceptText, dateText, quantityText } from '../api/fhir-format';
import type { Observation } from '../api/fhir-types';
import type { ChartAlert, ChartData } from './chart.resource';
import { obsDate } from './chart.resource';

function Allergies({ chart }: { chart: ChartData }) {
  if (chart.allergies.length === 0) {
    return (
      <section className="nka" aria-labelledby="allergies-title">
        <Title order={2} size="h5" id="allergies-title">
          Allergies
        </Title>
        <Text size="sm">No allergies recorded. Ask the patient before prescribing.</Text>
      </section>
    );
  }
  return (
    <section className="allergy-banner" aria-labelledby="allergies-title" data-testid="allergies">
      <Title order={2} size="h4" id="allergies-title">
        Allergies ({chart.allergies.length})
      </Title>
      <List spacing={4} mt={4}>
        {chart.allergies.map((a) => (
          <List.Item key={a.id}>
            <Text fw={700} span>
              {conceptText(a.code)}
            </Text>
            {a.criticality === 'high' && (
              <Badge color="red" size="sm" ml={6}>
                high risk
              </Badge>
            )}
            <Text size="sm" span>
              {' '}
              {a.reaction
                ?.flatMap((r) => r.manifestation ?? [])
                .map(conceptText)
                .filter(Boolean)
                .join(', ')}
              {a.reaction?.[0]?.severity ? ` (${a.reaction[0].severity})` : ''}
            </Text>
          </List.Item>
        ))}
      </List>
    </section>
  );
}

function vitalText(o: Observation): string {
  if (o.component?.length && codeIn(o.code) === '85354-9') {
    const sys = o.component.find((c) => codeIn(c.code) === '8480-6')?.valueQuantity?.value;
    const dia = o.component.find((c) => codeIn(c.code) === '8462-4')?.valueQuantity?.value;
    return `${sys ?? '?'}/${dia ?? '?'} mmHg`;
  }
  return quantityText(o.valueQuantity) || o.valueString || conceptText(o.valueCodeableConcept);
}

const VITAL_NAMES: Record<string, string> = {
  '85354-9': 'Blood pressure',
  '8867-4': 'Heart rate',
  '29463-7': 'Weight',
  '39156-5': 'BMI',
  '8310-5': 'Temperature',
  '2708-6': 'SpO₂',
  '59408-5': 'SpO₂',
  '8302-2': 'Height',
  '9279-1': 'Respiratory rate',
};

/** Latest vital per code. */
export function latestVitals(chart: ChartData): Observation[] {
  const seen = new Map<string, Observation>();
  for (const o of chart.observations) {
    if (!o.category?.some((c) => codeIn(c) === 'vital-signs')) continue;
    const code = codeIn(o.code) ?? '';
    if (!seen.has(code)) seen.set(code, o);
  }
  return [...seen.values()];
}

/** The summary column of the chart. */
export function SummaryColumn({ chart, alerts }: { chart: ChartData; alerts: ChartAlert[] | undefined }) {
  const problems = chart.problems.filter((p) => ['active', 'recurrence', 'relapse', undefined].includes(codeIn(p.clinicalStatus)));
  const meds = chart.medications.filter((m) => m.status === 'active' || m.status === 'on-hold');
  const vitals = latestVitals(chart);
  return (
    <aside className="summary-col" aria-label="Chart summary" data-testid="chart-summary">
      <Allergies chart={chart} />
      {(chart.flags.length > 0 || (alerts && alerts.length > 0)) && (
        <Card withBorder padding="sm" aria-labelledby="alerts-title">
          <Title order={2} size="h5" id="alerts-title">
            Alerts
          </Title>
          <Stack gap={4} mt={4}>
            {chart.flags.map((f) => (
              <Text key={f.id} size="sm" fw={600} c="orange.9">
                {conceptText(f.code)}
              </Text>
            ))}
            {alerts?.map((a, i) => (
              <Text key={i} size="sm" c={a.severity === 'high' ? 'red.9' : a.severity === 'moderate' ? 'orange.9' : undefined}>
                {a.text}
              </Text>
            ))}
          </Stack>
        </Card>
      )}
      <Card withBorder padding="sm">
        <Title order={2} size="h5">
          Problems
        </Title>
        {problems.length === 0 ? (
          <Text size="sm" c="dimmed">
            No active problems recorded.
          </Text>
        ) : (
          <List size="sm" spacing={2} mt={4}>
            {problems.map((p) => (
              <List.Item key={p.id}>
                {conceptText(p.code)}{' '}
                <Text span size="xs" c="dimmed">
                  {codeIn(p.code)}
                  {p.onsetDateTime ? ` · since ${dateText(p.onsetDateTime)}` : ''}
                </Text>
              </List.Item>
            ))}
          </List>
        )}
      </Card>
      <Card withBorder padding="sm">
        <Title order={2} size="h5">
          Active medications
        </Title>
        {meds.length === 0 ? (
          <Text size="sm" c="dimmed">
            No active medications.
          </Text>
        ) : (
          <List size="sm" spacing={2} mt={4}>
            {meds.map((m) => (
              <List.Item key={m.id}>
                <Text span size="sm" fw={600}>
                  {conceptText(m.medicationCodeableConcept)}
                </Text>
                <Text size="xs" c="dimmed">
                  {m.dosageInstruction?.[0]?.text}
                </Text>
              </List.Item>
            ))}
          </List>
        )}
      </Card>
      <Card withBorder padding="sm">
        <Title order={2} size="h5">
          Latest vitals
        </Title>
        {vitals.length === 0 ? (
          <Text size="sm" c="dimmed">
            No vitals recorded.
          </Text>
        ) : (
          <Stack gap={2} mt={4}>
            {vitals.map((o) => (
              <Group key={o.id} justify="space-between" gap="xs" wrap="nowrap">
                <Text size="sm">{VITAL_NAMES[codeIn(o.code) ?? ''] ?? conceptText(o.code)}</Text>
                <Text size="sm" fw={600}>
                  {vitalText(o)}{' '}
                  <Text span size="xs" c="dimmed" fw={400}>
                    {dateText(obsDate(o))}
                  </Text>
                </Text>
              </Group>
            ))}
          </Stack>
        )}
      </Card>
    </aside>
  );
}
