/**
 * The `chartroom peer` and `chartroom sync` commands against a hub running in its own
 * process: the enrolment code alone on the last line, join (and a reused code refused),
 * sync now (exit 0), status, quarantine list, sync now reporting failure (exit 1)
 * once the hub is gone, and `peer remove` on the hub refusing the node at once.
 */
import { runCli } from './helpers/console-capture.js';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initDataDir } from '../src/data-dir.js';
import { NodeProcess, freePort } from './sync-fault-kit.js';

const cli = runCli;

describe('chartroom peer and sync commands', () => {
  const root = mkdtempSync(join(tmpdir(), 'chartroom-sync-cli-'));
  let hub: NodeProcess;
  let nodeDir: string;
  before(async () => {
    hub = new NodeProcess('hub', initDataDir(join(root, 'hub'), { practiceName: 'Riverside' }).dir, await freePort());
    await hub.start();
    nodeDir = initDataDir(join(root, 'node'), { practiceName: 'Riverside' }).dir;
  });
  after(async () => {
    await hub?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('invites, joins, syncs, reports status, and says when sync failed', async () => {
    const invite = await cli(['peer', 'invite', '--data', hub.dir]);
    assert.equal(invite.code, 0, invite.err);
    const code = invite.out.split('\n').at(-1) ?? '';
    assert.match(code, /^CRJOIN1-[A-Za-z0-9_-]+$/, 'the code is alone on the last line');

    const joined = await cli(['peer', 'join', '--data', nodeDir, hub.url, code]);
    assert.equal(joined.code, 0, joined.err);
    const again = await cli(['peer', 'join', '--data', nodeDir, hub.url, code]);
    assert.equal(again.code, 1);
    assert.match(again.err, /already used/);
    const insecure = await cli(['peer', 'join', '--data', nodeDir, 'http://192.0.2.7:8080', code]);
    assert.equal(insecure.code, 2);
    assert.match(insecure.err, /plain http/);

    assert.match((await hub.send('write cli-1 FromHub')).toString(), /^ACK cli-1 /);
    const now = await cli(['sync', 'now', '--data', nodeDir]);
    assert.equal(now.code, 0, now.out + now.err);
    assert.match(now.out, /push: ok[\s\S]*pull: ok/);

    const status = await cli(['sync', 'status', '--data', nodeDir, '--json']);
    assert.equal(status.code, 0, status.err);
    const s = JSON.parse(status.out) as { peers: { direction: string; url: string }[]; lastSeq: number };
    assert.equal(s.peers[0]?.direction, 'outbound');
    assert.ok(s.lastSeq >= 1, 'the hub\'s write arrived');

    const q = await cli(['sync', 'quarantine', 'list', '--data', nodeDir]);
    assert.equal(q.code, 0);
    assert.match(q.out, /No quarantined batches/);

    await hub.kill9();
    const failed = await cli(['sync', 'now', '--data', nodeDir]);
    assert.equal(failed.code, 1, 'sync now never reports success when it failed');
    assert.match(failed.out, /FAILED/);
    await hub.start();
  });

  it('peer remove on the hub (another process than its running serve) refuses the node at once', async () => {
    const nodeId = JSON.parse(readFileSync(join(nodeDir, 'config.json'), 'utf8')).nodeId as string;
    assert.equal((await cli(['sync', 'now', '--data', nodeDir])).code, 0);
    const unknown = await cli(['peer', 'remove', '--data', hub.dir, 'no-such-node']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /no peer no-such-node/);
    const removed = await cli(['peer', 'remove', '--data', hub.dir, nodeId]);
    assert.equal(removed.code, 0, removed.err);
    assert.doesNotMatch((await cli(['peer', 'list', '--data', hub.dir])).out, new RegExp(nodeId));
    const refused = await cli(['sync', 'now', '--data', nodeDir]);
    assert.equal(refused.code, 1, refused.out);
    assert.match(refused.out, /FAILED[\s\S]*(does not accept|no longer a peer)/);
  });
});
