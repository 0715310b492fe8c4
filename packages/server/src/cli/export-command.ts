/**
 * `chartroom export --data DIR [--store postgres://…] --out DIR`: the whole practice, every
 * revision included, as NDJSON files (see continuity/practice-export.ts). `chartroom import
 * --data NEWDIR DIR` loads such a folder back exactly.
 */
import { parseArgs } from 'node:util';
import { exportPractice, restoreExport } from '../continuity/practice-export.js';
import { reportFailure } from '../continuity/command-failure.js';
import { openDataDir } from '../data-dir.js';
import { openDataStore } from './open-data-store.js';
import type { ModuleCommand } from './main.js';
import { UsageError } from './usage-error.js';

/** The `export` command. */
export const exportCommand: ModuleCommand = {
  usage: 'export  --data DIR [--store postgres://…] --out DIR   the whole practice with every revision as NDJSON (not encrypted)',
  run(args) {
    return reportFailure(async () => {
      const { values } = parseArgs({ args, strict: true, options: { data: { type: 'string' }, out: { type: 'string' }, store: { type: 'string' } } });
      if (!values.data || !values.out) throw new UsageError('chartroom export needs --data DIR and --out DIR');
      const practiceName = openDataDir(values.data).config.practiceName;
      const started = performance.now();
      const store = await openDataStore(values.data, values.store);
      try {
        const m = await exportPractice(store.dialect, values.out, { practiceName });
        const total = Object.values(m.counts).reduce((a, b) => a + b, 0);
        console.log(`Exported ${practiceName}: ${total} current resources of ${Object.keys(m.counts).length} types and ${m.revisions} revisions to ${values.out} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
        console.log('  These files are NOT encrypted: keep them on encrypted storage and delete them when done.');
        console.log(`  Load them into a new node with: chartroom import --data NEWDIR ${values.out}`);
        return 0;
      } finally {
        await store.close();
      }
    });
  },
};

/** `chartroom import --data DIR EXPORT`: restores a Chartroom export folder into an empty node, exactly. */
export async function runRestoreExport(data: string, dir: string, storeUrl?: string): Promise<number> {
  return reportFailure(async () => {
    const store = await openDataStore(data, storeUrl);
    try {
      const r = await restoreExport(store, dir);
      console.log(`Restored the export in ${dir}: ${r.resources} resources with ${r.revisions} revisions (ids, versions and history as exported).`);
      return 0;
    } finally {
      await store.close();
    }
  });
}
