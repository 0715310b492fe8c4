/** The bar at the foot of every screen: hub connection, changes waiting, last sync, stale warning. */
import { Group, Text } from '@mantine/core';
import { timeText, dateText } from '../api/fhir-format';
import { useSyncStatus } from './sync-status.resource';
import type { SyncView } from './sync-status.resource';

function when(iso: string | undefined): string {
  if (!iso) return 'never';
  const d = new Date(iso);
  const today = new Date();
  return d.toDateString() === today.toDateString() ? timeText(iso) : `${dateText(iso)} ${timeText(iso)}`;
}

/** The words and tone for a sync view (exported for tests of the wording). */
export function syncWords(v: SyncView): { tone: 'ok' | 'warn' | 'bad' | 'info'; main: string; extra: string[] } {
  const extra: string[] = [];
  if (v.pending !== undefined) extra.push(v.pending === 1 ? '1 change waiting to sync' : `${v.pending} changes waiting to sync`);
  if (v.kind !== 'unavailable' && v.kind !== 'unreachable' && v.kind !== 'checking' && v.kind !== 'standalone') extra.push(`last sync ${when(v.lastSync)}`);
  if (v.stale) extra.push("warning: this node's data may be out of date");
  if (v.conflicts) extra.push(v.conflicts === 1 ? '1 conflict to reconcile' : `${v.conflicts} conflicts to reconcile`);
  if (v.quarantined) extra.push(v.quarantined === 1 ? '1 sync batch held for an administrator' : `${v.quarantined} sync batches held for an administrator`);
  // A held batch stops replication with a long technical error: the words below say it plainly.
  const held = v.kind === 'local' && !!v.quarantined && /quarantin/i.test(v.detail ?? '');
  if (v.kind === 'local' && v.detail && !held) extra.push(v.detail);
  switch (v.kind) {
    case 'in-sync':
      return { tone: 'ok', main: `Connected to hub${v.peer ? ` (${v.peer})` : ''} · in sync`, extra };
    case 'connected-pending':
      return { tone: v.stale ? 'warn' : 'info', main: `Connected to hub${v.peer ? ` (${v.peer})` : ''}`, extra };
    case 'local':
      if (held) return { tone: 'warn', main: 'Sync paused: changes from the hub wait for an administrator (Admin → Quarantine)', extra };
      return { tone: 'warn', main: v.since ? `Working locally since ${when(v.since)}` : 'Working locally (hub not reachable)', extra };
    case 'standalone':
      return { tone: 'info', main: 'Standalone node: not syncing with a hub', extra };
    case 'unreachable':
      return { tone: 'bad', main: 'Cannot reach this Chartroom node — check the network; unsaved work stays on screen', extra: [] };
    case 'checking':
      return { tone: 'info', main: 'Checking sync status…', extra: [] };
    case 'unavailable':
      return { tone: 'warn', main: 'Sync status unavailable', extra: v.detail ? [v.detail] : [] };
    default: {
      const never: never = v.kind;
      throw new Error(`unknown sync state ${String(never)}`);
    }
  }
}

/** The status bar. */
export function StatusBar() {
  const v = useSyncStatus();
  const w = syncWords(v);
  return (
    <footer className={`status-bar status-${w.tone}`} role="status" aria-live="polite" aria-label="Sync status">
      <Group gap="md" wrap="nowrap">
        <span className="status-dot" aria-hidden="true" />
        <Text size="sm" fw={600} data-testid="sync-main">
          {w.main}
        </Text>
        {w.extra.map((x) => (
          <Text size="sm" key={x}>
            {x}
          </Text>
        ))}
      </Group>
    </footer>
  );
}
