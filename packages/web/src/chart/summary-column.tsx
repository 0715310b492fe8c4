/**
 * The summary column: allergies first and impossible to miss, then alerts, problems, active
 * medications, latest vitals, recent abnormal results — all from the chart summary API, so it
 * shows before the rest of the chart has loaded.
 */
import { Anchor, Badge, Card, Group, List, Stack, Text, Title } from '@mantine/core';
import { conceptText, dateText } from '../api/fhir-format';
import { navigate } from '../shell/router';
import type { SummaryObservation, SummaryView } from './chart.resource';

function Allergies({ view }: { view: SummaryView }) {
  const allergies = [...view.summary.allergies].sort((a, b) => (a.criticality === 'high' ? 0 : 1) - (b.criticality === 'high' ? 0 : 1));
  if (allergies.length === 0) {
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
        Allergies ({allergies.length})
      </Title>
      <List spacing={4} mt={4}>
        {allergies.map((a) => (
          <List.Item key={a.id}>
            <Text fw={700} span>
              {a.substance ?? a.code ?? 'Unnamed substance'}
            </Text>
            {a.criticality === 'high' && (
              <Badge color="red" size="sm" ml={6}>
                high risk
              </Badge>
            )}
            {a.reactions.length > 0 && (
              <Text size="sm" span>
                {' '}
                {a.reactions.join(', ')}
              </Text>
            )}
          </List.Item>
        ))}
      </List>
    </section>
  );
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

/** "120/80 mmHg", "72 /min", "6.1 mmol/L". */
export function observationText(o: SummaryObservation): string {
  if (o.components?.length && o.code === '85354-9') {
    const sys = o.components.find((c) => c.code === '8480-6')?.value;
    const dia = o.components.find((c) => c.code === '8462-4')?.value;
    return `${sys ?? '?'}/${dia ?? '?'} mmHg`;
  }
  if (o.components?.length && o.value === undefined) return o.components.map((c) => `${c.value ?? '?'}${c.unit ? ` ${c.unit}` : ''}`).join(' / ');
  return o.value === undefined ? '' : `${o.value}${o.unit ? ` ${o.unit}` : ''}`;
}

function Alerts({ view }: { view: SummaryView }) {
  const { flags, flagsError, summary } = view;
  if (flags.length === 0 && !flagsError && summary.conflicts.length === 0) return null;
  return (
    <Card withBorder padding="sm" aria-labelledby="alerts-title">
      <Title order={2} size="h5" id="alerts-title">
        Alerts
      </Title>
      <Stack gap={4} mt={4}>
        {flags.map((f) => (
          <Text key={f.id} size="sm" fw={600} c="orange.9">
            {conceptText(f.code)}
          </Text>
        ))}
        {flagsError && (
          <Text size="sm" c="red.9" role="alert">
            Flags could not be read: {flagsError}
          </Text>
        )}
        {summary.conflicts.length > 0 && (
          <Text size="sm" c="red.9">
            {summary.conflicts.length === 1 ? '1 record of this chart is' : `${summary.conflicts.length} records of this chart are`} in sync conflict.{' '}
            <Anchor size="sm" href="/conflicts" onClick={(e) => (e.preventDefault(), navigate('/conflicts'))}>
              Resolve in Reconciliation
            </Anchor>
          </Text>
        )}
      </Stack>
    </Card>
  );
}

/** The summary column of the chart. */
export function SummaryColumn({ view }: { view: SummaryView }) {
  const s = view.summary;
  return (
    <aside className="summary-col" aria-label="Chart summary" data-testid="chart-summary">
      <Allergies view={view} />
      <Alerts view={view} />
      <Card withBorder padding="sm">
        <Title order={2} size="h5">
          Problems
        </Title>
        {s.problems.length === 0 ? (
          <Text size="sm" c="dimmed">
            No active problems recorded.
          </Text>
        ) : (
          <List size="sm" spacing={2} mt={4}>
            {s.problems.map((p) => (
              <List.Item key={p.id}>
                {p.display ?? p.code}{' '}
                <Text span size="xs" c="dimmed">
                  {p.code}
                  {p.onset ? ` · since ${dateText(p.onset)}` : ''}
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
        {s.medications.length === 0 ? (
          <Text size="sm" c="dimmed">
            No active medications.
          </Text>
        ) : (
          <List size="sm" spacing={2} mt={4}>
            {s.medications.map((m) => (
              <List.Item key={m.id}>
                <Text span size="sm" fw={600}>
                  {m.name ?? m.rxnorm ?? 'Unnamed medication'}
                </Text>
                <Text size="xs" c="dimmed">
                  {m.dosage}
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
        {s.vitals.length === 0 ? (
          <Text size="sm" c="dimmed">
            No vitals recorded.
          </Text>
        ) : (
          <Stack gap={2} mt={4}>
            {s.vitals.map((o) => (
              <Group key={o.id} justify="space-between" gap="xs" wrap="nowrap">
                <Text size="sm">{VITAL_NAMES[o.code ?? ''] ?? o.display ?? o.code}</Text>
                <Text size="sm" fw={600}>
                  {observationText(o)}{' '}
                  <Text span size="xs" c="dimmed" fw={400}>
                    {dateText(o.effective)}
                  </Text>
                </Text>
              </Group>
            ))}
          </Stack>
        )}
      </Card>
      {s.abnormalLabs.length > 0 && (
        <Card withBorder padding="sm">
          <Title order={2} size="h5">
            Recent abnormal results
          </Title>
          <Stack gap={2} mt={4}>
            {s.abnormalLabs.map((o) => (
              <Group key={o.id} justify="space-between" gap="xs" wrap="nowrap">
                <Text size="sm">{o.display ?? o.code}</Text>
                <Text size="sm" fw={600} c="red.9" style={{ whiteSpace: 'nowrap' }}>
                  {observationText(o)} {o.interpretation ? `(${o.interpretation})` : ''}{' '}
                  <Text span size="xs" c="dimmed" fw={400}>
                    {dateText(o.effective)}
                  </Text>
                </Text>
              </Group>
            ))}
          </Stack>
        </Card>
      )}
    </aside>
  );
}
