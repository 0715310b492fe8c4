/**
 * `chartroom sync status|now|quarantine`: the replication status a running node last saved
 * (with its age), a one-off sync with every peer that exits non-zero when any direction
 * failed, and the batches held by the safety valve.
 */
import { parseArgs } from 'node:util';
import { openDataDir } from '../data-dir.js';
import { openDataStore } from './open-data-store.js';
import { UsageError } from './usage-error.js';
import type { ModuleCommand } from './main.js';
import { SyncService, savedSyncStatus } from '../sync/sync-service.js';
import type { SyncStatus } from '../sync/sync-service.js';

const USAGE = `sync status --data DIR [--store URL] [--json]       replication status per peer (as the running node last saved it)
  sync now    --data DIR [--store URL]              replicate once with every peer; exit 1 if anything failed
  sync quarantine list|approve ID|reject ID --data DIR [--store URL]
                                                   batches held because they would delete or rewrite too much`;

function printStatus(s: SyncStatus, live: boolean): void {
  console.log(`Node ${s.nodeId} (${s.practice}): ${s.state}${live ? '' : ` (saved by the running node at ${s.at})`}`);
  console.log(`  changes: ${s.lastSeq}; not yet acknowledged by a peer: ${s.pendingChanges}; conflicts: ${s.conflicts}; quarantined batches: ${s.quarantined}`);
  for (const p of s.peers) {
    console.log(`  ${p.direction === 'outbound' ? '→' : '←'} ${p.name} [${p.nodeId}] ${p.url ?? ''}`);
    console.log(`      state ${p.state}; last success ${p.lastSuccessAt ?? 'never'}; pending ${p.pendingChanges}${p.lastError ? `; last error: ${p.lastError}` : ''}`);
    if (p.audit && (p.audit.seq > 0 || p.audit.error)) {
      const whose = p.direction === 'outbound' ? 'this node\'s audit head accepted by the peer' : 'the peer\'s audit head accepted here';
      console.log(`      ${whose}: ${p.audit.seq}${p.audit.at ? ` at ${p.audit.at}` : ''}${p.audit.error ? `; REFUSED: ${p.audit.error}` : ''}`);
    }
  }
}

export const syncCommand: ModuleCommand = {
  usage: USAGE,
  async run(args: string[]): Promise<number> {
    const [sub, ...rest] = args;
    const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, strict: true, options: { data: { type: 'string' }, store: { type: 'string' }, json: { type: 'boolean' } } });
    if (!values.data) throw new UsageError(`chartroom sync ${sub ?? ''} needs --data DIR`);
    const dd = openDataDir(values.data);
    const store = await openDataStore(values.data, values.store);
    try {
      const sync = await SyncService.open({ store, nodeId: dd.config.nodeId, practice: dd.config.practiceName, log: () => undefined });
      switch (sub) {
        case 'status': {
          const saved = await savedSyncStatus(store);
          const live = await sync.status();
          // Peers' live states are known only to the running node; counts are read now.
          const status: SyncStatus = saved ? { ...saved, lastSeq: live.lastSeq, conflicts: live.conflicts, quarantined: live.quarantined } : live;
          if (values.json) console.log(JSON.stringify(status, null, 2));
          else printStatus(status, !saved);
          return 0;
        }
        case 'now': {
          const results = await sync.syncNow();
          if (results.length === 0) {
            console.error('chartroom: this node has no peers to sync with (chartroom peer join)');
            return 1;
          }
          let ok = true;
          for (const r of results) {
            for (const [dir, res] of [['push', r.push], ['pull', r.pull], ['audit head', r.audit]] as const) {
              console.log(`${r.peer} ${dir}: ${res.ok ? 'ok' : `FAILED: ${res.error ?? ''}`}`);
              ok &&= res.ok;
            }
          }
          console.log(ok ? 'Sync complete.' : 'Sync FAILED (see above); nothing is reported as synced that was not.');
          return ok ? 0 : 1;
        }
        case 'quarantine': {
          const [action, id] = positionals;
          const q = sync.endpoint.quarantine;
          if (action === 'list') {
            const held = await q.list();
            if (held.length === 0) console.log('No quarantined batches.');
            for (const b of held) console.log(`${b.id}\t${b.status}\tfrom ${b.peer}\t${b.docs} resources, ${b.destructive} deletions/rewrites of ${b.resources} live\t${new Date(b.createdAt).toISOString()}`);
            return 0;
          }
          if ((action === 'approve' || action === 'reject') && id) {
            if (action === 'approve') console.log(`Applied ${(await q.approve(id)).stored} revisions from batch ${id}.`);
            else {
              await q.reject(id);
              console.log(`Rejected batch ${id}; nothing from it was applied.`);
            }
            return 0;
          }
          throw new UsageError('chartroom sync quarantine list | approve ID | reject ID');
        }
        default:
          throw new UsageError(`Usage: chartroom ${USAGE}`);
      }
    } finally {
      await store.close();
    }
  },
};
