/**
 * The demo practice: a deterministic, believable small primary care and psychiatry
 * practice (see practice.ts, patient-record.ts, schedule.ts), generated in batches and
 * written through `importMany`, so even 50,000 patients never sit in memory at once.
 * Same seed and same `today` give the same resources, ids included.
 */
import { DEFAULT_BATCH_SIZE } from '../import/unit-writer.js';
import type { Resource } from '@medplum/fhirtypes';
import type { FhirRepository } from '../store/fhir-repository.js';
import { demoIds } from './demo-ids.js';
import { generatePatient } from './patient-record.js';
import type { DemoContext } from './demo-context.js';
import { buildPractice } from './practice.js';
import type { ClinicianKey } from './practice.js';
import { generateSchedule } from './schedule.js';
import { demoCorrespondence, demoLettersToSign, demoLithiumHistory, demoReviewTasks } from './results-and-correspondence.js';
import { LetterService } from '../clinical/letters/letter-service.js';
import type { Bookable } from './schedule.js';
import { configureDemoSchedules, frontDeskDay } from './front-desk-day.js';

/** Default number of patients. */
export const DEFAULT_DEMO_PATIENTS = 200;
/** Default seed. */
export const DEFAULT_DEMO_SEED = 1;
export const DEFAULT_PRACTICE_NAME = 'Riverside Family & Psychiatry';

export interface DemoOptions {
  /** Number of patients (default 200). */
  patients?: number;
  /** Seed of the generator (default 1); numbers and strings both work. */
  seed?: number | string;
  /** The moment the demo is loaded (default now): history lies before it, the schedule around it. */
  today?: Date;
  practiceName?: string;
  /** Resources per `importMany` call (default: the importer's, {@link DEFAULT_BATCH_SIZE}). */
  batchSize?: number;
  /** Called after each batch is written. */
  onProgress?: (progress: DemoProgress) => void;
}

export interface DemoProgress {
  patientsDone: number;
  patients: number;
  resources: number;
  elapsedMs: number;
}

/** Resources written, by type. */
export type DemoCounts = Record<string, number>;

/** One batch of generated resources, and how many patients are complete after it. */
export interface DemoBatch {
  resources: Resource[];
  patientsDone: number;
}

/**
 * Generates the demo practice as batches of about `batchSize` resources: the practice
 * first, then patients (each whole in one batch), then the week's schedule.
 */
export function* demoBatches(options: DemoOptions = {}): Generator<DemoBatch> {
  const patients = options.patients ?? DEFAULT_DEMO_PATIENTS;
  if (!Number.isInteger(patients) || patients < 0) throw new Error(`patients must be a whole number ≥ 0; got ${patients}`);
  const seed = String(options.seed ?? DEFAULT_DEMO_SEED);
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const now = options.today ?? new Date();
  const id = demoIds(seed);
  const practice = buildPractice(id, now, options.practiceName ?? DEFAULT_PRACTICE_NAME);
  configureDemoSchedules(practice);
  const ctx: DemoContext = { seed, id, now, practice };
  const panels: Record<ClinicianKey, Bookable[]> = { psychiatrist: [], familyPhysician: [], nursePractitioner: [], psychotherapist: [] };
  const todays: (Bookable & { with: ClinicianKey })[] = [];

  let batch: Resource[] = [...practice.resources];
  for (let i = 0; i < patients; i++) {
    const { resources, summary } = generatePatient(ctx, i);
    const who = { ref: summary.ref, display: summary.display };
    panels[summary.pcp].push(who);
    if (summary.psychiatry) panels.psychiatrist.push(who);
    if (summary.therapy) panels.psychotherapist.push(who);
    if (summary.today) todays.push({ ...who, with: summary.today });
    for (const r of resources) batch.push(r);
    for (const r of [...demoLithiumHistory(ctx, summary, resources), ...demoReviewTasks(ctx, summary, resources), ...demoCorrespondence(ctx, summary)]) batch.push(r);
    if (batch.length >= batchSize) {
      yield { resources: batch, patientsDone: i + 1 };
      batch = [];
    }
  }
  const week = generateSchedule({ seed, id, now, practice, panels, todays });
  const today = frontDeskDay({ seed, id, now, practice }, week); // adjusts today's appointments in `week`
  for (const r of [...week, ...today]) batch.push(r);
  for (let i = 0; i < batch.length; i += batchSize) yield { resources: batch.slice(i, i + batchSize), patientsDone: patients };
}

/**
 * Loads the demo practice into `repo` and returns the number of resources written by type.
 * Each batch is one all-or-nothing `importMany`; loading again with the same seed updates
 * the same resources instead of adding new ones.
 */
export async function loadDemo(repo: FhirRepository, options: DemoOptions = {}): Promise<DemoCounts> {
  const started = performance.now();
  const patients = options.patients ?? DEFAULT_DEMO_PATIENTS;
  const counts: DemoCounts = {};
  let resources = 0;
  for (const batch of demoBatches(options)) {
    await repo.importMany(batch.resources);
    for (const r of batch.resources) counts[r.resourceType] = (counts[r.resourceType] ?? 0) + 1;
    resources += batch.resources.length;
    options.onProgress?.({ patientsDone: batch.patientsDone, patients, resources, elapsedMs: performance.now() - started });
  }
  // Signed letters are signed as a clinician signs them: the stored PDF, then the lock.
  const seed = String(options.seed ?? DEFAULT_DEMO_SEED);
  const now = options.today ?? new Date();
  const practiceName = options.practiceName ?? DEFAULT_PRACTICE_NAME;
  const ctx: DemoContext = { seed, id: demoIds(seed), now, practice: buildPractice(demoIds(seed), now, practiceName) };
  const letters = new LetterService(repo, practiceName, { clock: { now: () => now.getTime() } });
  for (const l of demoLettersToSign(ctx, patients)) {
    await letters.sign(l.letterId, { practitionerId: l.practitionerId });
    counts.Binary = (counts.Binary ?? 0) + 1;
  }
  return counts;
}
