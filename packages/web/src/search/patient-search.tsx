/** Patient search from anywhere: Ctrl+K or "/" opens it, results as you type, Enter opens the chart. */
import { useEffect, useRef, useState } from 'react';
import type { KeyboardEvent } from 'react';
import { Alert, Kbd, Loader, Modal, Stack, Text, TextInput, UnstyledButton } from '@mantine/core';
import { navigate } from '../shell/router';
import { searchPatients } from './patient-search.resource';
import type { PatientHit } from './patient-search.resource';

/** Marks when a chart was asked for, so the chart can report how long it took to show. */
export function markChartRequested(): void {
  performance.clearMarks('chart-requested');
  performance.mark('chart-requested');
}

/** The search dialog. */
export function PatientSearch({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const [q, setQ] = useState('');
  const [hits, setHits] = useState<PatientHit[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [active, setActive] = useState(0);
  const seq = useRef(0);

  useEffect(() => {
    if (!opened) return;
    setQ('');
    setHits(undefined);
    setError(undefined);
  }, [opened]);

  useEffect(() => {
    const term = q.trim();
    if (term.length < 2) {
      setHits(undefined);
      setBusy(false);
      return;
    }
    const ctl = new AbortController();
    const mine = ++seq.current;
    setBusy(true);
    const t = window.setTimeout(() => {
      searchPatients(term, ctl.signal).then(
        (h) => {
          if (mine !== seq.current) return;
          setHits(h);
          setActive(0);
          setError(undefined);
          setBusy(false);
        },
        (err: Error) => {
          if (mine !== seq.current || err.name === 'AbortError') return;
          setError(err.message);
          setBusy(false);
        },
      );
    }, 120);
    return () => {
      window.clearTimeout(t);
      ctl.abort();
    };
  }, [q]);

  function open(hit: PatientHit) {
    markChartRequested();
    onClose();
    navigate(`/patients/${encodeURIComponent(hit.id)}`);
  }

  function onKey(e: KeyboardEvent) {
    if (!hits?.length) return;
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      setActive((a) => Math.min(a + 1, hits.length - 1));
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      setActive((a) => Math.max(a - 1, 0));
    } else if (e.key === 'Enter') {
      const h = hits[active];
      if (h) {
        e.preventDefault();
        open(h);
      }
    }
  }

  return (
    <Modal closeButtonProps={{ "aria-label": "Close" }} opened={opened} onClose={onClose} title="Find a patient" size="lg" yOffset="10vh">
      <Stack gap="sm">
        <TextInput
          label="Name, MRN or birth date (YYYY-MM-DD)"
          placeholder="e.g. munoz"
          value={q}
          onChange={(e) => setQ(e.currentTarget.value)}
          onKeyDown={onKey}
          rightSection={busy ? <Loader size="xs" /> : null}
          data-autofocus
          role="combobox"
          aria-expanded={!!hits?.length}
          aria-controls="patient-search-results"
          aria-activedescendant={hits?.length ? `patient-hit-${active}` : undefined}
        />
        {error && (
          <Alert color="red" role="alert" title="Search failed">
            {error}
          </Alert>
        )}
        {hits && hits.length === 0 && !error && <Text c="dimmed">No patient matches “{q.trim()}”.</Text>}
        {hits && hits.length > 0 && (
          <div id="patient-search-results" role="listbox" aria-label="Patients found" className="search-results">
            {hits.map((h, i) => (
              <UnstyledButton
                key={h.id}
                id={`patient-hit-${i}`}
                role="option"
                aria-selected={i === active}
                className="search-hit"
                data-active={i === active || undefined}
                onClick={() => open(h)}
                onMouseEnter={() => setActive(i)}
              >
                <Text fw={600}>{h.name}</Text>
                <Text size="sm" c="dimmed">
                  {h.line}
                </Text>
              </UnstyledButton>
            ))}
          </div>
        )}
        <Text size="xs" c="dimmed">
          <Kbd>↑</Kbd> <Kbd>↓</Kbd> to choose, <Kbd>Enter</Kbd> to open. Open this from anywhere with <Kbd>Ctrl</Kbd> + <Kbd>K</Kbd> or <Kbd>/</Kbd>.
        </Text>
      </Stack>
    </Modal>
  );
}
