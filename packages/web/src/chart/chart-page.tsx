/** The chart: patient header, summary column beside the timeline and tabs for notes, meds, labs, documents, letters, messages, appointments. */
import { useEffect, useRef, useState } from 'react';
import { Badge, Button, Group, Paper, Stack, Tabs, Text, Title } from '@mantine/core';
import { conceptText, nameOf, patientLine } from '../api/fhir-format';
import { useResource } from '../api/use-resource';
import { DocumentsTab } from '../documents/documents-tab';
import { LabsTab } from '../labs/labs-tab';
import { useUser } from '../login/session.resource';
import { NotesTab } from '../notes/notes-tab';
import { MedsTab } from '../prescribe/meds-tab';
import { navigate } from '../shell/router';
import { ErrorState, Loading } from '../shell/view-states';
import { loadAlerts, loadChart } from './chart.resource';
import type { ChartData } from './chart.resource';
import { AppointmentsTab, LettersTab, MessagesTab } from './simple-tabs';
import { SummaryColumn } from './summary-column';
import { ChartTimeline } from './timeline';

const TABS = ['timeline', 'notes', 'meds', 'labs', 'documents', 'letters', 'messages', 'appointments'] as const;
type Tab = (typeof TABS)[number];
const LABEL: Record<Tab, string> = { timeline: 'Timeline', notes: 'Notes', meds: 'Medications', labs: 'Labs', documents: 'Documents', letters: 'Letters', messages: 'Messages', appointments: 'Appointments' };

/** Records how long the chart took to show after it was asked for (search click → summary visible). */
function useChartOpenTiming(ready: boolean, patientId: string): void {
  const done = useRef<string | undefined>(undefined);
  useEffect(() => {
    if (!ready || done.current === patientId) return;
    done.current = patientId;
    requestAnimationFrame(() => {
      if (performance.getEntriesByName('chart-requested').length === 0) return;
      const m = performance.measure('chart-open', 'chart-requested');
      performance.clearMarks('chart-requested');
      document.body.dataset.chartOpenMs = m.duration.toFixed(1);
    });
  }, [ready, patientId]);
}

function Header({ chart, onReload }: { chart: ChartData; onReload: () => void }) {
  const user = useUser();
  const p = chart.patient;
  const lang = p.communication?.[0]?.language;
  const canWrite = user.role === 'clinician' || user.role === 'admin';
  return (
    <Paper withBorder p="md">
      <Group justify="space-between" align="flex-start">
        <div>
          <Title order={1} size="h2" data-testid="patient-name">
            {nameOf(p.name)}
          </Title>
          <Text size="sm" c="dimmed">
            {patientLine(p)}
          </Text>
          <Group gap="xs" mt={4}>
            {lang && conceptText(lang) !== 'English' && <Badge variant="light">Speaks {conceptText(lang)}</Badge>}
            {p.generalPractitioner?.[0]?.display && <Badge variant="outline" color="gray">GP: {p.generalPractitioner[0].display}</Badge>}
          </Group>
        </div>
        <Group gap="xs">
          {canWrite && <Button onClick={() => navigate(`/patients/${p.id ?? ''}/notes`)}>Notes</Button>}
          {canWrite && (
            <Button variant="light" onClick={() => navigate(`/patients/${p.id ?? ''}/meds`)}>
              Medications
            </Button>
          )}
          <Button variant="default" onClick={onReload}>
            Refresh
          </Button>
        </Group>
      </Group>
    </Paper>
  );
}

/** The chart screen. */
export function ChartPage({ patientId, tab }: { patientId: string; tab?: string }) {
  const chart = useResource(patientId, (signal) => loadChart(patientId, signal));
  const [alerts, setAlerts] = useState<Awaited<ReturnType<typeof loadAlerts>>>();
  useEffect(() => {
    const ctl = new AbortController();
    void loadAlerts(patientId, ctl.signal).then(setAlerts);
    return () => ctl.abort();
  }, [patientId]);
  useChartOpenTiming(chart.status === 'ready', patientId);
  const current: Tab = (TABS as readonly string[]).includes(tab ?? '') ? (tab as Tab) : 'timeline';
  if (chart.status === 'loading') return <Loading what="the chart" />;
  if (chart.status === 'error') return <ErrorState what="the chart" error={chart.error} retry={chart.reload} />;
  const c = chart.data;
  return (
    <Stack gap="md">
      <Header chart={c} onReload={chart.reload} />
      <div className="chart-grid">
        <SummaryColumn chart={c} alerts={alerts} />
        <Paper withBorder p="md">
          <Tabs value={current} onChange={(v) => navigate(`/patients/${encodeURIComponent(patientId)}${v && v !== 'timeline' ? `/${v}` : ''}`)} keepMounted={false}>
            <Tabs.List>
              {TABS.map((t) => (
                <Tabs.Tab key={t} value={t}>
                  {LABEL[t]}
                  {t === 'notes' && c.notes.length ? ` (${c.notes.length})` : ''}
                  {t === 'documents' && c.documents.length ? ` (${c.documents.length})` : ''}
                </Tabs.Tab>
              ))}
            </Tabs.List>
            <Tabs.Panel value="timeline">
              <ChartTimeline chart={c} />
            </Tabs.Panel>
            <Tabs.Panel value="notes" pt="sm">
              <NotesTab chart={c} onChanged={chart.reload} />
            </Tabs.Panel>
            <Tabs.Panel value="meds" pt="sm">
              <MedsTab chart={c} onChanged={chart.reload} />
            </Tabs.Panel>
            <Tabs.Panel value="labs" pt="sm">
              <LabsTab chart={c} />
            </Tabs.Panel>
            <Tabs.Panel value="documents" pt="sm">
              <DocumentsTab chart={c} onChanged={chart.reload} />
            </Tabs.Panel>
            <Tabs.Panel value="letters" pt="sm">
              <LettersTab chart={c} />
            </Tabs.Panel>
            <Tabs.Panel value="messages" pt="sm">
              <MessagesTab chart={c} />
            </Tabs.Panel>
            <Tabs.Panel value="appointments" pt="sm">
              <AppointmentsTab chart={c} />
            </Tabs.Panel>
          </Tabs>
        </Paper>
      </div>
    </Stack>
  );
}
