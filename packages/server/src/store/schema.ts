/**
 * Table types of the chart store, shared by both dialects. Booleans are 0/1 integers and
 * times are epoch milliseconds so that SQLite and PostgreSQL hold the same values.
 */
import type { Generated } from 'kysely';

export interface ResourcesTable {
  /** Resource key: the row id that index tables point at. */
  rk: Generated<number>;
  type: string;
  id: string;
  /** The winning revision. */
  rev: string;
  deleted: number;
  last_updated: number;
  /** Change sequence of the latest write. */
  seq: number;
  /** The winning revision's JSON, with meta.versionId and meta.lastUpdated. */
  content: string;
  /** Live leaves of the revision tree when more than one (the resource is in conflict), else 0 (migration 0004). */
  conflicts: Generated<number>;
}

export interface RevisionsTable {
  rk: number;
  rev: string;
  parent_rev: string | null;
  generation: number;
  deleted: number;
  /** 1 while no child revision exists. */
  leaf: number;
  last_updated: number;
  seq: number;
  content: string;
}

export interface ChangesTable {
  seq: Generated<number>;
  type: string;
  id: string;
  rev: string;
  deleted: number;
}

interface IndexBase {
  rk: number;
  type: string;
  code: string;
}
export interface SpStringTable extends IndexBase { value: string; exact: string }
export interface SpTokenTable extends IndexBase { system: string | null; value: string | null }
export interface SpDateTable extends IndexBase { low: number; high: number }
export interface SpReferenceTable extends IndexBase { target_type: string | null; target_id: string | null; ref: string }
export interface SpNumberTable extends IndexBase { value: number }
export interface SpQuantityTable extends IndexBase { value: number; system: string | null; unit: string | null }
export interface SpUriTable extends IndexBase { value: string }

export interface ChartDatabase {
  resources: ResourcesTable;
  revisions: RevisionsTable;
  changes: ChangesTable;
  sp_string: SpStringTable;
  sp_token: SpTokenTable;
  sp_date: SpDateTable;
  sp_reference: SpReferenceTable;
  sp_number: SpNumberTable;
  sp_quantity: SpQuantityTable;
  sp_uri: SpUriTable;
}

/** Index tables by the row kind that `extractIndexRows` produces. */
export const INDEX_TABLES = {
  string: 'sp_string',
  token: 'sp_token',
  date: 'sp_date',
  reference: 'sp_reference',
  number: 'sp_number',
  quantity: 'sp_quantity',
  uri: 'sp_uri',
} as const;
