/**
 * The prescribe dialog: drug search, sig builder, interaction and allergy alerts inline with
 * severity, explanation and source; overriding a contraindication needs a reason; a loud banner
 * when checking is unavailable.
 */
import { useEffect, useMemo, useState } from 'react';
import { Alert, Badge, Button, Checkbox, Group, Modal, NumberInput, Paper, Select, Stack, Text, TextInput, Textarea } from '@mantine/core';
import { nameOf } from '../api/fhir-format';
import type { MedicationRequest } from '../api/fhir-types';
import type { ChartData } from '../chart/chart.resource';
import { checkMedication, prescribe, RXNORM, searchDrugs } from './prescribe.resource';
import type { Drug, MedAlert } from './prescribe.resource';
import { FREQUENCIES, ROUTES, sigDosage, sigText } from './sig';
import type { Sig } from './sig';

const SEVERITY_COLOR: Record<MedAlert['severity'], string> = { contraindicated: 'red', major: 'orange', moderate: 'yellow', minor: 'blue', info: 'gray' };

type Check = { kind: 'idle' } | { kind: 'checking' } | { kind: 'done'; alerts: MedAlert[]; notChecked: string[] } | { kind: 'unavailable'; message: string };

function AlertCard({ a, reason, setReason }: { a: MedAlert; reason: string; setReason: (r: string) => void }) {
  return (
    <Paper withBorder p="sm" style={{ borderLeft: `5px solid var(--mantine-color-${SEVERITY_COLOR[a.severity]}-7)` }} role="alert" aria-label={`${a.severity} ${a.kind}: ${a.summary}`}>
      <Group gap="xs">
        <Badge color={SEVERITY_COLOR[a.severity]} variant="filled">
          {a.severity}
        </Badge>
        <Badge variant="outline" color="gray">
          {a.kind}
        </Badge>
        <Text fw={700} size="sm">
          {a.summary}
        </Text>
      </Group>
      {a.explanation && (
        <Text size="sm" mt={4}>
          {a.explanation}
        </Text>
      )}
      {a.source && (
        <Text size="xs" c="dimmed" mt={2}>
          Source: {a.source}
        </Text>
      )}
      {a.needsReason && (
        <Textarea
          mt="xs"
          label="Reason to override (required to prescribe)"
          value={reason}
          onChange={(e) => setReason(e.currentTarget.value)}
          autosize
          minRows={2}
          error={reason.trim() ? undefined : 'A reason is needed to prescribe despite this alert'}
        />
      )}
    </Paper>
  );
}

