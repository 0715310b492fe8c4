/**
 * What `serve` runs in the background for continuity, as configured in config.json:
 * `downtimeKit` (a kit every `everyMinutes`, default 15, first one at start; the settings can
 * change while it runs, see downtime/kit-settings.ts) and `backup` (a backup every
 * `everyHours` into `dir`, keeping `keep`). Failures are logged and the schedule carries on.
 */
import type { DataDir } from '../data-dir.js';
import type { FhirRepository } from '../store/fhir-repository.js';
import { scheduleBackups } from './backup-schedule.js';
import type { BackupScheduleConfig, Schedule } from './backup-schedule.js';
import { DowntimeKitService } from '../downtime/kit-settings.js';
import type { DowntimeKitConfig } from '../downtime/write-kit.js';

/** The continuity settings in config.json. */
export interface ContinuityConfig {
  downtimeKit?: DowntimeKitConfig;
  backup?: BackupScheduleConfig;
}

/**
 * Starts the configured schedules; `stop()` ends them (waiting for a run in progress). Give
 * the node's {@link DowntimeKitService} (the one its HTTP settings routes use) so changes made
 * there reach the running kit schedule; without one, a service of its own is made.
 */
export function startContinuitySchedules(dd: DataDir, repo: FhirRepository, log: (line: string) => void = console.log, downtimeKit?: DowntimeKitService): Schedule {
  const kit = downtimeKit ?? new DowntimeKitService(dd, repo, { log });
  const schedules: Schedule[] = [kit];
  kit.start();
  const config = dd.config as unknown as ContinuityConfig;
  if (config.backup?.dir) {
    schedules.push(scheduleBackups(dd.dir, config.backup, log));
    log(`  Backups:      every ${config.backup.everyHours ?? 24} h to ${config.backup.dir}, keeping ${config.backup.keep ?? 14}`);
  }
  return { stop: async () => void (await Promise.all(schedules.map((s) => s.stop()))) };
}
