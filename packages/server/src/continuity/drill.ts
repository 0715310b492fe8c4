/**
 * `chartroom drill`: a downtime drill on a practice's node, without breaking anything —
 * 1. hub unreachable: the node's charts answer from the local store (reads and a search);
 *    the replication status says what is waiting for the hub and which conflicts are open;
 * 2. node unreachable: the configured downtime kit exists and is fresh, and a new kit opens
 *    with the practice passphrase (decrypted here exactly as the page does);
 * 3. the newest scheduled backup verifies;
 * 4. catching up: with `syncNow`, one sync with every peer, timed, with how many of this
 *    node's own writes went out and how many changes came in (received ones are marked, so
 *    they are never counted as this node's writes).
 * Each step is PASS, WARN or FAIL; the report is printed and the exit code is 1 on a FAIL.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSearchRequest } from '@chartroom/core';
import type { DataDir } from '../data-dir.js';
import type { Store } from '../store/open-store.js';
import { KIT_FILE, KIT_MANIFEST, kitPassphrase, writeDowntimeKit } from '../downtime/write-kit.js';
import type { KitData } from '../downtime/kit-data.js';
import { SyncService, savedSyncStatus } from '../sync/sync-service.js';
import type { SyncStatus } from '../sync/sync-service.js';
import type { ContinuityConfig } from './serve-schedules.js';
import { verifyTarget } from './verify.js';
import { lastChangeSeq, localChangesAfter, receivedAfter } from './received-changes.js';
import { syncDb } from '../store/sync-tables.js';

export interface DrillStep {
  step: string;
  status: 'PASS' | 'WARN' | 'FAIL';
  detail: string;
}

export interface DrillOptions {
  now?: number;
  /** Run one sync with every peer and time it. */
  syncNow?: boolean;
}

/** Opens a kit file as its page does (PBKDF2-SHA256 → AES-GCM → gunzip). */
export async function openKitFile(html: string, passphrase: string): Promise<KitData> {
  const block = /<script type="application\/json" id="kit-data">(.*?)<\/script>/s.exec(html)?.[1];
  if (!block) throw new Error('not a downtime kit');
  const sealed = JSON.parse(block) as { salt: string; iv: string; data: string; iterations: number };
  const subtle = globalThis.crypto.subtle;
  const base = await subtle.importKey('raw', new TextEncoder().encode(passphrase.normalize('NFC')), 'PBKDF2', false, ['deriveKey']);
  const key = await subtle.deriveKey({ name: 'PBKDF2', hash: 'SHA-256', salt: Buffer.from(sealed.salt, 'base64'), iterations: sealed.iterations }, base, { name: 'AES-GCM', length: 256 }, false, ['decrypt']);
  const plain = await subtle.decrypt({ name: 'AES-GCM', iv: Buffer.from(sealed.iv, 'base64') }, key, Buffer.from(sealed.data, 'base64'));
  return JSON.parse(await new Response(new Blob([plain]).stream().pipeThrough(new DecompressionStream('gzip'))).text()) as KitData;
}

function minutes(ms: number): string {
  return ms < 120_000 ? `${Math.round(ms / 1000)} s` : ms < 7_200_000 ? `${Math.round(ms / 60_000)} min` : `${(ms / 3_600_000).toFixed(1)} h`;
}

