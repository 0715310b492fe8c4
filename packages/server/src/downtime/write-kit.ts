/**
 * Writes the downtime kit into one or more folders (a USB stick, a shared drive): each copy
 * goes to a temporary file renamed into place, so a reader never sees half a kit. In each
 * folder: `chartroom-downtime-kit.html` (the newest, what staff open), the last `keep`
 * timestamped copies, and `chartroom-downtime-manifest.json` (when the data was read, which
 * files, their SHA-256 and size).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { FhirRepository } from '../store/fhir-repository.js';
import { readKitData } from './kit-data.js';
import { kitHtml, sealKit, KIT_KDF_ITERATIONS } from './kit-page.js';

/** `config.json` → `downtimeKit`. */
export interface DowntimeKitConfig {
  /** Folders the kit is written to. */
  folders?: string[];
  /** Minutes between kits when `serve` runs (default 15). */
  everyMinutes?: number;
  /** Timestamped copies kept per folder (default 3). */
  keep?: number;
  /** Also list every patient's medications and allergies. */
  allPatients?: boolean;
  /** The practice downtime passphrase (`CHARTROOM_DOWNTIME_PASSPHRASE` overrides it). */
  passphrase?: string;
}

export const KIT_FILE = 'chartroom-downtime-kit.html';
export const KIT_MANIFEST = 'chartroom-downtime-manifest.json';
const STAMPED = /^chartroom-downtime-kit-\d{8}T\d{6}Z\.html$/;
/** Shortest passphrase accepted: the KDF slows guessing, it cannot save a short passphrase. */
export const MIN_PASSPHRASE_LENGTH = 10;

/** The passphrase: the environment's, else the config's; refuses a missing or short one. */
export function kitPassphrase(config: DowntimeKitConfig | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const p = env.CHARTROOM_DOWNTIME_PASSPHRASE ?? config?.passphrase;
  if (!p) throw new Error('No downtime passphrase: set downtimeKit.passphrase in config.json or CHARTROOM_DOWNTIME_PASSPHRASE');
  if ([...p].length < MIN_PASSPHRASE_LENGTH) throw new Error(`The downtime passphrase must have at least ${MIN_PASSPHRASE_LENGTH} characters`);
  return p;
}

export interface KitResult {
  files: string[];
  /** Folders that could not be written (a stick pulled out, a share gone), with why. */
  failures: { folder: string; error: string }[];
  /** The manifest written beside the kit in each folder. */
  manifest: KitManifest;
  bytes: number;
  patients: number;
  appointments: number;
  dataAsOf: string;
  elapsedMs: number;
}

/** `chartroom-downtime-manifest.json`: what the newest kit in that folder holds. */
export interface KitManifest {
  format: 'chartroom-downtime-kit/1';
  practiceName: string;
  /** When the kit was written. */
  writtenAt: string;
  /** The time of the data it carries. */
  dataAsOf: string;
  latest: string;
  copies: string[];
  sha256: string;
  bytes: number;
  scheduledPatients: number;
  appointments: number;
  allPatients: boolean;
  kdf: { name: string; iterations: number };
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

function writeAtomic(path: string, content: string | Buffer): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode: 0o600 });
  renameSync(tmp, path);
}

/** Builds the kit once and writes it to every folder; returns what it wrote. */
export async function writeDowntimeKit(
  repo: FhirRepository,
  opts: { folders: readonly string[]; passphrase: string; practiceName: string; now?: number; keep?: number; allPatients?: boolean; iterations?: number },
): Promise<KitResult> {
  if (!opts.folders.length) throw new Error('No folder to write the downtime kit to: give --out FOLDER or set downtimeKit.folders in config.json');
  const started = performance.now();
  const now = opts.now ?? Date.now();
  const data = await readKitData(repo, { now, practiceName: opts.practiceName, allPatients: opts.allPatients });
  const sealed = await sealKit(data, opts.passphrase, opts.iterations ?? KIT_KDF_ITERATIONS);
  const html = Buffer.from(kitHtml(sealed, { practiceName: opts.practiceName, generatedAt: new Date(now).toISOString() }), 'utf8');
  const sha256 = createHash('sha256').update(html).digest('hex');
  const keep = Math.max(1, opts.keep ?? 3);
  const appointments = data.days.reduce((a, d) => a + d.appointments.length, 0);
  const base = {
    format: 'chartroom-downtime-kit/1' as const,
    practiceName: opts.practiceName,
    writtenAt: new Date(now).toISOString(),
    dataAsOf: data.dataAsOf,
    latest: KIT_FILE,
    sha256,
    bytes: html.length,
    scheduledPatients: data.faceSheets.length,
    appointments,
    allPatients: opts.allPatients === true,
    kdf: { name: sealed.kdf, iterations: sealed.iterations },
  };
  const files: string[] = [];
  const failures: { folder: string; error: string }[] = [];
  let manifest: KitManifest = { ...base, copies: [] };
  // Each folder on its own: a pulled USB stick must not cost the shared drive its kit.
  for (const folder of opts.folders) {
    const dir = resolve(folder);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const stamped = `chartroom-downtime-kit-${stamp(now)}.html`;
      writeAtomic(join(dir, stamped), html);
      writeAtomic(join(dir, KIT_FILE), html);
      const copies = readdirSync(dir).filter((f) => STAMPED.test(f)).sort();
      for (const old of copies.slice(0, Math.max(0, copies.length - keep))) rmSync(join(dir, old), { force: true });
      manifest = { ...base, copies: copies.slice(-keep) };
      writeAtomic(join(dir, KIT_MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
      files.push(join(dir, KIT_FILE));
    } catch (err) {
      failures.push({ folder: dir, error: (err as Error).message });
    }
  }
  if (!files.length) throw new Error(`The downtime kit could not be written to any folder: ${failures.map((f) => `${f.folder}: ${f.error}`).join('; ')}`);
  return {
    files,
    failures,
    manifest,
    bytes: html.length,
    patients: data.faceSheets.length,
    appointments,
    dataAsOf: data.dataAsOf,
    elapsedMs: performance.now() - started,
  };
}
