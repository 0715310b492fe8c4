/**
 * What `serve` runs in the background for continuity, as configured in config.json:
 * `downtimeKit` (a kit every `everyMinutes`, default 15, first one at start) and
 * `backup` (a backup every `everyHours` into `dir`, keeping `keep`). Failures are logged and
 * the schedule carries on.
 */
import type { DataDir } from '../data-dir.js';
import type { FhirRepository } from '../store/fhir-repository.js';
import { every, scheduleBackups } from './backup-schedule.js';
import type { BackupScheduleConfig, Schedule } from './backup-schedule.js';
import { kitPassphrase, writeDowntimeKit } from '../downtime/write-kit.js';
import type { DowntimeKitConfig } from '../downtime/write-kit.js';

/** The continuity settings in config.json. */
export interface ContinuityConfig {
  downtimeKit?: DowntimeKitConfig;
  backup?: BackupScheduleConfig;
}

/** Starts the configured schedules; `stop()` ends them (waiting for a run in progress). */
export function startContinuitySchedules(dd: DataDir, repo: FhirRepository, log: (line: string) => void = console.log): Schedule {
  const config = dd.config as unknown as ContinuityConfig;
  const schedules: Schedule[] = [];
  const kit = config.downtimeKit;
  if (kit?.folders?.length) {
    try {
      const passphrase = kitPassphrase(kit);
      const minutes = Math.max(1, kit.everyMinutes ?? 15);
      schedules.push(
        every(
          minutes * 60_000,
          async () => {
            const r = await writeDowntimeKit(repo, { folders: kit.folders ?? [], passphrase, practiceName: dd.config.practiceName, keep: kit.keep, allPatients: kit.allPatients });
            log(`Downtime kit written to ${r.files.join(', ')} (${r.patients} face sheets, ${(r.elapsedMs / 1000).toFixed(1)} s)`);
          },
          (err) => log(`chartroom: the downtime kit could not be written: ${(err as Error).message}`),
          0,
        ),
      );
      log(`  Downtime kit: every ${minutes} min to ${kit.folders.join(', ')}`);
    } catch (err) {
      log(`chartroom: downtime kit not scheduled: ${(err as Error).message}`);
    }
  }
  if (config.backup?.dir) {
    schedules.push(scheduleBackups(dd.dir, config.backup, log));
    log(`  Backups:      every ${config.backup.everyHours ?? 24} h to ${config.backup.dir}, keeping ${config.backup.keep ?? 14}`);
  }
  return { stop: async () => void (await Promise.all(schedules.map((s) => s.stop()))) };
}
