/**
 * `chartroom backup --data DIR --out PATH`: an online, consistent, encrypted backup of a
 * node (safe while `serve` runs), with a manifest beside it.
 */
import { parseArgs } from 'node:util';
import { backupNode } from '../continuity/backup.js';
import type { ModuleCommand } from './main.js';
import { UsageError } from './usage-error.js';
import { reportFailure } from '../continuity/command-failure.js';

/** The `backup` command. */
export const backupCommand: ModuleCommand = {
  usage: 'backup  --data DIR --out PATH                    online encrypted backup of a node (PATH.json: its manifest)',
  run(args) {
    return reportFailure(async () => {
      const { values } = parseArgs({ args, strict: true, options: { data: { type: 'string' }, out: { type: 'string' } } });
      if (!values.data || !values.out) throw new UsageError('chartroom backup needs --data DIR and --out PATH');
      const r = await backupNode(values.data, values.out);
      const total = Object.values(r.manifest.counts).reduce((a, b) => a + b, 0);
      console.log(`Backup of ${r.manifest.practiceName} written to ${r.file} (${(r.manifest.bytes / 1e6).toFixed(1)} MB, encrypted with the node key) in ${(r.elapsedMs / 1000).toFixed(1)} s`);
      console.log(`  ${total} current resources, ${r.manifest.revisions} revisions, change log at ${r.manifest.lastSeq}; manifest ${r.manifestFile}`);
      console.log('  Keep the key file apart from the backup: without it the backup cannot be read.');
      return 0;
    });
  },
};
