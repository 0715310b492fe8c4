/**
 * Imports FHIR data from files and folders: Bundles (transaction, batch, collection,
 * searchset, document), single resources, JSON arrays of resources and NDJSON files
 * (https://hl7.org/fhir/R4/nd-json.html). See {@link planDocument} for what each becomes
 * and {@link UnitWriter} for how it is written. A file that cannot be read or parsed is
 * reported and the others are still imported.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { randomUUID } from 'node:crypto';
import type { FhirRepository } from '../store/fhir-repository.js';
import type { ImportIssue, ImportProgress, ImportSummary } from './import-types.js';
import { planDocument } from './plan-document.js';
import { sourceFiles } from './source-files.js';
import type { SourceFile } from './source-files.js';
import { DEFAULT_BATCH_SIZE, UnitWriter } from './unit-writer.js';
import { importHl7File, isHl7Name } from '../clinical/labs/hl7-file-import.js';
import type { WriteSink } from './unit-writer.js';

export interface ImportOptions {
  /** Called as the import goes (at most every `progressIntervalMs`, and once at the end). */
  onProgress?: (progress: ImportProgress) => void;
  progressIntervalMs?: number;
  /** Resources per `importMany` call; default 1000. */
  batchSize?: number;
  /**
   * Ids for resources created by `POST` entries (and for collection entries that have a
   * fullUrl but no id); default random UUIDs. Called once per such resource, files in the
   * order read (folders in name order), entries in Bundle order.
   */
  newId?: () => string;
  /** Milliseconds clock for elapsed time and rates; default `performance.now`. */
  now?: () => number;
}

/** Splits a file into lines as it streams (a line may be as long as memory allows). */
async function* readLines(path: string): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    const text = rest + decoder.write(chunk as Buffer);
    const lines = text.split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) yield line;
  }
  rest += decoder.end();
  if (rest) yield rest;
}

function parseJson(text: string): { value: unknown } | { error: string } {
  try {
    return { value: JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as unknown };
  } catch (err) {
    return { error: `not valid JSON: ${(err as Error).message}` };
  }
}

/**
 * Imports every file under `paths` into `repo` and returns what was stored and what
 * failed. Never throws for bad input: each problem is an issue naming its file and entry.
 */
export async function importPaths(repo: FhirRepository, paths: readonly string[], options: ImportOptions = {}): Promise<ImportSummary> {
  const now = options.now ?? (() => performance.now());
  const newId = options.newId ?? randomUUID;
  const interval = options.progressIntervalMs ?? 250;
  const started = now();
  const { files, issues: pathIssues } = sourceFiles(paths);
  const errors: ImportIssue[] = [...pathIssues];
  const byType: Record<string, number> = {};
  const transactions = { stored: 0, failed: 0 };
  let resources = 0;
  let skipped = 0;
  let filesDone = 0;
  let bytesDone = 0;
  let current = '';
  let lastProgress = -Infinity;
  const bytesTotal = files.reduce((n, f) => n + f.bytes, 0);

  const progress = (force: boolean): void => {
    if (!options.onProgress) return;
    const t = now();
    if (!force && t - lastProgress < interval) return;
    lastProgress = t;
    options.onProgress({ filesDone, filesTotal: files.length, bytesDone, bytesTotal, resources, errors: errors.length, elapsedMs: t - started, file: current });
  };
  const sink: WriteSink = {
    stored(type, n) {
      byType[type] = (byType[type] ?? 0) + n;
      resources += n;
      progress(false);
    },
    issue(issue) {
      errors.push(issue);
    },
    transaction(ok) {
      if (ok) transactions.stored++;
      else transactions.failed++;
    },
  };
  const writer = new UnitWriter(repo, sink, options.batchSize ?? DEFAULT_BATCH_SIZE);

  const importDocument = async (doc: unknown, file: string, where: string): Promise<void> => {
    const plan = planDocument(doc, file, where, newId);
    errors.push(...plan.issues);
    skipped += plan.skipped;
    transactions.failed += plan.failedTransactions;
    for (const unit of plan.units) await writer.add(unit);
  };

  const importFile = async (f: SourceFile): Promise<void> => {
    if (isHl7Name(f.path)) {
      await writer.flush(); // results find their patients among resources imported before them
      await importHl7File(repo, f.path, { ...sink, skipped: () => void skipped++ });
      bytesDone += f.bytes;
      return;
    }
    if (f.ndjson) {
      const base = bytesDone;
      let line = 0;
      for await (const text of readLines(f.path)) {
        line++;
        bytesDone += text.length + 1;
        if (!text.trim()) continue;
        const parsed = parseJson(text);
        if ('error' in parsed) errors.push({ file: f.path, where: `line ${line}`, message: parsed.error });
        else await importDocument(parsed.value, f.path, `line ${line}`);
      }
      bytesDone = base + f.bytes;
      return;
    }
    const parsed = parseJson(await readFile(f.path, 'utf8'));
    if ('error' in parsed) errors.push({ file: f.path, where: '', message: parsed.error });
    else await importDocument(parsed.value, f.path, '');
    bytesDone += f.bytes;
  };

  for (const f of files) {
    current = f.path;
    try {
      await importFile(f);
    } catch (err) {
      errors.push({ file: f.path, where: '', message: err instanceof Error ? err.message : String(err) });
    }
    filesDone++;
    progress(false);
  }
  await writer.flush();
  const elapsedMs = now() - started;
  progress(true);
  return {
    files: files.length,
    resources,
    byType,
    transactions,
    skipped,
    errors,
    elapsedMs,
    resourcesPerSecond: elapsedMs > 0 ? (resources * 1000) / elapsedMs : 0,
  };
}
