/**
 * `chartroom downtime-kit --data DIR [--out FOLDER]… [--all-patients]`: writes the encrypted
 * downtime kit now (folders and passphrase default to config.json's `downtimeKit`;
 * `CHARTROOM_DOWNTIME_PASSPHRASE` overrides the passphrase).
 */
import { parseArgs } from 'node:util';
import { openDataDir } from '../data-dir.js';
import { reportFailure } from '../continuity/command-failure.js';
import { kitPassphrase, writeDowntimeKit } from '../downtime/write-kit.js';
import type { DowntimeKitConfig } from '../downtime/write-kit.js';
import { openDataStore } from './open-data-store.js';
import type { ModuleCommand } from './main.js';
import { UsageError } from './usage-error.js';

/** The `downtime-kit` command. */
export const downtimeKitCommand: ModuleCommand = {
  usage: 'downtime-kit --data DIR [--out FOLDER]… [--all-patients] [--store postgres://…]\n        write the encrypted downtime kit (passphrase: config.json downtimeKit.passphrase or CHARTROOM_DOWNTIME_PASSPHRASE)',
  run(args) {
    return reportFailure(async () => {
      const { values } = parseArgs({
        args,
        strict: true,
        options: { data: { type: 'string' }, out: { type: 'string', multiple: true }, 'all-patients': { type: 'boolean' }, store: { type: 'string' } },
      });
      if (!values.data) throw new UsageError('chartroom downtime-kit needs --data DIR');
      const dd = openDataDir(values.data);
      const config = (dd.config as unknown as { downtimeKit?: DowntimeKitConfig }).downtimeKit;
      const folders = values.out ?? config?.folders ?? [];
      if (!folders.length) throw new UsageError('chartroom downtime-kit needs --out FOLDER (or downtimeKit.folders in config.json)');
      const passphrase = kitPassphrase(config);
      const store = await openDataStore(values.data, values.store);
      try {
        const r = await writeDowntimeKit(store.repo, { folders, passphrase, practiceName: dd.config.practiceName, keep: config?.keep, allPatients: values['all-patients'] ?? config?.allPatients });
        console.log(`Downtime kit written (${(r.bytes / 1024).toFixed(0)} KiB, ${r.appointments} appointments, ${r.patients} face sheets, data as of ${r.dataAsOf}) in ${(r.elapsedMs / 1000).toFixed(1)} s:`);
        for (const f of r.files) console.log(`  ${f}`);
        for (const f of r.failures) console.error(`chartroom: the downtime kit was NOT written to ${f.folder}: ${f.error}`);
        return r.failures.length ? 1 : 0;
      } finally {
        await store.close();
      }
    });
  },
};
