/**
 * `chartroom export --data DIR --out DIR`: the whole practice as files — the current
 * resources as FHIR NDJSON per type (`Patient.ndjson`, …, what other systems read, see
 * https://hl7.org/fhir/uv/bulkdata/), plus `_history.ndjson`, every revision in change-log
 * order with its parent, generation, tombstone and leaf flags and its JSON verbatim, and
 * `export.json` (a manifest). {@link restoreExport} loads such a folder into an empty store
 * and reproduces every resource and revision exactly (same ids, revision ids and content).
 *
 * The files are NOT encrypted: an export is for moving a practice or handing its data
 * over, and must be kept on encrypted storage or deleted after use.
 */
import { appendFileSync, createReadStream, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { extractIndexRows } from '@chartroom/core';
import type { Resource } from '@medplum/fhirtypes';
import type { Store } from '../store/open-store.js';
import type { StoreDialect } from '../store/dialect.js';
import { writeStatementsFor } from '../store/write-statements.js';
import { scanResources, scanRevisions } from './resource-scan.js';
import type { ScannedRevision } from './resource-scan.js';

/** `export.json`. */
export interface ExportManifest {
  format: 'chartroom-export/1';
  exportedAt: string;
  practiceName: string | undefined;
  /** Current (not deleted) resources per type: the lines of each `<Type>.ndjson`. */
  counts: Record<string, number>;
  /** Lines of `_history.ndjson`. */
  revisions: number;
}

export const EXPORT_MANIFEST = 'export.json';
export const HISTORY_FILE = '_history.ndjson';

/** True when `dir` holds a Chartroom export (its manifest). */
export function isChartroomExport(dir: string): boolean {
  return existsSync(join(dir, EXPORT_MANIFEST));
}

/** Buffers lines per file and appends them in large writes. */
class LineFiles {
  private readonly buffers = new Map<string, string[]>();
  private size = 0;
  constructor(private readonly dir: string) {}
  add(name: string, line: string): void {
    let b = this.buffers.get(name);
    if (!b) {
      this.buffers.set(name, (b = []));
      writeFileSync(join(this.dir, name), '', { mode: 0o600 });
    }
    b.push(line);
    this.size += line.length;
    if (this.size > 8 << 20) this.flush();
  }
  flush(): void {
    for (const [name, lines] of this.buffers) {
      if (lines.length) appendFileSync(join(this.dir, name), lines.join('\n') + '\n');
      this.buffers.set(name, []);
    }
    this.size = 0;
  }
}

/** Writes the practice to `outDir` (which must be empty or absent); returns the manifest. */
export async function exportPractice(dialect: StoreDialect, outDir: string, opts: { practiceName?: string; now?: () => number } = {}): Promise<ExportManifest> {
  const dir = resolve(outDir);
  if (existsSync(dir) && readdirSync(dir).length) throw new Error(`${dir} is not empty; export into a new folder`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const exportedAt = new Date((opts.now ?? Date.now)()).toISOString();
  const files = new LineFiles(dir);
  const counts: Record<string, number> = {};
  for await (const r of scanResources(dialect)) {
    files.add(`${r.type}.ndjson`, r.json);
    counts[r.type] = (counts[r.type] ?? 0) + 1;
  }
  let revisions = 0;
  for await (const v of scanRevisions(dialect)) {
    // The stored JSON goes in as a string so that it comes back byte for byte.
    files.add(HISTORY_FILE, JSON.stringify({ type: v.type, id: v.id, rev: v.rev, parent: v.parent, generation: v.generation, deleted: v.deleted, leaf: v.leaf, current: v.current, lastUpdated: v.lastUpdated, content: v.content }));
    revisions++;
  }
  if (revisions === 0) writeFileSync(join(dir, HISTORY_FILE), '', { mode: 0o600 });
  files.flush();
  const manifest: ExportManifest = {
    format: 'chartroom-export/1',
    exportedAt,
    practiceName: opts.practiceName,
    counts: Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b))),
    revisions,
  };
  writeFileSync(join(dir, EXPORT_MANIFEST), JSON.stringify(manifest, null, 2) + '\n', { mode: 0o600 });
  return manifest;
}