/** Runs the drill and returns its steps. */
export async function runDrill(dd: DataDir, store: Store, opts: DrillOptions = {}): Promise<DrillStep[]> {
  const now = opts.now ?? Date.now();
  const config = dd.config as unknown as ContinuityConfig;
  const steps: DrillStep[] = [];

  // 1. Hub unreachable: the local store answers on its own.
  const t0 = performance.now();
  const counts = await store.repo.countByType();
  const page = await store.repo.search(parseSearchRequest('Patient', { _count: '1', _sort: '-_lastUpdated' }));
  const first = page.matches[0];
  if (first) await store.repo.patientEverything(first.id);
  steps.push({
    step: 'hub unreachable: charts on this node',
    status: counts.Patient ? 'PASS' : 'WARN',
    detail: `${counts.Patient ?? 0} patients readable from the local store with no network (search and a whole chart in ${Math.round(performance.now() - t0)} ms)`,
  });
  let status: SyncStatus | undefined;
  let sync: SyncService | undefined;
  /** This node's own changes (received ones left out) the slowest outbound peer has not acknowledged. */
  const waiting = async (): Promise<number> => {
    let most = 0;
    for (const p of (status?.peers ?? []).filter((x) => x.direction === 'outbound')) {
      const cp = await syncDb(store.dialect.db).selectFrom('sync_checkpoints').select('seq').where('replication', '=', `${dd.config.nodeId}>${p.nodeId}`).executeTakeFirst();
      most = Math.max(most, await localChangesAfter(store.dialect.db, Number(cp?.seq ?? 0)));
    }
    return most;
  };
  try {
    sync = await SyncService.open({ store, nodeId: dd.config.nodeId, practice: dd.config.practiceName, log: () => undefined });
    const live = await sync.status();
    const saved = await savedSyncStatus(store);
    status = saved ? { ...saved, lastSeq: live.lastSeq, conflicts: live.conflicts, quarantined: live.quarantined } : live;
  } catch (err) {
    steps.push({ step: 'hub unreachable: replication status', status: 'WARN', detail: `not available: ${(err as Error).message}` });
  }
  if (status) {
    const peers = status.peers.map((p) => `${p.name || p.nodeId} (${p.state}, last success ${p.lastSuccessAt ?? 'never'})`);
    const local = await waiting();
    steps.push({
      step: 'hub unreachable: replication status',
      status: status.peers.length === 0 ? 'WARN' : 'PASS',
      detail:
        status.peers.length === 0
          ? 'this node has no peers: there is no off-site copy but the backups (chartroom peer join)'
          : `${local} change(s) written here wait for a peer; ${status.conflicts} conflicts open (GET /api/conflicts); ${status.quarantined} batches quarantined; peers: ${peers.join('; ')}`,
    });
  }

  // 2. Node unreachable: the kit.
  const kit = config.downtimeKit;
  if (!kit?.folders?.length) {
    steps.push({ step: 'node unreachable: downtime kit', status: 'FAIL', detail: 'no kit folders configured (config.json downtimeKit.folders): with the node down nobody can see the schedule' });
  } else {
    const interval = (kit.everyMinutes ?? 15) * 60_000;
    for (const folder of kit.folders) {
      const manifestPath = join(folder, KIT_MANIFEST);
      if (!existsSync(manifestPath) || !existsSync(join(folder, KIT_FILE))) {
        steps.push({ step: `node unreachable: kit in ${folder}`, status: 'FAIL', detail: 'no kit there (is serve running, and the folder mounted?)' });
        continue;
      }
      const m = JSON.parse(readFileSync(manifestPath, 'utf8')) as { dataAsOf: string; bytes: number; scheduledPatients: number };
      const age = now - Date.parse(m.dataAsOf);
      steps.push({
        step: `node unreachable: kit in ${folder}`,
        status: age <= 2 * interval ? 'PASS' : 'WARN',
        detail: `data ${minutes(age)} old (written every ${minutes(interval)}), ${(m.bytes / 1024).toFixed(0)} KiB, ${m.scheduledPatients} face sheets`,
      });
    }
    let passphrase: string | undefined;
    try {
      passphrase = kitPassphrase(kit);
    } catch (err) {
      steps.push({ step: 'node unreachable: kit opens', status: 'FAIL', detail: (err as Error).message });
    }
    if (passphrase) {
      const tmp = mkdtempSync(join(tmpdir(), 'chartroom-drill-'));
      try {
        const r = await writeDowntimeKit(store.repo, { folders: [tmp], passphrase, practiceName: dd.config.practiceName, now });
        const t1 = performance.now();
        const data = await openKitFile(readFileSync(join(tmp, KIT_FILE), 'utf8'), passphrase);
        steps.push({
          step: 'node unreachable: kit opens',
          status: data.faceSheets.length === r.patients ? 'PASS' : 'FAIL',
          detail: `a kit written now (${(r.elapsedMs / 1000).toFixed(1)} s, ${(r.bytes / 1024).toFixed(0)} KiB) opens with the practice passphrase in ${((performance.now() - t1) / 1000).toFixed(1)} s: ${r.appointments} appointments, ${data.faceSheets.length} face sheets`,
        });
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    }
  }

  // 3. The newest scheduled backup.
  const backupDir = config.backup?.dir;
  const newest = backupDir && existsSync(backupDir) ? readdirSync(backupDir).filter((f) => /^chartroom-\d{8}T\d{6}Z\.db$/.test(f)).sort().at(-1) : undefined;
  if (!backupDir || !newest) {
    steps.push({ step: 'backup', status: backupDir ? 'FAIL' : 'WARN', detail: backupDir ? `no backup in ${backupDir}` : 'no scheduled backups configured (config.json backup.dir)' });
  } else {
    const report = await verifyTarget(join(backupDir, newest));
    const m = /^chartroom-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/.exec(newest);
    const taken = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) : now;
    const problems = report.checks.filter((c) => c.status === 'problem').map((c) => c.name);
    steps.push({ step: 'backup', status: report.ok ? 'PASS' : 'FAIL', detail: `${newest}, ${minutes(now - taken)} old: ${report.ok ? 'verified' : `FAILED (${problems.join(', ')})`}` });
  }

  // 4. Catching up after the outage.
  if (opts.syncNow && sync && status && status.peers.length) {
    const db = store.dialect.db;
    const waitingBefore = await waiting();
    const seqBefore = await lastChangeSeq(db);
    const t2 = performance.now();
    const results = await sync.syncNow();
    const seconds = ((performance.now() - t2) / 1000).toFixed(1);
    const waitingAfter = await waiting();
    const received = await receivedAfter(db, seqBefore);
    const failed = results.flatMap((r) => [r.push, r.pull].filter((x) => !x.ok).map((x) => `${r.peer}: ${x.error ?? 'failed'}`));
    steps.push({
      step: 'after the outage: sync catch-up',
      status: failed.length || waitingAfter > 0 ? 'FAIL' : 'PASS',
      detail:
        `${results.length} peer(s) in ${seconds} s: ${waitingBefore - waitingAfter} of ${waitingBefore} change(s) written here sent, ${received} change(s) received` +
        `${waitingAfter ? `; ${waitingAfter} still waiting` : ''}${failed.length ? `; ${failed.join('; ')}` : ''}`,
    });
  } else if (status?.peers.length) {
    steps.push({ step: 'after the outage: sync catch-up', status: 'WARN', detail: 'not run (add --sync-now to time one sync with every peer)' });
  }
  return steps;
}

/** The drill report as text. */
export function formatDrill(practice: string, steps: readonly DrillStep[], now: number): string {
  const lines = [`Downtime drill for ${practice}, ${new Date(now).toISOString()}`];
  for (const s of steps) lines.push(`  ${s.status.padEnd(4)}  ${s.step}: ${s.detail}`);
  const fails = steps.filter((s) => s.status === 'FAIL').length;
  const warns = steps.filter((s) => s.status === 'WARN').length;
  lines.push(fails ? `Drill FAILED: ${fails} step(s) failed, ${warns} warning(s).` : `Drill passed${warns ? ` with ${warns} warning(s)` : ''}.`);
  return lines.join('\n');
}