/** The dialog. */
export function PrescribeDialog({ chart, onClose, onDone }: { chart: ChartData; onClose: () => void; onDone: () => void }) {
  const patientId = chart.patient.id ?? '';
  const [q, setQ] = useState('');
  const [drugs, setDrugs] = useState<Drug[] | undefined>();
  const [drugError, setDrugError] = useState<string | undefined>();
  const [drug, setDrug] = useState<Drug | undefined>();
  const [sig, setSig] = useState<Sig>({ dose: '1', unit: 'tablet', route: 'oral', frequency: 'qd', days: 30, quantity: 30, refills: 0, asNeeded: false });
  const [check, setCheck] = useState<Check>({ kind: 'idle' });
  const [reasons, setReasons] = useState<Record<string, string>>({});
  const [uncheckedOk, setUncheckedOk] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();

  useEffect(() => {
    if (drug || q.trim().length < 2) return;
    const ctl = new AbortController();
    const t = window.setTimeout(() => {
      searchDrugs(q.trim(), ctl.signal).then(
        (d) => (setDrugs(d), setDrugError(undefined)),
        (err: Error) => err.name !== 'AbortError' && setDrugError(err.message),
      );
    }, 150);
    return () => (window.clearTimeout(t), ctl.abort());
  }, [q, drug]);

  const draft = useMemo<MedicationRequest | undefined>(
    () =>
      drug
        ? ({
            resourceType: 'MedicationRequest',
            status: 'draft',
            intent: 'order',
            subject: { reference: `Patient/${patientId}`, display: nameOf(chart.patient.name) },
            medicationCodeableConcept: { coding: [{ system: RXNORM, code: drug.code, display: drug.name }], text: drug.name },
            authoredOn: new Date().toISOString(),
            dosageInstruction: [sigDosage(sig)],
            dispenseRequest: { quantity: { value: sig.quantity, unit: sig.unit }, numberOfRepeatsAllowed: sig.refills, expectedSupplyDuration: { value: sig.days, unit: 'days', code: 'd' } },
          } as MedicationRequest)
        : undefined,
    [drug, sig, patientId, chart.patient.name],
  );

  // Re-check whenever the drug or the sig changes.
  useEffect(() => {
    if (!draft) return setCheck({ kind: 'idle' });
    const ctl = new AbortController();
    setCheck({ kind: 'checking' });
    const t = window.setTimeout(() => {
      checkMedication(patientId, draft, ctl.signal).then(
        (r) => setCheck({ kind: 'done', alerts: r.alerts, notChecked: r.notChecked }),
        (err: Error) => err.name !== 'AbortError' && setCheck({ kind: 'unavailable', message: err.message }),
      );
    }, 250);
    return () => (window.clearTimeout(t), ctl.abort());
  }, [draft, patientId]);

  const alerts = check.kind === 'done' ? check.alerts : [];
  const missingReason = alerts.some((a) => a.needsReason && !reasons[a.ruleId]?.trim());
  const canPrescribe = !!draft && check.kind !== 'checking' && !missingReason && (check.kind !== 'unavailable' || uncheckedOk) && check.kind !== 'idle';

  async function submit() {
    if (!draft) return;
    setBusy(true);
    setError(undefined);
    try {
      const overrides = alerts.filter((a) => reasons[a.ruleId]?.trim()).map((a) => ({ ruleId: a.ruleId, reason: reasons[a.ruleId]?.trim() ?? '' }));
      await prescribe(patientId, { ...draft, status: 'active' }, overrides);
      onDone();
    } catch (err) {
      setError(`Not prescribed: ${(err as Error).message}`);
    } finally {
      setBusy(false);
    }
  }

  const set = <K extends keyof Sig>(k: K, v: Sig[K]) => setSig((s) => ({ ...s, [k]: v }));
  return (
    <Modal closeButtonProps={{ "aria-label": "Close" }} opened onClose={onClose} title={`Prescribe for ${nameOf(chart.patient.name)}`} size="xl">
      <Stack gap="sm">
        {chart.allergies.length > 0 && (
          <Alert color="red" p="xs" title="Allergies">
            {chart.allergies.map((a) => a.code?.text ?? a.code?.coding?.[0]?.display).join(', ')}
          </Alert>
        )}
        {!drug ? (
          <>
            <TextInput label="Drug" placeholder="Start typing a drug name" value={q} onChange={(e) => setQ(e.currentTarget.value)} data-autofocus />
            {drugError && (
              <Alert color="red" role="alert" title="Drug search failed">
                {drugError}
              </Alert>
            )}
            {drugs && drugs.length === 0 && <Text c="dimmed">No drug matches “{q}”.</Text>}
            <Stack gap={2} role="listbox" aria-label="Drugs found">
              {drugs?.slice(0, 10).map((d) => (
                <Button key={d.code} variant="subtle" justify="flex-start" role="option" aria-selected={false} onClick={() => setDrug(d)}>
                  {d.name}
                  {d.detail ? <Text span size="xs" c="dimmed" ml={8}>{d.detail}</Text> : null}
                </Button>
              ))}
            </Stack>
          </>
        ) : (
          <Group justify="space-between">
            <Text fw={700}>{drug.name}</Text>
            <Button size="compact-sm" variant="subtle" onClick={() => (setDrug(undefined), setReasons({}))}>
              Change drug
            </Button>
          </Group>
        )}
        {drug && (
          <Paper withBorder p="sm">
            <Text fw={600} size="sm" mb={4}>
              Directions
            </Text>
            <Group grow align="flex-end">
              <TextInput label="Dose" value={sig.dose} onChange={(e) => set('dose', e.currentTarget.value)} />
              <Select label="Unit" data={['tablet', 'capsule', 'mg', 'mL', 'puff', 'patch', 'drop']} value={sig.unit} onChange={(v) => v && set('unit', v)} allowDeselect={false} />
              <Select label="Route" data={Object.entries(ROUTES).map(([value, label]) => ({ value, label }))} value={sig.route} onChange={(v) => v && set('route', v)} allowDeselect={false} />
              <Select label="How often" data={Object.entries(FREQUENCIES).map(([value, f]) => ({ value, label: f.words }))} value={sig.frequency} onChange={(v) => v && set('frequency', v)} allowDeselect={false} />
            </Group>
            <Group grow align="flex-end" mt="xs">
              <NumberInput label="Days" min={1} value={sig.days} onChange={(v) => set('days', Number(v) || 0)} />
              <NumberInput label="Quantity" min={1} value={sig.quantity} onChange={(v) => set('quantity', Number(v) || 0)} />
              <NumberInput label="Refills" min={0} max={11} value={sig.refills} onChange={(v) => set('refills', Number(v) || 0)} />
              <Checkbox label="As needed" checked={sig.asNeeded} onChange={(e) => set('asNeeded', e.currentTarget.checked)} />
            </Group>
            <Text size="sm" mt="xs" data-testid="sig-text">
              <strong>Sig:</strong> {sigText(sig)}. Dispense {sig.quantity}, {sig.refills} refill{sig.refills === 1 ? '' : 's'}.
            </Text>
          </Paper>
        )}
        {check.kind === 'checking' && <Text size="sm" c="dimmed">Checking interactions and allergies…</Text>}
        {check.kind === 'unavailable' && (
          <Alert color="red" variant="filled" title="Interaction and allergy checking is UNAVAILABLE" role="alert" data-testid="check-unavailable">
            <Text size="sm">No automatic check was done for this prescription ({check.message}). Check interactions and allergies yourself before prescribing.</Text>
            <Checkbox mt="xs" color="white" styles={{ label: { color: 'white' } }} label="I have checked interactions and allergies myself" checked={uncheckedOk} onChange={(e) => setUncheckedOk(e.currentTarget.checked)} />
          </Alert>
        )}
        {check.kind === 'done' && check.notChecked.length > 0 && (
          <Alert color="orange" variant="filled" title="Partly checked: some items could NOT be checked" role="alert">
            {check.notChecked.join('; ')}
          </Alert>
        )}
        {check.kind === 'done' && alerts.length === 0 && (
          <Alert color="teal" p="xs" role="status">
            No interaction or allergy alerts for this prescription.
          </Alert>
        )}
        {alerts.map((a) => (
          <AlertCard key={a.ruleId} a={a} reason={reasons[a.ruleId] ?? ''} setReason={(r) => setReasons((x) => ({ ...x, [a.ruleId]: r }))} />
        ))}
        {error && (
          <Alert color="red" role="alert" title="Not prescribed">
            {error}
          </Alert>
        )}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button onClick={() => void submit()} disabled={!canPrescribe} loading={busy} color={alerts.some((a) => a.needsReason) ? 'red' : undefined}>
            {alerts.some((a) => a.needsReason) ? 'Override and prescribe' : 'Prescribe'}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
