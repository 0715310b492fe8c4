/**
 * The downtime-kit settings of a running node and its schedule: read and changed over HTTP
 * (`/api/downtime-kit/settings`), kept where they always lived (`config.json` →
 * `downtimeKit`, mode 0600), and picked up by the running schedule without a restart.
 * The passphrase is stored, never returned: callers only learn whether one is set.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { outcomeError } from '@chartroom/core';
import type { DataDir } from '../data-dir.js';
import { openDataDir } from '../data-dir.js';
import type { FhirRepository } from '../store/fhir-repository.js';
import { KIT_MANIFEST, MIN_PASSPHRASE_LENGTH, kitPassphrase, writeDowntimeKit } from './write-kit.js';
import type { DowntimeKitConfig, KitManifest, KitResult } from './write-kit.js';

export const DEFAULT_EVERY_MINUTES = 15;
export const MIN_EVERY_MINUTES = 5;
export const MAX_EVERY_MINUTES = 1440;
const MAX_FOLDERS = 10;
const SETTABLE = ['everyMinutes', 'folders', 'allPatients', 'passphrase'] as const;

/** The newest kit found in the configured folders. */
export interface LastWritten {
  at: string;
  folder: string;
  bytes: number;
  appointments: number;
  faceSheets: number;
}

/** `GET /api/downtime-kit/settings`. */
export interface DowntimeKitSettings {
  everyMinutes: number;
  folders: string[];
  allPatients: boolean;
  passphraseSet: boolean;
  lastWritten: LastWritten | null;
}

/** `PUT /api/downtime-kit/settings` (every field optional). */
export interface DowntimeKitSettingsChange {
  everyMinutes?: number;
  folders?: string[];
  allPatients?: boolean;
  passphrase?: string;
}

/** What `POST /api/downtime-kit/run` answers: the manifest written, where, and what failed. */
export interface DowntimeKitRun {
  manifest: KitManifest;
  files: string[];
  failures: { folder: string; error: string }[];
  elapsedMs: number;
}

export interface DowntimeKitServiceOptions {
  /** Where `CHARTROOM_DOWNTIME_PASSPHRASE` is looked up (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  /** PBKDF2 iterations (tests use fewer; default the kit's). */
  iterations?: number;
  /** Wall clock in ms (tests). */
  now?: () => number;
}

/**
 * Checks a settings change; throws one 400 OperationOutcome naming every bad field (and
 * nothing is changed). Folders must be absolute, existing, writable directories.
 */
export function validateSettingsChange(body: unknown): DowntimeKitSettingsChange {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw outcomeError('badRequest', 'The body must be a JSON object with any of: everyMinutes, folders, allPatients, passphrase');
  }
  const b = body as Record<string, unknown>;
  const problems: { message: string; field: string }[] = [];
  for (const k of Object.keys(b)) {
    if (!(SETTABLE as readonly string[]).includes(k)) problems.push({ field: k, message: `"${k}" is not a downtime-kit setting (settable: ${SETTABLE.join(', ')})` });
  }
  const out: DowntimeKitSettingsChange = {};
  if (b.everyMinutes !== undefined) {
    const m = b.everyMinutes;
    if (typeof m !== 'number' || !Number.isInteger(m) || m < MIN_EVERY_MINUTES || m > MAX_EVERY_MINUTES) {
      problems.push({ field: 'everyMinutes', message: `everyMinutes must be a whole number of minutes from ${MIN_EVERY_MINUTES} to ${MAX_EVERY_MINUTES}; got ${JSON.stringify(m)}` });
    } else out.everyMinutes = m;
  }
  if (b.allPatients !== undefined) {
    if (typeof b.allPatients !== 'boolean') problems.push({ field: 'allPatients', message: `allPatients must be true or false; got ${JSON.stringify(b.allPatients)}` });
    else out.allPatients = b.allPatients;
  }
  if (b.passphrase !== undefined) {
    const p = b.passphrase;
    if (typeof p !== 'string') problems.push({ field: 'passphrase', message: 'passphrase must be a string' });
    else if ([...p].length < MIN_PASSPHRASE_LENGTH) problems.push({ field: 'passphrase', message: `The downtime passphrase must have at least ${MIN_PASSPHRASE_LENGTH} characters` });
    else if (p.trim() !== p) problems.push({ field: 'passphrase', message: 'The downtime passphrase must not start or end with spaces (staff would not type them)' });
    else out.passphrase = p;
  }
  if (b.folders !== undefined) {
    const f = b.folders;
    if (!Array.isArray(f) || f.some((x) => typeof x !== 'string')) {
      problems.push({ field: 'folders', message: 'folders must be a list of folder paths (strings)' });
    } else if (f.length > MAX_FOLDERS) {
      problems.push({ field: 'folders', message: `At most ${MAX_FOLDERS} folders; got ${f.length}` });
    } else {
      const seen = new Set<string>();
      (f as string[]).forEach((folder, i) => {
        const field = `folders[${i}]`;
        const problem = folderProblem(folder);
        if (problem) problems.push({ field, message: problem });
        else if (seen.has(resolve(folder))) problems.push({ field, message: `Folder ${folder} is listed twice` });
        seen.add(resolve(folder));
      });
      out.folders = (f as string[]).map((x) => resolve(x));
    }
  }
  if (problems.length) {
    throw outcomeError('badRequest', `The downtime-kit settings were not changed: ${problems.map((p) => p.message).join('; ')}`, problems.map((p) => p.field));
  }
  return out;
}

