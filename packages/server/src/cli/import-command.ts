/**
 * `chartroom import --data DIR [--store postgres://…] PATH…`: imports FHIR Bundles,
 * resources, NDJSON files and folders of them, with progress on stderr and a summary.
 */
import { importPaths } from '../import/import-paths.js';
import type { ImportSummary } from '../import/import-types.js';
import { openDataStore } from './open-data-store.js';
import { useBulkWriteCache } from '../store/sqlite-dialect.js';
import { isChartroomExport } from '../continuity/practice-export.js';
import { runRestoreExport } from './export-command.js';
import { formatCount, progressReporter } from '../import/progress-reporter.js';
import type { ProgressReporter } from '../import/progress-reporter.js';

/** Errors listed one by one before the rest are only counted. */
const MAX_LISTED_ERRORS = 200;

/** Prints the end-of-import summary: counts per type, rate, and the errors with file and entry. */
export function formatImportSummary(s: ImportSummary): string {
  const lines: string[] = [];
  const seconds = s.elapsedMs / 1000;
  lines.push(
    `Imported ${formatCount(s.resources)} resources from ${formatCount(s.files)} file${s.files === 1 ? '' : 's'} in ${seconds.toFixed(1)} s (${formatCount(s.resourcesPerSecond)} resources/s).`,
  );
  const types = Object.entries(s.byType).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const width = Math.max(0, ...types.map(([t]) => t.length));
  for (const [type, n] of types) lines.push(`  ${type.padEnd(width)}  ${formatCount(n).padStart(9)}`);
  if (s.transactions.stored || s.transactions.failed) {
    lines.push(`Transactions: ${formatCount(s.transactions.stored)} stored, ${formatCount(s.transactions.failed)} failed (a failed transaction stores nothing).`);
  }
  if (s.skipped) lines.push(`Skipped ${formatCount(s.skipped)} entries that are not resources to store (search outcomes).`);
  if (s.errors.length) {
    lines.push(`${formatCount(s.errors.length)} error${s.errors.length === 1 ? '' : 's'}:`);
    for (const e of s.errors.slice(0, MAX_LISTED_ERRORS)) lines.push(`  ${e.file}${e.where ? ` ${e.where}` : ''}: ${e.message}`);
    if (s.errors.length > MAX_LISTED_ERRORS) lines.push(`  … and ${formatCount(s.errors.length - MAX_LISTED_ERRORS)} more`);
  }
  return lines.join('\n');
}

/** `chartroom import`; returns 0 when everything was imported, 1 when anything failed. */
export async function runImport(data: string, paths: string[], storeUrl?: string): Promise<number> {
  if (paths.length === 1 && paths[0] !== undefined && isChartroomExport(paths[0])) return runRestoreExport(data, paths[0], storeUrl);
  const store = await openDataStore(data, storeUrl);
  useBulkWriteCache(store.dialect);
  try {
    let bar: ProgressReporter | undefined;
    let summary: ImportSummary;
    try {
      summary = await importPaths(store.repo, paths, {
        onProgress: (p) => {
          bar ??= progressReporter({ label: 'import', total: p.bytesTotal });
          const rate = p.elapsedMs > 0 ? (p.resources * 1000) / p.elapsedMs : 0;
          bar.update(
            p.bytesDone,
            `${p.filesDone}/${p.filesTotal} files | ${formatCount(p.resources)} resources | ${formatCount(rate)}/s${p.errors ? ` | ${formatCount(p.errors)} errors` : ''}`,
          );
        },
      });
    } finally {
      bar?.stop();
    }
    const text = formatImportSummary(summary);
    if (summary.errors.length) console.error(text);
    else console.log(text);
    return summary.errors.length ? 1 : 0;
  } finally {
    await store.close();
  }
}
