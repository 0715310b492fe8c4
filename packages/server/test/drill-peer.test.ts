/**
 * `chartroom drill --sync-now` and `drill --reconcile` against a real hub in its own process
 * (enrolled with `peer invite` / `peer join`): the catch-up sends this node's writes and
 * receives the hub's; the reconciliation counts only what was written on this node (changes
 * received from the hub are counted apart); with the hub gone the drill fails and says what
 * is still waiting; once the hub is back it catches up.
 */
import { runCli } from './helpers/console-capture.js';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initDataDir } from '../src/data-dir.js';
import { openDataStore } from '../src/cli/open-data-store.js';
import { NodeProcess, freePort } from './sync-fault-kit.js';

const cli = runCli;

/** Writes patients on the node (the CLI is not running: the store is opened here). */
async function writePatients(dir: string, ids: string[]): Promise<void> {
  const store = await openDataStore(dir);
  try {
    for (const id of ids) await store.repo.update({ resourceType: 'Patient', id, name: [{ family: `Local ${id}` }] });
  } finally {
    await store.close();
  }
}

describe('drill against a real hub', () => {
  const root = mkdtempSync(join(tmpdir(), 'chartroom-drill-peer-'));
  let hub: NodeProcess;
  let nodeDir: string;
  before(async () => {
    hub = new NodeProcess('hub', initDataDir(join(root, 'hub'), { practiceName: 'Riverside' }).dir, await freePort());
    await hub.start();
    nodeDir = initDataDir(join(root, 'node'), { practiceName: 'Riverside' }).dir;
    const configPath = join(nodeDir, 'config.json');
    const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
    config.downtimeKit = { folders: [join(root, 'kit')], passphrase: 'drill passphrase 1234' };
    writeFileSync(configPath, JSON.stringify(config, null, 2));
    const invite = await cli(['peer', 'invite', '--data', hub.dir]);
    assert.equal(invite.code, 0, invite.err);
    const joined = await cli(['peer', 'join', '--data', nodeDir, hub.url, invite.out.split('\n').at(-1) ?? '']);
    assert.equal(joined.code, 0, joined.err);
  });
  after(async () => {
    await hub?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('catches up with the hub, counts only this node\'s writes, fails while the hub is gone and recovers', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    await writePatients(nodeDir, ['n1', 'n2', 'n3']);
    assert.match(await hub.send('write h1 FromHub'), /^ACK h1 /);
    const kit = await cli(['downtime-kit', '--data', nodeDir]);
    assert.equal(kit.code, 0, kit.err);

    const drill = await cli(['drill', '--data', nodeDir, '--sync-now']);
    assert.equal(drill.code, 0, drill.out + drill.err);
    assert.match(drill.out, /PASS {2}after the outage: sync catch-up: 1 peer\(s\) in \d+\.\d s: 3 of 3 change\(s\) written here sent, 1 change\(s\) received$/m, drill.out);
    assert.match(drill.out, /PASS {2}node unreachable: kit opens/);
    const dump = JSON.parse((await hub.send('dump')).replace(/^DUMP /, '')) as { winners: string[] };
    for (const id of ['n1', 'n2', 'n3']) assert.ok(dump.winners.some((w) => w.startsWith(`Patient/${id} `)), `the hub has Patient/${id}`);

    const rec = await cli(['drill', '--data', nodeDir, '--reconcile', '--since', since]);
    assert.equal(rec.code, 0, rec.err);
    assert.match(rec.out, /3 change\(s\) written on this node \(1 received from peers, not counted\)/, rec.out);
    assert.match(rec.out, /Patient {2,}3$/m);
    assert.match(rec.out, /: 3 acknowledged \(last success [^)]+\), 0 waiting; state /);

    // The hub goes away during the outage; the node keeps writing.
    await hub.kill9();
    await writePatients(nodeDir, ['n4', 'n5']);
    const down = await cli(['drill', '--data', nodeDir, '--sync-now']);
    assert.equal(down.code, 1, 'a catch-up that did not happen is a failed drill');
    assert.match(down.out, /FAIL {2}after the outage: sync catch-up: 1 peer\(s\) in \d+\.\d s: 0 of 2 change\(s\) written here sent, 0 change\(s\) received; 2 still waiting; /, down.out);
    assert.match(down.out, /PASS {2}hub unreachable: charts on this node: 6 patients readable/, 'five written here, one from the hub');
    assert.match(down.out, /PASS {2}hub unreachable: replication status: 2 change\(s\) written here wait for a peer;/);
    const waiting = await cli(['drill', '--data', nodeDir, '--reconcile', '--since', since]);
    assert.match(waiting.out, /5 change\(s\) written on this node \(1 received from peers, not counted\)/, waiting.out);
    assert.match(waiting.out, /: 3 acknowledged \([^)]+\), 2 waiting; state /);
    assert.match(waiting.out, /wrote Patient\/n4[\s\S]*wrote Patient\/n5/);

    // Back online: the two writes go out.
    await hub.start();
    const back = await cli(['drill', '--data', nodeDir, '--sync-now']);
    assert.equal(back.code, 0, back.out);
    assert.match(back.out, /PASS {2}after the outage: sync catch-up: 1 peer\(s\) in \d+\.\d s: 2 of 2 change\(s\) written here sent, 0 change\(s\) received$/m, back.out);
    const later = JSON.parse((await hub.send('dump')).replace(/^DUMP /, '')) as { winners: string[] };
    assert.ok(later.winners.some((w) => w.startsWith('Patient/n5 ')));
  });
});
