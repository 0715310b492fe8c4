/** `chartroom verify PATH [--key FILE]`: checks a data directory or a backup and prints a report. */
import { parseArgs } from 'node:util';
import { formatVerifyReport, verifyTarget } from '../continuity/verify.js';
import { findAuditVerifier } from '../continuity/audit-hook.js';
import type { ModuleCommand } from './main.js';
import { UsageError } from './usage-error.js';
import { reportFailure } from '../continuity/command-failure.js';

/** The `verify` command: exit 0 when no problem was found, 1 otherwise. */
export const verifyCommand: ModuleCommand = {
  usage: 'verify  PATH [--key FILE] [--resources]          check a data directory or backup (integrity, cipher, counts, revisions, audit chain);\n' +
    '                                                   --resources also validates every current resource as today\'s writes are',
  run(args) {
    return reportFailure(async () => {
      const { values, positionals } = parseArgs({ args, strict: true, allowPositionals: true, options: { key: { type: 'string' }, resources: { type: 'boolean' } } });
      const [target] = positionals;
      if (!target || positionals.length !== 1) throw new UsageError('chartroom verify needs one PATH (a data directory or a backup file)');
      const report = await verifyTarget(target, { keyFile: values.key, auditVerifier: await findAuditVerifier(), resources: values.resources });
      console.log(formatVerifyReport(report));
      return report.ok ? 0 : 1;
    });
  },
};
