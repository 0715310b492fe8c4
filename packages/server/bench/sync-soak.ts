/**
 * Sync soak (not in CI): randomized fault scenarios, run for a given time or count, then
 * prints runs, faults injected, writes acknowledged and writes lost. Each scenario: 3 nodes
 * (encrypted SQLite, opened once), random writes and deletions of shared resources on random
 * nodes, random one-way syncs whose requests are lost before or after the peer handled
 * them, duplicated, or refused by a partition, in small batches; then every pair is synced
 * without faults (a failed healing sync is counted and healing repeated) and every node must hold the same trees, winners and every acknowledged
 * write. (Real-process faults — SIGKILL, TCP proxy, clock skew — are in test/sync-faults.test.ts.)
 *
 *   node --import tsx packages/server/bench/sync-soak.ts [--minutes M] [--runs N] [--seed S]
 */
import { parseArgs } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Resource } from '@medplum/fhirtypes';
import { openStore } from '../src/store/open-store.js';
import type { Store } from '../src/store/open-store.js';
import { ReplicationStore } from '../src/store/replication-store.js';
import { SyncEndpoint } from '../src/sync/sync-endpoint.js';
import { inProcessTransport } from '../src/sync/in-process-transport.js';
import type { DeliveryFault } from '../src/sync/in-process-transport.js';
import { Replicator } from '../src/sync/replicator.js';

const { values } = parseArgs({ options: { minutes: { type: 'string' }, runs: { type: 'string' }, seed: { type: 'string' } } });
const deadline = Date.now() + Number(values.minutes ?? 5) * 60_000;
const maxRuns = Number(values.runs ?? Infinity);
let state = Number(values.seed ?? Date.now()) >>> 0;
const seed = state;
/** Mulberry32: a small seeded PRNG, so a failing run can be replayed. */
function random(): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
process.stderr.write(`sync soak: seed ${seed} (replay with --seed ${seed}), until ${Number.isFinite(maxRuns) ? `${maxRuns} runs or ` : ''}${new Date(deadline).toISOString()}\n`);
const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;

interface Node {
  name: string;
  store: Store;
  repl: ReplicationStore;
  endpoint: SyncEndpoint;
}

const dir = mkdtempSync(join(tmpdir(), 'chartroom-soak-'));
const nodes: Node[] = [];
for (const name of ['n0', 'n1', 'n2']) {
  const store = await openStore({ kind: 'sqlite', file: join(dir, `${name}.db`), keyHex: randomBytes(32).toString('hex') });
  const repl = new ReplicationStore(store);
  nodes.push({ name, store, repl, endpoint: new SyncEndpoint(repl, { nodeId: name, quarantine: { floor: 1e9 } }) });
}

let runs = 0;
let faults = 0;
let acknowledged = 0;
let lost = 0;
let divergent = 0;
let healingFailures = 0;

function replicator(a: Node, b: Node, faulty: boolean): Replicator {
  const fault = (): DeliveryFault => {
    if (!faulty) return 'deliver';
    const f = pick<DeliveryFault>(['deliver', 'deliver', 'deliver', 'deliver', 'drop-request', 'drop-response', 'duplicate']);
    if (f !== 'deliver') faults++;
    return f;
  };
  const partitioned = faulty && random() < 0.1;
  if (partitioned) faults++;
  const opts = { fault, online: () => !partitioned };
  return new Replicator({
    source: { nodeId: a.name, transport: inProcessTransport(a.endpoint, { nodeId: b.name }, opts) },
    target: { nodeId: b.name, transport: inProcessTransport(b.endpoint, { nodeId: a.name }, opts) },
    batchSize: faulty ? 1 + Math.floor(random() * 4) : 100,
    sleep: async () => undefined,
    random,
  });
}

try {
  while (Date.now() < deadline && runs < maxRuns) {
    const prefix = `s${runs}`;
    const acked: { id: string; rev: string }[] = [];
    const steps = 5 + Math.floor(random() * 20);
    for (let s = 0; s < steps; s++) {
      const node = pick(nodes);
      const id = `${prefix}-p${Math.floor(random() * 4)}`;
      const roll = random();
      if (roll < 0.5) {
        const { version } = await node.store.repo.update({ resourceType: 'Patient', id, name: [{ family: `F${Math.floor(random() * 100)}` }] } as Resource);
        acked.push({ id, rev: version.rev });
      } else if (roll < 0.6) {
        const cur = await node.store.repo.readCurrent('Patient', id);
        if (cur && !cur.deleted) {
          await node.store.repo.delete('Patient', id);
          const after = await node.store.repo.readCurrent('Patient', id);
          if (after) acked.push({ id, rev: after.rev });
        }
      } else {
        const other = pick(nodes.filter((n) => n !== node));
        await replicator(node, other, true).run();
      }
    }
    // Healing: every pair twice, without faults. A healing sync that fails is counted and
    // healing repeated (at most 3 more times), so a failed sync is not mistaken for divergence.
    const heal = async (): Promise<boolean> => {
      let ok = true;
      for (let round = 0; round < 2; round++) {
        for (const a of nodes) {
          for (const b of nodes) {
            if (a === b) continue;
            const r = await replicator(a, b, false).run();
            if (r.ok) continue;
            ok = false;
            healingFailures++;
            process.stderr.write(`  run ${runs}: healing sync ${a.name}>${b.name} failed: ${r.state.lastError ?? r.state.status}\n`);
          }
        }
      }
      return ok;
    };
    let healed = await heal();
    for (let again = 0; !healed && again < 3; again++) healed = await heal();
    const snaps: string[] = [];
    for (const n of nodes) {
      const rows = await n.store.dialect.db
        .selectFrom('revisions as v')
        .innerJoin('resources as r', 'r.rk', 'v.rk')
        .select(['r.id', 'v.rev', 'v.parent_rev', 'v.leaf', 'r.rev as winner', 'r.conflicts'])
        .where('r.id', 'like', `${prefix}-%`)
        .orderBy('r.id')
        .orderBy('v.rev')
        .execute();
      snaps.push(JSON.stringify(rows));
      const have = new Set(rows.map((r) => `${r.id} ${r.rev}`));
      lost += acked.filter((w) => !have.has(`${w.id} ${w.rev}`)).length;
    }
    if (new Set(snaps).size !== 1) {
      divergent++;
      // Replay: the same --seed reaches this run again; the trees say where the nodes differ.
      process.stderr.write(`DIVERGED run ${runs} (prefix ${prefix})${healed ? '' : ' after failed healing'}:\n${snaps.map((x, i) => `  ${nodes[i]?.name ?? i}: ${x}`).join('\n')}\n`);
    }
    acknowledged += acked.length * nodes.length;
    runs++;
    if (runs % 100 === 0) process.stderr.write(`  ${runs} runs, ${faults} faults, ${acknowledged} acknowledged write copies, ${lost} lost, ${divergent} divergent\n`);
  }
} finally {
  for (const n of nodes) await n.store.close();
  rmSync(dir, { recursive: true, force: true });
}
console.log(`sync soak (seed ${seed}): runs ${runs}, faults injected ${faults}, writes acknowledged ${acknowledged / nodes.length} (checked on ${nodes.length} nodes each), writes lost ${lost}, divergent runs ${divergent}, failed healing syncs ${healingFailures}`);
process.exitCode = lost === 0 && divergent === 0 ? 0 : 1;
