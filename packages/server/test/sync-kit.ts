/**
 * Test nodes for replication: a real store (SQLite or PostgreSQL), its replication store
 * and protocol endpoint, and helpers to replicate between two of them in-process.
 */
import type { Resource } from '@medplum/fhirtypes';
import { ReplicationStore } from '../src/store/replication-store.js';
import { SyncEndpoint } from '../src/sync/sync-endpoint.js';
import type { SyncEndpointOptions } from '../src/sync/sync-endpoint.js';
import { ChangeNotifier } from '../src/sync/change-notifier.js';
import { inProcessTransport } from '../src/sync/in-process-transport.js';
import type { InProcessOptions } from '../src/sync/in-process-transport.js';
import { Replicator } from '../src/sync/replicator.js';
import type { ReplicatorOptions } from '../src/sync/replicator.js';
import type { TestStore } from './helpers/stores.js';

export interface SyncTestNode {
  name: string;
  store: TestStore;
  repl: ReplicationStore;
  endpoint: SyncEndpoint;
  notifier: ChangeNotifier;
  dispose(): Promise<void>;
}

/** Opens a node named `name` on a new store. */
export async function syncTestNode(name: string, open: () => Promise<TestStore>, options: Partial<SyncEndpointOptions> = {}): Promise<SyncTestNode> {
  const store = await open();
  const repl = new ReplicationStore(store);
  const notifier = new ChangeNotifier(store.writes);
  const endpoint = new SyncEndpoint(repl, { nodeId: name, notifier, quarantine: { share: 1, floor: 1_000_000 }, ...options });
  return {
    name,
    store,
    repl,
    endpoint,
    notifier,
    dispose: async () => {
      notifier.close();
      await store.dispose();
    },
  };
}

/** A one-shot replicator from `a` to `b` over in-process transports. */
export function replicator(a: SyncTestNode, b: SyncTestNode, options: Partial<ReplicatorOptions> & { faults?: InProcessOptions } = {}): Replicator {
  return new Replicator({
    source: { nodeId: a.name, transport: inProcessTransport(a.endpoint, { nodeId: b.name }, options.faults) },
    target: { nodeId: b.name, transport: inProcessTransport(b.endpoint, { nodeId: a.name }, options.faults) },
    sleep: async () => undefined,
    ...options,
  });
}

/** Replicates `a` → `b` until caught up; throws when it did not succeed. */
export async function replicate(a: SyncTestNode, b: SyncTestNode, options: Partial<ReplicatorOptions> = {}): Promise<void> {
  const r = await replicator(a, b, options).run();
  if (!r.ok) throw new Error(`replication ${a.name}→${b.name} failed: ${r.state.lastError ?? r.state.status}`);
}

/** Both ways. */
export async function syncBoth(a: SyncTestNode, b: SyncTestNode): Promise<void> {
  await replicate(a, b);
  await replicate(b, a);
}

/** A small valid Patient. */
export function patient(id: string, family: string, extra: Partial<Resource> = {}): Resource {
  return { resourceType: 'Patient', id, name: [{ family }], ...extra } as Resource;
}

/** Everything a node holds, comparable across nodes: revision trees and current winners. */
export async function nodeSnapshot(node: SyncTestNode): Promise<{ trees: Record<string, string[]>; winners: Record<string, string>; conflicts: Record<string, number> }> {
  const db = node.store.dialect.db;
  const revs = await db
    .selectFrom('revisions as v')
    .innerJoin('resources as r', 'r.rk', 'v.rk')
    .select(['r.type', 'r.id', 'v.rev', 'v.parent_rev', 'v.deleted', 'v.leaf'])
    .orderBy('r.type')
    .orderBy('r.id')
    .orderBy('v.rev')
    .execute();
  const trees: Record<string, string[]> = {};
  for (const r of revs) (trees[`${r.type}/${r.id}`] ??= []).push(`${r.rev}<${r.parent_rev ?? ''}${r.deleted ? ' deleted' : ''}${r.leaf ? ' leaf' : ''}`);
  const rows = await db.selectFrom('resources').select(['type', 'id', 'rev', 'conflicts']).orderBy('type').orderBy('id').execute();
  const winners: Record<string, string> = {};
  const conflicts: Record<string, number> = {};
  for (const r of rows) {
    winners[`${r.type}/${r.id}`] = r.rev;
    if (r.conflicts) conflicts[`${r.type}/${r.id}`] = r.conflicts;
  }
  return { trees, winners, conflicts };
}
