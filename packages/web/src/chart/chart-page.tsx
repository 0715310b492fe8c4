/**
 * The chart: patient header, summary column beside the timeline and tabs for notes, meds, labs,
 * documents, letters, messages, appointments. The header and summary come first from the small
 * summary API; the whole chart (`$everything`, for the timeline and tabs) loads after, and the
 * heavier tabs are separate code chunks fetched when the chart is idle.
 */
import { Suspense, lazy, useCallback, useEffect, useRef } from 'react';
import { Badge, Button, Group, Paper, Stack, Tabs, Text, Title } from '@mantine/core';
import { dateText } from '../api/fhir-format';
import { useResource } from '../api/use-resource';
import { useUser } from '../login/session.resource';
import { navigate } from '../shell/router';
import { ErrorState, Loading } from '../shell/view-states';
import { loadChart, loadSummary } from './chart.resource';
import type { ChartData, SummaryView } from './chart.resource';
import { AppointmentsTab, MessagesTab } from './simple-tabs';
import { SummaryColumn } from './summary-column';
import { ChartTimeline } from './timeline';

const importNotes = () => import('../notes/notes-tab');
const importMeds = () => import('../prescribe/meds-tab');
const importLabs = () => import('../labs/labs-tab');
const importDocuments = () => import('../documents/documents-tab');
const importLetters = () => import('../letters/letters-tab');
const NotesTab = lazy(() => importNotes().then((m) => ({ default: m.NotesTab })));
const MedsTab = lazy(() => importMeds().then((m) => ({ default: m.MedsTab })));
const LabsTab = lazy(() => importLabs().then((m) => ({ default: m.LabsTab })));
const DocumentsTab = lazy(() => importDocuments().then((m) => ({ default: m.DocumentsTab })));
const LettersTab = lazy(() => importLetters().then((m) => ({ default: m.LettersTab })));

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

