/**
 * The files an import reads: the paths given, and inside folders (recursively, in name
 * order) every `.json`, `.ndjson`, `.jsonl` and `.hl7` (HL7 v2 results) file that is not hidden.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ImportIssue } from './import-types.js';

export interface SourceFile {
  path: string;
  bytes: number;
  /** One resource (or Bundle) per line (https://hl7.org/fhir/R4/nd-json.html). */
  ndjson: boolean;
}

const IMPORTABLE = /\.(json|ndjson|jsonl|hl7)$/i;

/** True for a file name read as newline-delimited JSON. */
export function isNdjsonName(path: string): boolean {
  return /\.(ndjson|jsonl)$/i.test(path);
}

function walk(dir: string, out: SourceFile[], issues: ImportIssue[], seen: Set<string>): void {
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (err) {
    issues.push({ file: dir, where: '', message: `cannot read folder: ${(err as Error).message}` });
    return;
  }
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const path = join(dir, name);
    let st;
    try {
      st = statSync(path);
    } catch (err) {
      issues.push({ file: path, where: '', message: `cannot read: ${(err as Error).message}` });
      continue;
    }
    if (st.isDirectory()) {
      // A symbolic link back up the tree would otherwise be walked forever.
      const key = `${st.dev}:${st.ino}`;
      if (!seen.has(key)) {
        seen.add(key);
        walk(path, out, issues, seen);
      }
    } else if (st.isFile() && IMPORTABLE.test(name)) out.push({ path, bytes: st.size, ndjson: isNdjsonName(name) });
  }
}

/** Expands the paths given into the files to read; a path that cannot be read is an issue. */
export function sourceFiles(paths: readonly string[]): { files: SourceFile[]; issues: ImportIssue[] } {
  const files: SourceFile[] = [];
  const issues: ImportIssue[] = [];
  const seen = new Set<string>();
  for (const path of paths) {
    let st;
    try {
      st = statSync(path);
    } catch {
      issues.push({ file: path, where: '', message: 'no such file or folder' });
      continue;
    }
    if (st.isDirectory()) {
      seen.add(`${st.dev}:${st.ino}`);
      walk(path, files, issues, seen);
    } else files.push({ path, bytes: st.size, ndjson: isNdjsonName(path) });
  }
  return { files, issues };
}
