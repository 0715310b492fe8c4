/**
 * The sync benchmark's peer: PouchDB (leveldb adapter, on disk) replicating the same
 * documents Chartroom clones, disk to disk between two local databases and over HTTP
 * to and from an express-pouchdb server (what `pouchdb-server` runs) on loopback. The
 * server runs in this process, like both Chartroom peers in the clone measurement.
 * PouchDB and express-pouchdb are bench-only devDependencies, loaded when this runs.
 */
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Resource } from '@medplum/fhirtypes';

interface PouchDb {
  bulkDocs(docs: object[], opts?: { new_edits?: boolean }): Promise<unknown[]>;
  info(): Promise<{ doc_count: number }>;
  close(): Promise<void>;
}
interface PouchCtor {
  new (name: string, opts?: object): PouchDb;
  replicate(source: PouchDb | string, target: PouchDb | string, opts?: object): Promise<{ ok: boolean; docs_written: number; errors: unknown[] }>;
  defaults(opts: object): PouchCtor;
}
interface ExpressApp {
  listen(port: number, host: string, cb: () => void): Server;
}

export interface PouchPeerResult {
  version: string;
  docs: number;
  /** Average document size as JSON, bytes. */
  avgBytes: number;
  batchSize: number;
  diskToDisk: { seconds: number; perSecond: number };
  /** Local leveldb → express-pouchdb over HTTP (the push a node does to its hub). */
  httpPush: { seconds: number; perSecond: number };
  /** express-pouchdb over HTTP → a new local leveldb database (a node's first pull). */
  httpPull: { seconds: number; perSecond: number };
}

/** A FHIR resource as a PouchDB document. */
function toDoc(r: Resource): object {
  return { ...r, _id: `${r.resourceType}-${r.id ?? ''}` };
}

async function timed(docs: number, fn: () => Promise<{ ok: boolean; docs_written: number; errors: unknown[] }>): Promise<{ seconds: number; perSecond: number }> {
  const t0 = performance.now();
  const r = await fn();
  const seconds = (performance.now() - t0) / 1000;
  if (!r.ok || r.docs_written !== docs) throw new Error(`PouchDB replication wrote ${r.docs_written} of ${docs} documents (${JSON.stringify(r.errors).slice(0, 200)})`);
  return { seconds, perSecond: docs / seconds };
}

/**
 * Loads the documents of `chunks` into a local leveldb database under `dir`, then times
 * three replications of all of them. `batchSize` is PouchDB's `batch_size`.
 */
export async function runPouchPeer(chunks: Iterable<Resource[]>, dir: string, batchSize: number, log: (line: string) => void): Promise<PouchPeerResult> {
  const require = createRequire(import.meta.url);
  const PouchDB = require('pouchdb') as PouchCtor;
  const version = (require('pouchdb/package.json') as { version: string }).version;
  const expressPouchDB = require('express-pouchdb') as (ctor: PouchCtor, opts: object) => ExpressApp;
  mkdirSync(join(dir, 'server'), { recursive: true });
  const source = new PouchDB(join(dir, 'source'));
  const local = new PouchDB(join(dir, 'local'));
  const pulled = new PouchDB(join(dir, 'pulled'));
  const ServerPouch = PouchDB.defaults({ prefix: join(dir, 'server') + '/' });
  const app = expressPouchDB(ServerPouch, { mode: 'minimumForPouchDB' });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  try {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('express-pouchdb did not listen on a port');
    const hubUrl = `http://127.0.0.1:${address.port}/hub`;
    let docs = 0;
    let bytes = 0;
    for (const chunk of chunks) {
      const batch = chunk.map(toDoc);
      for (const d of batch) bytes += JSON.stringify(d).length;
      await source.bulkDocs(batch);
      docs += batch.length;
    }
    log(`  PouchDB ${version}: ${docs.toLocaleString('en-US')} documents disk → disk (leveldb)`);
    const opts = { batch_size: batchSize };
    const diskToDisk = await timed(docs, () => PouchDB.replicate(source, local, opts));
    log('  PouchDB: local → express-pouchdb over HTTP');
    const httpPush = await timed(docs, () => PouchDB.replicate(source, hubUrl, opts));
    log('  PouchDB: express-pouchdb over HTTP → local');
    const httpPull = await timed(docs, () => PouchDB.replicate(hubUrl, pulled, opts));
    return { version, docs, avgBytes: docs ? bytes / docs : 0, batchSize, diskToDisk, httpPush, httpPull };
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    (server as Server & { closeAllConnections?: () => void }).closeAllConnections?.();
    for (const db of [source, local, pulled]) await db.close();
  }
}
