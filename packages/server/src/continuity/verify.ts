/**
 * `chartroom verify`: checks a data directory or a backup file — the cipher's page
 * authentication (`PRAGMA cipher_integrity_check`), SQLite's structure
 * (`PRAGMA integrity_check`), the backup's SHA-256 against its manifest, counts per type,
 * the consistency of current rows with their revisions and of revision ancestry, the
 * audit chain when an audit verifier is available, and, when asked (`--resources`), every
 * current resource against today's write validation.
 */
import { OutcomeError } from '@chartroom/core';
import { loadDefinitions } from '../fhir/load-definitions.js';
import { validateForWrite } from '../store/validate-resource.js';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type Database from 'better-sqlite3-multiple-ciphers';
import { isDataDir, openDataDir, readKey } from '../data-dir.js';
import { openSqliteDatabase } from '../store/sqlite-dialect.js';
import { openBackupFile } from './open-backup-file.js';
import { databaseCounts, fileSha256, keyFingerprint, manifestPathOf } from './backup.js';
import type { BackupManifest } from './backup.js';

/** One check of a report. */
export interface VerifyCheck {
  name: string;
  /** `ok`; `problem` fails verification; `skipped` (not applicable or not available) does not. */
  status: 'ok' | 'problem' | 'skipped';
  detail: string;
}

/** The result of verifying a database. */
export interface VerifyReport {
  target: string;
  kind: 'data directory' | 'backup';
  checks: VerifyCheck[];
  counts: Record<string, number>;
  revisions: number;
  lastSeq: number;
  /** True when no check found a problem. */
  ok: boolean;
}

/**
 * An audit-chain verifier over a raw database connection (the security area's module
 * supplies one); it returns one check line.
 */
export type AuditChainVerifier = (db: Database.Database) => Promise<{ ok: boolean; detail: string }>;

export interface VerifyOptions {
  /** The key file (64 hex digits) for a backup file; default: the one its manifest names. */
  keyFile?: string;
  auditVerifier?: AuditChainVerifier | undefined;
  /**
   * Also validate every current resource as a write is validated today (slow on a large
   * practice: ~100 µs a resource). Finds data stored before a rule was added, which a peer
   * running this version would refuse to receive.
   */
  resources?: boolean;
}

/** Up to this many examples are named per failed consistency check. */
const EXAMPLES = 5;

function readKeyFile(file: string): string {
  const key = readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/i.test(key)) throw new Error(`Key file ${file} does not hold a 256-bit hex key.`);
  return key;
}

/** Reads a backup's manifest, or undefined when there is none. */
export function readManifest(file: string): BackupManifest | undefined {
  const path = manifestPathOf(file);
  if (!existsSync(path)) return undefined;
  return JSON.parse(readFileSync(path, 'utf8')) as BackupManifest;
}

/** Finds what to open: the database file and its key. */
function locate(target: string, opts: VerifyOptions): { file: string; keyHex: string; kind: VerifyReport['kind']; manifest: BackupManifest | undefined } {
  const abs = resolve(target);
  if (!existsSync(abs)) throw new Error(`${abs} does not exist`);
  if (statSync(abs).isDirectory()) {
    if (!isDataDir(abs)) throw new Error(`${abs} is a folder but not a Chartroom data directory`);
    const dd = openDataDir(abs);
    return { file: dd.dbFile, keyHex: opts.keyFile ? readKeyFile(opts.keyFile) : readKey(dd), kind: 'data directory', manifest: undefined };
  }
  const manifest = readManifest(abs);
  const keyFile = opts.keyFile ?? manifest?.keyFile;
  if (!keyFile) throw new Error(`${abs} has no manifest naming its key; give --key FILE`);
  if (!existsSync(keyFile)) throw new Error(`Key file ${keyFile} is missing; give the node's key with --key FILE`);
  return { file: abs, keyHex: readKeyFile(keyFile), kind: 'backup', manifest };
}

/** Examples of failing rows, as text. */
function examples(rows: unknown[]): string {
  return rows
    .slice(0, EXAMPLES)
    .map((r) => Object.values(r as Record<string, unknown>).join(' '))
    .join('; ');
}

