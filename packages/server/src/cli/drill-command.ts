/**
 * `chartroom drill --data DIR [--sync-now]`: a simulated outage, step by step, with a report;
 * `--reconcile --since TIME` prints the offline reconciliation report instead.
 */
import { parseArgs } from 'node:util';
import { openDataDir } from '../data-dir.js';
import { reportFailure } from '../continuity/command-failure.js';
import { formatDrill, runDrill } from '../continuity/drill.js';
import { changesSince, formatReconciliation, pushCheckpoints, receivedSince, reconcile } from '../continuity/reconciliation.js';
import { savedSyncStatus } from '../sync/sync-service.js';
import { openDataStore } from './open-data-store.js';
import type { ModuleCommand } from './main.js';
import { UsageError } from './usage-error.js';

/** The `drill` command: exit 1 when a step failed. */
export const drillCommand: ModuleCommand = {
  usage:
    'drill   --data DIR [--sync-now]                  downtime drill: local charts, sync status, downtime kit, newest backup (report)\n' +
    'drill   --data DIR --reconcile --since TIME      what this node recorded since TIME, what reached each peer, open conflicts',
  run(args) {
    return reportFailure(async () => {
      const { values } = parseArgs({ args, strict: true, options: { data: { type: 'string' }, 'sync-now': { type: 'boolean' }, reconcile: { type: 'boolean' }, since: { type: 'string' } } });
      if (!values.data) throw new UsageError('chartroom drill needs --data DIR');
      const dd = openDataDir(values.data);
      const store = await openDataStore(values.data);
      try {
        if (values.reconcile) {
          const since = Date.parse(values.since ?? '');
          if (Number.isNaN(since)) throw new UsageError('chartroom drill --reconcile needs --since TIME (e.g. 2026-11-25T08:00:00Z)');
          const changes = await changesSince(store.dialect, since);
          const checkpoints = await pushCheckpoints(store.dialect, dd.config.nodeId);
          console.log(formatReconciliation(reconcile(changes, await savedSyncStatus(store), since, await receivedSince(store.dialect, since), checkpoints)));
          return 0;
        }
        const now = Date.now();
        const steps = await runDrill(dd, store, { now, syncNow: values['sync-now'] });
        console.log(formatDrill(dd.config.practiceName, steps, now));
        return steps.some((s) => s.status === 'FAIL') ? 1 : 0;
      } finally {
        await store.close();
      }
    });
  },
};