type HistoryLine = Omit<ScannedRevision, 'seq'>;

function parseLine(line: string, n: number): HistoryLine {
  const v = JSON.parse(line) as HistoryLine;
  if (typeof v.type !== 'string' || typeof v.id !== 'string' || typeof v.rev !== 'string' || typeof v.content !== 'string' || typeof v.generation !== 'number') {
    throw new Error(`${HISTORY_FILE} line ${n}: not a revision record`);
  }
  return v;
}

const BATCH = 1000;

/**
 * Loads an export folder into `store`, which must be empty: every revision is stored as it
 * was (ids, revision ids, parents, tombstones, timestamps, JSON), in the same change-log
 * order, and the search indexes are rebuilt from the current versions. All or nothing per
 * batch of {@link BATCH}; an empty store is checked first.
 */
export async function restoreExport(store: Store, dir: string): Promise<{ revisions: number; resources: number }> {
  const manifest = JSON.parse(readFileSync(join(dir, EXPORT_MANIFEST), 'utf8')) as ExportManifest;
  if (manifest.format !== 'chartroom-export/1') throw new Error(`${dir}: unknown export format "${String(manifest.format)}"`);
  if ((await store.repo.lastSeq()) !== 0) throw new Error('The target already holds data; an export is restored into an empty node only (nothing was changed).');
  const statements = writeStatementsFor(store.dialect);
  const rks = new Map<string, number>();
  let revisions = 0;
  let batch: HistoryLine[] = [];
  const writeBatch = async (lines: HistoryLine[]): Promise<void> => {
    await store.writes.run(async (tx) => {
      const indexItems: { rk: number; type: string; rows: ReturnType<typeof extractIndexRows> }[] = [];
      for (const v of lines) {
        const key = `${v.type}/${v.id}`;
        const change = await tx.insertInto('changes').values({ type: v.type, id: v.id, rev: v.rev, deleted: v.deleted ? 1 : 0 }).returning('seq').executeTakeFirstOrThrow();
        const seq = Number(change.seq);
        let rk = rks.get(key);
        if (rk === undefined) {
          const row = await tx
            .insertInto('resources')
            .values({ type: v.type, id: v.id, rev: v.rev, deleted: v.deleted ? 1 : 0, last_updated: v.lastUpdated, seq, content: v.content })
            .returning('rk')
            .executeTakeFirstOrThrow();
          rk = Number(row.rk);
          rks.set(key, rk);
        } else if (v.current) {
          await tx.updateTable('resources').set({ rev: v.rev, deleted: v.deleted ? 1 : 0, last_updated: v.lastUpdated, seq, content: v.content }).where('rk', '=', rk).execute();
        } else {
          await tx.updateTable('resources').set({ seq }).where('rk', '=', rk).execute();
        }
        await tx
          .insertInto('revisions')
          .values({ rk, rev: v.rev, parent_rev: v.parent, generation: v.generation, deleted: v.deleted ? 1 : 0, leaf: v.leaf ? 1 : 0, last_updated: v.lastUpdated, seq, content: v.content })
          .execute();
        if (v.current && !v.deleted) indexItems.push({ rk, type: v.type, rows: extractIndexRows(JSON.parse(v.content) as Resource) });
      }
      await statements.insertIndexRows(tx, indexItems);
    });
  };
  const lines = createInterface({ input: createReadStream(join(dir, HISTORY_FILE)), crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (!line.trim()) continue;
    batch.push(parseLine(line, n));
    revisions++;
    if (batch.length >= BATCH) {
      await writeBatch(batch);
      batch = [];
    }
  }
  if (batch.length) await writeBatch(batch);
  if (revisions !== manifest.revisions) throw new Error(`${HISTORY_FILE} holds ${revisions} revisions; the manifest says ${manifest.revisions}: the export is incomplete`);
  return { revisions, resources: rks.size };
}