/** Consistency of the resources, revisions and changes tables. */
function consistencyChecks(db: Database.Database): VerifyCheck[] {
  const checks: VerifyCheck[] = [];
  const query = (name: string, text: string, what: string): void => {
    const rows = db.prepare(text).all();
    checks.push(rows.length ? { name, status: 'problem', detail: `${rows.length}${rows.length >= 1000 ? '+' : ''} ${what}: ${examples(rows)}` } : { name, status: 'ok', detail: 'consistent' });
  };
  query(
    'current rows have their revision',
    `SELECT r.type, r.id, r.rev FROM resources r LEFT JOIN revisions v ON v.rk = r.rk AND v.rev = r.rev
     WHERE v.rk IS NULL OR v.content <> r.content OR v.deleted <> r.deleted OR v.leaf <> 1 LIMIT 1000`,
    'current rows whose revision is missing, differs or is not a leaf',
  );
  query(
    'revisions belong to a resource',
    `SELECT v.rk, v.rev FROM revisions v LEFT JOIN resources r ON r.rk = v.rk WHERE r.rk IS NULL LIMIT 1000`,
    'revisions of no resource',
  );
  query(
    'revision ancestry',
    `SELECT r.type, r.id, v.rev FROM revisions v JOIN resources r ON r.rk = v.rk
     LEFT JOIN revisions p ON p.rk = v.rk AND p.rev = v.parent_rev
     WHERE (v.parent_rev IS NULL AND v.generation <> 1)
        OR (v.parent_rev IS NOT NULL AND (p.rk IS NULL OR p.generation <> v.generation - 1 OR p.leaf <> 0)) LIMIT 1000`,
    'revisions whose parent is missing, of the wrong generation or still marked a leaf',
  );
  query(
    'revision ids match their content',
    `SELECT r.type, r.id, v.rev FROM revisions v JOIN resources r ON r.rk = v.rk
     WHERE v.deleted = 0 AND coalesce(json_extract(v.content, '$.meta.versionId'), '') <> v.rev LIMIT 1000`,
    'revisions whose meta.versionId is not their id',
  );
  query(
    'change log covers every revision',
    `SELECT r.type, r.id, v.rev, v.seq FROM revisions v JOIN resources r ON r.rk = v.rk
     LEFT JOIN changes c ON c.seq = v.seq WHERE c.seq IS NULL OR c.rev <> v.rev OR c.id <> r.id OR c.type <> r.type LIMIT 1000`,
    'revisions without their change-log entry',
  );
  return checks;
}

/** Every current resource validated as a write would be; the failures named with their first issue. */
function resourceValidationCheck(db: Database.Database): VerifyCheck {
  loadDefinitions();
  let checked = 0;
  const failures: string[] = [];
  for (const row of db.prepare('SELECT type, id, content FROM resources WHERE deleted = 0 ORDER BY rk').iterate() as Iterable<{ type: string; id: string; content: string }>) {
    checked++;
    try {
      validateForWrite(JSON.parse(row.content));
    } catch (err) {
      const issue = err instanceof OutcomeError ? err.outcome.issue[0] : undefined;
      failures.push(`${row.type}/${row.id}: ${issue?.diagnostics ?? (err as Error).message}`);
    }
  }
  return failures.length === 0
    ? { name: 'resource validation', status: 'ok', detail: `all ${checked} current resources pass today's validation` }
    : {
        name: 'resource validation',
        status: 'problem',
        detail: `${failures.length} of ${checked} current resources fail today's validation (a peer would refuse them; correct and save them): ${failures.slice(0, EXAMPLES).join('; ')}`,
      };
}

