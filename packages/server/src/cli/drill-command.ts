/** `chartroom drill --data DIR [--sync-now]`: a simulated outage, step by step, with a report. */
import { parseArgs } from 'node:util';
import { openDataDir } from '../data-dir.js';
import { reportFailure } from '../continuity/command-failure.js';
import { formatDrill, runDrill } from '../continuity/drill.js';
import { openDataStore } from './open-data-store.js';
import type { ModuleCommand } from './main.js';
import { UsageError } from './usage-error.js';

/** The `drill` command: exit 1 when a step failed. */
export const drillCommand: ModuleCommand = {
  usage: 'drill   --data DIR [--sync-now]                  downtime drill: local charts, sync status, downtime kit, newest backup (report)',
  run(args) {
    return reportFailure(async () => {
      const { values } = parseArgs({ args, strict: true, options: { data: { type: 'string' }, 'sync-now': { type: 'boolean' } } });
      if (!values.data) throw new UsageError('chartroom drill needs --data DIR');
      const dd = openDataDir(values.data);
      const store = await openDataStore(values.data);
      try {
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