/** Why `folder` cannot take the kit, or undefined when it can. */
function folderProblem(folder: string): string | undefined {
  if (!folder.trim()) return 'A folder path is empty';
  if (!isAbsolute(folder)) return `Folder "${folder}" is not an absolute path (start it with / on this node)`;
  if (!existsSync(folder)) return `Folder ${folder} does not exist on this node (is the USB stick or share mounted?)`;
  if (!statSync(folder).isDirectory()) return `${folder} is not a folder`;
  // Really write (and remove) a file: permission bits alone say nothing for root or read-only mounts.
  const probe = join(folder, `.chartroom-write-test-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    writeFileSync(probe, '', { flag: 'wx', mode: 0o600 });
  } catch (err) {
    return `Folder ${folder} is not writable by the Chartroom node (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
  }
  rmSync(probe, { force: true });
  return undefined;
}

function readManifest(folder: string): KitManifest | undefined {
  try {
    return JSON.parse(readFileSync(join(folder, KIT_MANIFEST), 'utf8')) as KitManifest;
  } catch {
    return undefined;
  }
}

/** The downtime-kit settings of one node and the schedule that writes its kits. */
export class DowntimeKitService {
  private readonly env: NodeJS.ProcessEnv;
  private readonly log: (line: string) => void;
  private readonly now: () => number;
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private started = false;
  private stopped = false;
  private lastRunAt: number | undefined;
  private ticking: Promise<void> | undefined;

  constructor(
    private readonly dd: DataDir,
    private readonly repo: FhirRepository,
    private readonly opts: DowntimeKitServiceOptions = {},
  ) {
    this.env = opts.env ?? process.env;
    this.log = opts.log ?? console.log;
    this.now = opts.now ?? Date.now;
  }

  /** The `downtimeKit` section as it is on disk now (hand edits included). */
  private config(): DowntimeKitConfig {
    return (openDataDir(this.dd.dir).config as unknown as { downtimeKit?: DowntimeKitConfig }).downtimeKit ?? {};
  }

  private everyMinutes(c: DowntimeKitConfig): number {
    const m = c.everyMinutes;
    return typeof m === 'number' && Number.isFinite(m) ? Math.min(MAX_EVERY_MINUTES, Math.max(1, m)) : DEFAULT_EVERY_MINUTES;
  }

  /** The settings as the web app shows them; the passphrase itself never leaves. */
  settings(): DowntimeKitSettings {
    const c = this.config();
    const folders = c.folders ?? [];
    let last: LastWritten | null = null;
    for (const folder of folders) {
      const m = readManifest(folder);
      const at = m?.writtenAt ?? m?.dataAsOf;
      if (!m || !at) continue;
      if (!last || at > last.at) last = { at, folder: resolve(folder), bytes: m.bytes, appointments: m.appointments, faceSheets: m.scheduledPatients };
    }
    return {
      everyMinutes: this.everyMinutes(c),
      folders: [...folders],
      allPatients: c.allPatients === true,
      passphraseSet: Boolean(this.env.CHARTROOM_DOWNTIME_PASSPHRASE ?? c.passphrase),
      lastWritten: last,
    };
  }

  /** Validates and saves a change (all or nothing), then reschedules the running kit. */
  update(body: unknown): DowntimeKitSettings {
    const change = validateSettingsChange(body);
    if (change.passphrase !== undefined && this.env.CHARTROOM_DOWNTIME_PASSPHRASE) {
      throw outcomeError(
        'conflict',
        'The node was started with CHARTROOM_DOWNTIME_PASSPHRASE, which overrides the practice passphrase; remove it from the node\'s environment and restart before setting the passphrase here. Nothing was changed.',
        'passphrase',
      );
    }
    const path = join(this.dd.dir, 'config.json');
    const whole = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    const before = (whole.downtimeKit ?? {}) as DowntimeKitConfig;
    const after: DowntimeKitConfig = { ...before, ...change };
    if (Object.keys(change).length) {
      whole.downtimeKit = after;
      const tmp = `${path}.tmp-${process.pid}`;
      writeFileSync(tmp, JSON.stringify(whole, null, 2) + '\n', { mode: 0o600 });
      renameSync(tmp, path);
    }
    if (this.started && !this.stopped) {
      const rewrite = change.passphrase !== undefined || change.allPatients !== undefined || (change.folders !== undefined && change.folders.join('\n') !== (before.folders ?? []).join('\n'));
      // A new passphrase or folder gets a fresh kit at once (the old kit would not open with the new passphrase); a new interval counts from the last kit.
      if (rewrite) this.schedule(0);
      else if (change.everyMinutes !== undefined) this.schedule(Math.max(0, (this.lastRunAt ?? this.now()) + this.everyMinutes(after) * 60_000 - this.now()));
    }
    return this.settings();
  }

  /** Writes a kit now with the current settings (one at a time); refuses when there is no folder or passphrase. */
  run(): Promise<DowntimeKitRun> {
    const next = this.chain.then(() => this.runOnce());
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async runOnce(): Promise<DowntimeKitRun> {
    const c = this.config();
    const folders = c.folders ?? [];
    if (!folders.length) throw outcomeError('conflict', 'No folder is set for the downtime kit: add one in the settings (folders) first');
    let passphrase: string;
    try {
      passphrase = kitPassphrase(c, this.env);
    } catch (err) {
      throw outcomeError('conflict', `${(err as Error).message}; set it in the downtime-kit settings first`);
    }
    let r: KitResult;
    try {
      r = await writeDowntimeKit(this.repo, {
        folders,
        passphrase,
        practiceName: this.dd.config.practiceName,
        keep: c.keep,
        allPatients: c.allPatients,
        now: this.now(),
        ...(this.opts.iterations ? { iterations: this.opts.iterations } : {}),
      });
    } catch (err) {
      if (/could not be written to any folder/.test((err as Error).message)) throw outcomeError('unavailable', (err as Error).message);
      throw err;
    }
    this.lastRunAt = this.now();
    return { manifest: r.manifest, files: r.files, failures: r.failures, elapsedMs: Math.round(r.elapsedMs) };
  }

  /** Starts the schedule: a kit now (when configured) and then every `everyMinutes`. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const c = this.config();
    if (c.folders?.length) this.log(`  Downtime kit: every ${this.everyMinutes(c)} min to ${c.folders.join(', ')}`);
    else this.log('  Downtime kit: no folder set (set one in the web app\'s admin settings or config.json downtimeKit.folders)');
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.ticking = this.tick();
    }, delayMs);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    const c = this.config();
    if (c.folders?.length) {
      try {
        const r = await this.run();
        const failed = r.failures.map((f) => `; NOT written to ${f.folder}: ${f.error}`).join('');
        this.log(`Downtime kit written to ${r.files.join(', ')} (${r.manifest.scheduledPatients} face sheets, ${(r.elapsedMs / 1000).toFixed(1)} s)${failed}`);
      } catch (err) {
        this.log(`chartroom: the downtime kit could not be written: ${(err as Error).message}`);
      }
    }
    // Unless a settings change already rescheduled it while this kit was being written.
    if (!this.timer) this.schedule(this.everyMinutes(this.config()) * 60_000);
  }

  /** Ends the schedule, waiting for a kit being written. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.ticking;
    await this.chain;
  }
}
