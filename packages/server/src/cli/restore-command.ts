/** `chartroom restore PATH --data NEWDIR [--key FILE]`: a new data directory from a verified backup. */
import { parseArgs } from 'node:util';
import { restoreBackup } from '../continuity/restore.js';
import { formatVerifyReport } from '../continuity/verify.js';
import type { ModuleCommand } from './main.js';
import { UsageError } from './usage-error.js';
import { reportFailure } from '../continuity/command-failure.js';

/** The `restore` command. */
export const restoreCommand: ModuleCommand = {
  usage: 'restore PATH --data NEWDIR [--key FILE]          verify a backup, then restore it into a new data directory',
  run(args) {
    return reportFailure(async () => {
      const { values, positionals } = parseArgs({ args, strict: true, allowPositionals: true, options: { data: { type: 'string' }, key: { type: 'string' } } });
      const [file] = positionals;
      if (!file || positionals.length !== 1 || !values.data) throw new UsageError('chartroom restore needs one backup PATH and --data NEWDIR');
      const r = await restoreBackup(file, values.data, { keyFile: values.key });
      console.log(formatVerifyReport(r.report));
      console.log(`Restored into ${r.dir}; start it with: chartroom serve --data ${values.data}`);
      return 0;
    });
  },
};
