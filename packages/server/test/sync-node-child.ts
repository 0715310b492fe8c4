/**
 * A replicating node in its own process, for the fault tests and the soak script: opens
 * the data directory NODE_DIR (clock skewed by SKEW_MS), serves the sync routes on
 * 127.0.0.1:PORT, replicates continuously with its peers, and takes commands on stdin:
 * `invite`, `join URL CODE`, `write ID FAMILY`, `dump`. Answers one line each on stdout
 * (`CODE …`, `JOINED`, `ACK ID REV`, `DUMP {json}`, `ERR …`); `READY` once listening.
 */
import { createInterface } from 'node:readline';
import type { Resource } from '@medplum/fhirtypes';
import { openDataDir, readKey } from '../src/data-dir.js';
import { openStore } from '../src/store/open-store.js';
import { buildApp } from '../src/http/app.js';
import { SyncService } from '../src/sync/sync-service.js';
import { joinPeer } from '../src/sync/join-peer.js';

const dir = process.env.NODE_DIR ?? '';
const port = Number(process.env.PORT ?? 0);
const skew = Number(process.env.SKEW_MS ?? 0);
const now = (): number => Date.now() + skew;

const dd = openDataDir(dir);
const store = await openStore({ kind: 'sqlite', file: dd.dbFile, keyHex: readKey(dd) }, { clock: { now } });
const sync = await SyncService.open({ store, nodeId: dd.config.nodeId, practice: dd.config.practiceName, refreshMs: 200, waitMs: 2000, batchSize: 20, now, log: () => undefined,
  // The fault workload rewrites its few resources all the time; the safety valve is tested on its own.
  quarantine: { floor: Number(process.env.QUARANTINE_FLOOR ?? 20) },
});
const app = await buildApp({ repo: store.repo, sync });
const address = await app.listen({ port, host: '127.0.0.1' });
sync.start();
process.stdout.write(`READY ${address}\n`);

async function dump(): Promise<string> {
  const db = store.dialect.db;
  const revs = await db
    .selectFrom('revisions as v')
    .innerJoin('resources as r', 'r.rk', 'v.rk')
    .select(['r.type', 'r.id', 'v.rev', 'v.parent_rev', 'v.deleted'])
    .orderBy('r.type')
    .orderBy('r.id')
    .orderBy('v.rev')
    .execute();
  const winners = await db.selectFrom('resources').select(['type', 'id', 'rev', 'conflicts']).orderBy('type').orderBy('id').execute();
  return JSON.stringify({
    revs: revs.map((r) => `${r.type}/${r.id} ${r.rev} ${r.parent_rev ?? '-'}${r.deleted ? ' x' : ''}`),
    winners: winners.map((w) => `${w.type}/${w.id} ${w.rev} ${w.conflicts}`),
  });
}

for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, ...args] = line.trim().split(/\s+/);
  try {
    if (cmd === 'invite') process.stdout.write(`CODE ${await sync.registry.invite(sync.identity)}\n`);
    else if (cmd === 'join') {
      await joinPeer(sync, args[0] ?? '', args[1] ?? '');
      process.stdout.write('JOINED\n');
    } else if (cmd === 'write') {
      const id = args[0] ?? 'x';
      const { version } = await store.repo.update({ resourceType: 'Patient', id, name: [{ family: args[1] ?? 'X' }] } as Resource);
      process.stdout.write(`ACK ${id} ${version.rev}\n`);
    } else if (cmd === 'dump') process.stdout.write(`DUMP ${await dump()}\n`);
    else process.stdout.write(`ERR unknown command ${cmd ?? ''}\n`);
  } catch (err) {
    process.stdout.write(`ERR ${(err as Error).message.replace(/\n/g, ' ')}\n`);
  }
}
await sync.close();
await app.close();
await store.close();
