/**
 * Practices hosted on a hub besides its own (ARCHITECTURE §2: a hub serves many practices).
 * Each hosted practice has its own store — an encrypted SQLite file under
 * `DATA/practices/<slug>.db` with the data directory's key, or its own PostgreSQL database
 * `<hub database>_p_<slug>` on the hub's server — and so its own change feed, peers and node
 * tokens: a node enrolled for one practice can never see another. `DATA/practices.json`
 * lists them (slug → name); a serving hub opens one on its first request.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/open-store.js';
import { SyncService } from './sync-service.js';

export interface HostedPracticesOptions {
  dataDir: string;
  keyHex: string;
  /** The hub's PostgreSQL URL; absent, hosted practices are SQLite files. */
  storeUrl?: string;
  hubNodeId: string;
  log?: (line: string) => void;
}

/** A slug for a practice name (lowercase letters, digits and dashes). */
export function practiceSlug(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  if (!slug) throw new Error(`"${name}" gives no usable practice slug`);
  return slug;
}

/** The PostgreSQL database of a hosted practice: the hub's database name, `_p_`, the slug. */
export function hostedDatabaseName(hubUrl: string, slug: string): string {
  const hubDb = decodeURIComponent(new URL(hubUrl).pathname.slice(1)) || 'postgres';
  return `${hubDb}_p_${slug}`.replace(/[^a-z0-9_]/g, '_').slice(0, 63);
}

/** The practices a hub hosts, opened on demand. */
export class HostedPractices {
  private readonly opened = new Map<string, Promise<{ store: Store; sync: SyncService }>>();

  constructor(private readonly opts: HostedPracticesOptions) {}

  private get listFile(): string {
    return join(this.opts.dataDir, 'practices.json');
  }

  /** Hosted practices, slug → name. */
  list(): Record<string, string> {
    return existsSync(this.listFile) ? (JSON.parse(readFileSync(this.listFile, 'utf8')) as Record<string, string>) : {};
  }

  /** Adds a practice (idempotent) and returns its slug. */
  add(name: string): string {
    const slug = practiceSlug(name);
    const all = this.list();
    if (!all[slug]) {
      all[slug] = name;
      writeFileSync(this.listFile, JSON.stringify(all, null, 2) + '\n', { mode: 0o600 });
    }
    return slug;
  }

  /** The replication service of a hosted practice, or undefined when not hosted here. */
  async get(slug: string): Promise<SyncService | undefined> {
    const name = this.list()[slug];
    if (name === undefined) return undefined;
    let p = this.opened.get(slug);
    if (!p) {
      p = this.open(slug, name);
      this.opened.set(slug, p);
      p.catch(() => this.opened.delete(slug));
    }
    return (await p).sync;
  }

  private async open(slug: string, name: string): Promise<{ store: Store; sync: SyncService }> {
    let store: Store;
    if (this.opts.storeUrl) {
      const url = new URL(this.opts.storeUrl);
      url.pathname = `/${hostedDatabaseName(this.opts.storeUrl, slug)}`;
      const admin = new pg.Client({ connectionString: this.opts.storeUrl });
      await admin.connect();
      try {
        const name = url.pathname.slice(1);
        const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
        if (found.rowCount === 0) await admin.query(`CREATE DATABASE ${name}`);
      } finally {
        await admin.end();
      }
      store = await openStore({ kind: 'postgres', url: url.toString() });
    } else {
      const dir = join(this.opts.dataDir, 'practices');
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      store = await openStore({ kind: 'sqlite', file: join(dir, `${slug}.db`), keyHex: this.opts.keyHex });
    }
    const sync = await SyncService.open({ store, nodeId: `${this.opts.hubNodeId}-${slug}`, practice: name, log: this.opts.log });
    return { store, sync };
  }

  /** Closes every opened practice. */
  async close(): Promise<void> {
    for (const p of this.opened.values()) {
      const { store, sync } = await p.catch(() => ({ store: undefined, sync: undefined }));
      await sync?.close();
      await store?.close();
    }
    this.opened.clear();
  }
}
