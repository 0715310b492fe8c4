/**
 * Faults with real processes and a real network: a hub and two clinic nodes as child
 * processes replicating continuously over HTTP; node B reaches the hub through a TCP proxy
 * that delays, cuts, resets and corrupts traffic and partitions for a while; the hub and
 * node A are killed with SIGKILL in the middle of the write stream and restarted; A's clock
 * runs 2 hours behind and B's 3 hours ahead. Invariants after healing: no acknowledged
 * write lost, no duplicate revision, every node with the same revision trees and winners.
 * The proxy's faults come from a seeded generator; the seed is printed (rerun it with
 * SYNC_FAULT_SEED=<seed>; process timing still varies between runs).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initDataDir } from '../src/data-dir.js';
import { FaultProxy, NodeProcess, dumpOf, freePort } from './sync-fault-kit.js';

const HOUR = 3600_000;
const SEED = process.env.SYNC_FAULT_SEED ? Number(process.env.SYNC_FAULT_SEED) >>> 0 : Math.floor(Math.random() * 2 ** 31);

/** Mulberry32: a small seeded generator for the proxy's fault decisions. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('sync faults with real processes', () => {
  const root = mkdtempSync(join(tmpdir(), 'chartroom-sync-faults-'));
  let hub: NodeProcess;
  let a: NodeProcess;
  let b: NodeProcess;
  let proxy: FaultProxy;

  before(async () => {
    const mk = (name: string): string => initDataDir(join(root, name), { practiceName: 'Riverside' }).dir;
    hub = new NodeProcess('hub', mk('hub'), await freePort());
    a = new NodeProcess('a', mk('a'), await freePort(), -2 * HOUR);
    b = new NodeProcess('b', mk('b'), await freePort(), 3 * HOUR);
    await Promise.all([hub.start(), a.start(), b.start()]);
    console.log(`sync faults seed ${SEED} (rerun with SYNC_FAULT_SEED=${SEED})`);
    proxy = new FaultProxy(hub.port, seeded(SEED));
    await proxy.start();
    const code1 = (await hub.send('invite')).slice(5);
    assert.equal(await a.send(`join ${hub.url} ${code1}`), 'JOINED');
    const code2 = (await hub.send('invite')).slice(5);
    assert.equal(await b.send(`join http://127.0.0.1:${proxy.port} ${code2}`), 'JOINED');
  });
  after(async () => {
    await Promise.all([hub, a, b].map((n) => n?.stop()));
    await proxy?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('loses no acknowledged write and converges after kills, partitions, corruption and clock skew', async () => {
    const acked: { node: string; id: string; rev: string }[] = [];
    const write = async (node: NodeProcess, i: number): Promise<void> => {
      const answer = await node.send(`write fault-${i % 25} ${node.name}${i}`);
      if (answer.startsWith('ACK ')) {
        const [, id, rev] = answer.split(' ');
        acked.push({ node: node.name, id: id as string, rev: rev as string });
      } else assert.fail(`${node.name} refused a write: ${answer}`);
    };
    proxy.faults.delayMs = 20;
    proxy.faults.cut = 0.02;
    proxy.faults.corrupt = 0.01;
    for (let i = 0; i < 160; i++) {
      await write(i % 3 === 0 ? b : a, i);
      if (i === 40) await hub.kill9(); // the hub dies mid-stream
      if (i === 70) await hub.start();
      if (i === 90) proxy.faults.down = true; // B partitioned from the hub
      if (i === 100) {
        await a.kill9(); // A dies right after an acknowledged write, and comes back
        await a.start();
      }
      if (i === 120) proxy.faults.down = false;
      if (i === 130) proxy.cutAll();
    }
    // Heal: no more faults; wait (bounded) for convergence.
    Object.assign(proxy.faults, { delayMs: 0, cut: 0, corrupt: 0, down: false });
    const deadline = Date.now() + 90_000;
    let dumps = await Promise.all([hub, a, b].map(dumpOf));
    const converged = (): boolean => {
      const [h, x, y] = dumps.map((d) => JSON.stringify(d));
      const haveAll = dumps.every((d) => acked.every((w) => d.revs.some((r) => r.startsWith(`Patient/${w.id} ${w.rev} `))));
      return h === x && h === y && haveAll;
    };
    while (!converged() && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      dumps = await Promise.all([hub, a, b].map(dumpOf));
    }
    console.log(`sync faults (seed ${SEED}): ${acked.length} writes acknowledged, ${proxy.injected} network faults injected, 2 SIGKILLs, clocks −2 h / +3 h`);
    for (const [i, d] of dumps.entries()) {
      const name = ['hub', 'a', 'b'][i];
      const lost = acked.filter((w) => !d.revs.some((r) => r.startsWith(`Patient/${w.id} ${w.rev} `)));
      assert.deepEqual(lost, [], `${name} lost acknowledged writes`);
      assert.equal(new Set(d.revs).size, d.revs.length, `${name} holds a duplicate revision`);
    }
    assert.deepEqual(dumps[1], dumps[0], 'node A converged with the hub');
    assert.deepEqual(dumps[2], dumps[0], 'node B converged with the hub');
  });
});