function Header({ view, onReload }: { view: SummaryView; onReload: () => void }) {
  const user = useUser();
  const p = view.summary.patient;
  const cov = view.summary.coverage;
  const canWrite = user.role === 'clinician' || user.role === 'admin';
  const line = [p.age !== undefined ? `${p.age} y` : undefined, p.gender ? p.gender[0]?.toUpperCase() : undefined, p.birthDate ? `born ${dateText(p.birthDate)}` : undefined, p.mrn ? `MRN ${p.mrn}` : undefined, p.phone].filter(Boolean).join(' · ');
  return (
    <Paper withBorder p="md">
      <Group justify="space-between" align="flex-start">
        <div>
          <Title order={1} size="h2" data-testid="patient-name">
            {p.name}
          </Title>
          <Text size="sm" c="dimmed">
            {line}
          </Text>
          <Group gap="xs" mt={4}>
            {p.language && !/^(en|english)$/i.test(p.language) && <Badge variant="light">Speaks {p.language}</Badge>}
            {cov && (
              <Badge variant="outline" color="gray">
                {[cov.payor, cov.plan].filter(Boolean).join(' · ') || 'Insured'}
                {cov.copay !== null ? ` · copay ${cov.copay}` : ''}
              </Badge>
            )}
            {view.summary.balance > 0 && (
              <Badge variant="light" color="orange">
                Balance {view.summary.balance.toFixed(2)}
              </Badge>
            )}
          </Group>
        </div>
        <Group gap="xs">
          {canWrite && <Button onClick={() => navigate(`/patients/${encodeURIComponent(p.id)}/notes`)}>Notes</Button>}
          {canWrite && (
            <Button variant="light" onClick={() => navigate(`/patients/${encodeURIComponent(p.id)}/meds`)}>
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

/** A tab's content once the whole chart is there (loading and error states until then). */
function WithChart({ chart, children }: { chart: ReturnType<typeof useResource<ChartData>>; children: (c: ChartData) => React.ReactNode }) {
  if (chart.status === 'loading') return <Loading what="the rest of the chart" />;
  if (chart.status === 'error') return <ErrorState what="the rest of the chart" error={chart.error} retry={chart.reload} />;
  return <Suspense fallback={<Loading what="this tab" />}>{children(chart.data)}</Suspense>;
}

/** The chart screen (mount it with `key={patientId}`, so a new patient starts from a clean state). */
export function ChartPage({ patientId, tab }: { patientId: string; tab?: string }) {
  const summary = useResource(patientId, (signal) => loadSummary(patientId, signal));
  // The whole chart only once the summary is on screen: the summary is what the clinician reads first.
  const chart = useResource(summary.status === 'ready' ? patientId : null, (signal) => loadChart(patientId, signal));
  const { reload: reloadSummary } = summary;
  const { reload: reloadChart } = chart;
  const reload = useCallback(() => {
    reloadSummary();
    reloadChart();
  }, [reloadSummary, reloadChart]);
  useChartOpenTiming(summary.status === 'ready', patientId);
  const chartReady = chart.status === 'ready';
  useEffect(() => {
    // Fetch the heavier tabs' code while the clinician reads the summary.
    if (chartReady) for (const load of [importNotes, importMeds, importLabs, importDocuments, importLetters]) void load();
  }, [chartReady]);
  const current: Tab = (TABS as readonly string[]).includes(tab ?? '') ? (tab as Tab) : 'timeline';
  if (summary.status === 'loading') return <Loading what="the chart" />;
  if (summary.status === 'error') return <ErrorState what="the chart" error={summary.error} retry={summary.reload} />;
  const c = chart.data;
  return (
    <Stack gap="md">
      <Header view={summary.data} onReload={reload} />
      <div className="chart-grid">
        <SummaryColumn view={summary.data} />
        <Paper withBorder p="md">
          <Tabs value={current} onChange={(v) => navigate(`/patients/${encodeURIComponent(patientId)}${v && v !== 'timeline' ? `/${v}` : ''}`)} keepMounted={false}>
            <Tabs.List>
              {TABS.map((t) => (
                <Tabs.Tab key={t} value={t}>
                  {LABEL[t]}
                  {t === 'notes' && c?.notes.length ? ` (${c.notes.length})` : ''}
                  {t === 'documents' && c?.documents.length ? ` (${c.documents.length})` : ''}
                </Tabs.Tab>
              ))}
            </Tabs.List>
            <Tabs.Panel value="timeline">
              <WithChart chart={chart}>{(d) => <ChartTimeline chart={d} />}</WithChart>
            </Tabs.Panel>
            <Tabs.Panel value="notes" pt="sm">
              <WithChart chart={chart}>{(d) => <NotesTab chart={d} onChanged={reload} />}</WithChart>
            </Tabs.Panel>
            <Tabs.Panel value="meds" pt="sm">
              <WithChart chart={chart}>{(d) => <MedsTab chart={d} onChanged={reload} />}</WithChart>
            </Tabs.Panel>
            <Tabs.Panel value="labs" pt="sm">
              <WithChart chart={chart}>{(d) => <LabsTab chart={d} />}</WithChart>
            </Tabs.Panel>
            <Tabs.Panel value="documents" pt="sm">
              <WithChart chart={chart}>{(d) => <DocumentsTab chart={d} onChanged={reload} />}</WithChart>
            </Tabs.Panel>
            <Tabs.Panel value="letters" pt="sm">
              <Suspense fallback={<Loading what="letters" />}>
                <LettersTab patientId={patientId} />
              </Suspense>
            </Tabs.Panel>
            <Tabs.Panel value="messages" pt="sm">
              <WithChart chart={chart}>{(d) => <MessagesTab chart={d} />}</WithChart>
            </Tabs.Panel>
            <Tabs.Panel value="appointments" pt="sm">
              <WithChart chart={chart}>{(d) => <AppointmentsTab chart={d} />}</WithChart>
            </Tabs.Panel>
          </Tabs>
        </Paper>
      </div>
    </Stack>
  );
}
