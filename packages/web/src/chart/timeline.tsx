/** The chart's timeline: visits, notes, results, prescriptions and documents, newest first. */
import { Badge, Group, Stack, Text, Timeline } from '@mantine/core';
import { codeIn, conceptText, dateText, quantityText } from '../api/fhir-format';
import type { ChartData } from './chart.resource';
import { obsDate } from './chart.resource';
import { Empty } from '../shell/view-states';

interface Entry {
  date: string;
  kind: string;
  title: string;
  detail?: string;
  color: string;
}

function entries(chart: ChartData): Entry[] {
  const out: Entry[] = [];
  for (const e of chart.encounters) out.push({ date: e.period?.start ?? '', kind: 'Visit', title: e.type?.[0]?.text ?? conceptText(e.type?.[0]), detail: e.participant?.[0]?.individual?.display, color: 'blue' });
  for (const n of chart.notes) out.push({ date: n.date ?? '', kind: 'Note', title: n.type?.text ?? conceptText(n.type), detail: n.author?.[0]?.display, color: 'gray' });
  for (const d of [...chart.documents, ...chart.letters]) out.push({ date: d.date ?? '', kind: 'Document', title: d.description ?? conceptText(d.type), color: 'grape' });
  for (const m of chart.medications) out.push({ date: m.authoredOn ?? '', kind: 'Prescription', title: conceptText(m.medicationCodeableConcept), detail: m.dosageInstruction?.[0]?.text, color: 'teal' });
  // Lab results only (vitals are in the summary), abnormal ones called out.
  for (const o of chart.observations) {
    if (!o.category?.some((c) => codeIn(c) === 'laboratory')) continue;
    const flag = codeIn(o.interpretation?.[0]);
    out.push({ date: obsDate(o) ?? '', kind: flag && flag !== 'N' ? `Result (${conceptText(o.interpretation?.[0])})` : 'Result', title: conceptText(o.code), detail: quantityText(o.valueQuantity), color: flag && flag !== 'N' ? 'red' : 'cyan' });
  }
  return out.filter((e) => e.date).sort((a, b) => b.date.localeCompare(a.date));
}

/** The timeline view (the newest 60 entries). */
export function ChartTimeline({ chart }: { chart: ChartData }) {
  const list = entries(chart).slice(0, 60);
  if (list.length === 0) return <Empty>Nothing in this chart yet.</Empty>;
  return (
    <Timeline bulletSize={14} lineWidth={2} mt="sm" aria-label="Chart timeline">
      {list.map((e, i) => (
        <Timeline.Item key={i} color={e.color} title={<Group gap="xs"><Text fw={600} size="sm">{e.title}</Text><Badge size="xs" variant="light" color={e.color}>{e.kind}</Badge></Group>}>
          <Stack gap={0}>
            <Text size="xs" c="dimmed">
              {dateText(e.date)}
              {e.detail ? ` · ${e.detail}` : ''}
            </Text>
          </Stack>
        </Timeline.Item>
      ))}
    </Timeline>
  );
}