/** Verifies a data directory or a backup file and returns the report (it never changes the database). */
export async function verifyTarget(target: string, opts: VerifyOptions = {}): Promise<VerifyReport> {
  const { file, keyHex, kind, manifest } = locate(target, opts);
  const checks: VerifyCheck[] = [];
  const report: VerifyReport = { target: resolve(target), kind, checks, counts: {}, revisions: 0, lastSeq: 0, ok: false };
  if (manifest) {
    const fp = keyFingerprint(keyHex);
    checks.push(
      fp === manifest.keyFingerprint
        ? { name: 'key', status: 'ok', detail: `fingerprint ${fp} matches the manifest` }
        : { name: 'key', status: 'problem', detail: `the key's fingerprint ${fp} is not the backup's (${manifest.keyFingerprint}): wrong key file` },
    );
    const sha = await fileSha256(file);
    checks.push(
      sha === manifest.sha256
        ? { name: 'file checksum', status: 'ok', detail: `SHA-256 matches the manifest (${manifest.bytes} bytes, taken ${manifest.createdAt})` }
        : { name: 'file checksum', status: 'problem', detail: `SHA-256 ${sha.slice(0, 16)}… differs from the manifest's ${manifest.sha256.slice(0, 16)}…: the file changed after the backup` },
    );
  } else if (kind === 'backup') {
    checks.push({ name: 'file checksum', status: 'skipped', detail: 'no manifest beside the file' });
  }
  let db: Database.Database;
  try {
    db = kind === 'backup' ? openBackupFile(file, keyHex) : openSqliteDatabase({ file, keyHex });
  } catch (err) {
    checks.push({ name: 'open', status: 'problem', detail: (err as Error).message });
    return finish(report);
  }
  try {
    const step = (name: string, fn: () => VerifyCheck | VerifyCheck[]): boolean => {
      try {
        const out = fn();
        checks.push(...(Array.isArray(out) ? out : [out]));
        return true;
      } catch (err) {
        checks.push({ name, status: 'problem', detail: `${(err as { code?: string }).code ?? 'error'}: ${(err as Error).message}` });
        return false;
      }
    };
    const cipherOk = step('cipher integrity', () => {
      const rows = db.pragma('cipher_integrity_check') as Record<string, unknown>[];
      return rows.length === 0
        ? { name: 'cipher integrity', status: 'ok', detail: 'every page authenticates with the key' }
        : { name: 'cipher integrity', status: 'problem', detail: `${rows.length} page(s) fail authentication: ${examples(rows)}` };
    });
    step('database integrity', () => {
      const rows = db.pragma('integrity_check') as { integrity_check: string }[];
      const bad = rows.filter((r) => r.integrity_check !== 'ok');
      return bad.length === 0
        ? { name: 'database integrity', status: 'ok', detail: 'PRAGMA integrity_check: ok' }
        : { name: 'database integrity', status: 'problem', detail: bad.slice(0, EXAMPLES).map((r) => r.integrity_check).join('; ') };
    });
    if (cipherOk) {
      step('counts', () => {
        const c = databaseCounts(db);
        report.counts = c.counts;
        report.revisions = c.revisions;
        report.lastSeq = c.lastSeq;
        const total = Object.values(c.counts).reduce((a, b) => a + b, 0);
        if (manifest && (manifest.revisions !== c.revisions || manifest.lastSeq !== c.lastSeq || JSON.stringify(manifest.counts) !== JSON.stringify(c.counts))) {
          return { name: 'counts', status: 'problem', detail: `counts differ from the manifest (${c.revisions} revisions, seq ${c.lastSeq}; manifest ${manifest.revisions}, seq ${manifest.lastSeq})` };
        }
        return { name: 'counts', status: 'ok', detail: `${total} current resources of ${Object.keys(c.counts).length} types, ${c.revisions} revisions, change log at ${c.lastSeq}` };
      });
      step('consistency', () => consistencyChecks(db));
      if (opts.resources) step('resource validation', () => resourceValidationCheck(db));
    }
    if (opts.auditVerifier) {
      try {
        const a = await opts.auditVerifier(db);
        checks.push({ name: 'audit chain', status: a.ok ? 'ok' : 'problem', detail: a.detail });
      } catch (err) {
        checks.push({ name: 'audit chain', status: 'problem', detail: (err as Error).message });
      }
    } else {
      checks.push({ name: 'audit chain', status: 'skipped', detail: 'not available (no audit module in this build)' });
    }
  } finally {
    db.close();
  }
  return finish(report);
}

function finish(report: VerifyReport): VerifyReport {
  report.ok = report.checks.every((c) => c.status !== 'problem');
  return report;
}

/** The report as text, one line per check, then counts per type. */
export function formatVerifyReport(r: VerifyReport): string {
  const mark = { ok: 'ok     ', problem: 'PROBLEM', skipped: 'skipped' } as const;
  const lines = [`Verifying ${r.kind} ${r.target}`];
  for (const c of r.checks) lines.push(`  ${mark[c.status]}  ${c.name}: ${c.detail}`);
  const types = Object.entries(r.counts);
  if (types.length) {
    const width = Math.max(...types.map(([t]) => t.length));
    lines.push('  resources by type:');
    for (const [t, n] of types) lines.push(`    ${t.padEnd(width)}  ${String(n).padStart(9)}`);
  }
  lines.push(r.ok ? 'Verified: no problems found.' : `FAILED: ${r.checks.filter((c) => c.status === 'problem').length} problem(s) found.`);
  return lines.join('\n');
}
