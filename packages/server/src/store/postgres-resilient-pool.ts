/**
 * A `pg` pool for Kysely that survives PostgreSQL dropping connections (a restart, a
 * failover, `pg_terminate_backend`): idle connections that die are logged and replaced
 * instead of crashing the process, and a read that was cut off outside a transaction runs
 * again on a fresh connection. Writes are never replayed here: a transaction that lost its
 * connection before COMMIT is retried whole by the transaction runner (see
 * `StoreDialect.isConnectionLost`), and one that lost it during COMMIT fails honestly.
 */
import pg from 'pg';
import type { PostgresCursor, PostgresPool, PostgresPoolClient, PostgresQueryResult } from 'kysely';

/** SQLSTATEs of a server-side connection loss: admin_shutdown, crash_shutdown, cannot_connect_now. */
const CONNECTION_LOST_CODES: ReadonlySet<string> = new Set(['57P01', '57P02', '57P03']);
const CONNECTION_LOST_ERRNOS: ReadonlySet<string> = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT']);

/** True when `error` means the connection to PostgreSQL was lost (not a SQL error). */
export function isConnectionLost(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  if (CONNECTION_LOST_CODES.has(code) || CONNECTION_LOST_ERRNOS.has(code)) return true;
  return typeof e?.message === 'string' && /Connection terminated|connection is closed|Client has encountered a connection error/i.test(e.message);
}

/** Attempts to reach the server again after a lost connection (~3 s in all, for a quick restart). */
const RECONNECT_DELAYS_MS = [0, 100, 250, 500, 1000, 1500];

const READ_ONLY = /^\s*(select|with\s[\s\S]*?\)\s*select)\b/i;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One checked-out connection; swaps its `pg` client when a read outside a transaction lost it. */
class ResilientClient implements PostgresPoolClient {
  private inTransaction = false;

  constructor(
    private readonly pool: pg.Pool,
    private client: pg.PoolClient,
  ) {}

  query<R>(sqlText: string, parameters: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  query<R>(sqlText: string | PostgresCursor<R>, parameters?: ReadonlyArray<unknown>): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    if (typeof sqlText !== 'string') throw new Error('Streaming cursors are not used by Chartroom');
    return this.queryText<R>(sqlText, parameters ?? []) as Promise<PostgresQueryResult<R>>;
  }

  private async queryText<R>(sqlText: string, parameters: ReadonlyArray<unknown>): Promise<pg.QueryResult<R & pg.QueryResultRow>> {
    const text = sqlText;
    try {
      return await this.run<R>(sqlText, parameters, text);
    } catch (error) {
      if (this.inTransaction || !isConnectionLost(error) || !READ_ONLY.test(text)) {
        if (/^\s*(commit|rollback)\b/i.test(text)) this.inTransaction = false;
        throw error;
      }
      return await this.retryRead<R>(sqlText, parameters, text, error);
    }
  }

  private async run<R>(sqlText: string, parameters: ReadonlyArray<unknown>, text: string): Promise<pg.QueryResult<R & pg.QueryResultRow>> {
    const result = await this.client.query<R & pg.QueryResultRow>(sqlText, parameters as unknown[]);
    if (/^\s*(begin|start transaction)\b/i.test(text)) this.inTransaction = true;
    else if (/^\s*(commit|rollback)\b/i.test(text)) this.inTransaction = false;
    return result;
  }

  private async retryRead<R>(sqlText: string, parameters: ReadonlyArray<unknown>, text: string, first: unknown): Promise<pg.QueryResult<R & pg.QueryResultRow>> {
    let last = first;
    for (const delay of RECONNECT_DELAYS_MS) {
      await sleep(delay);
      this.client.release(true);
      try {
        this.client = await this.pool.connect();
      } catch (error) {
        last = error;
        // Keep a placeholder that can be released again: a client that is never used.
        this.client = { release: () => undefined, query: () => Promise.reject(error) } as unknown as pg.PoolClient;
        if (isConnectionLost(error)) continue;
        throw error;
      }
      try {
        return await this.run<R>(sqlText, parameters, text);
      } catch (error) {
        last = error;
        if (!isConnectionLost(error)) throw error;
      }
    }
    throw last;
  }

  release(destroy?: boolean): void {
    this.client.release(destroy);
  }
}

/** A pool for Kysely's PostgresDialect over `pg.Pool`, resilient to lost connections. */
export function resilientPool(connectionString: string, max: number): PostgresPool {
  const pool = new pg.Pool({ connectionString, max });
  // An idle client whose backend died: pg removes it from the pool and emits this; without a
  // listener the event would crash the node.
  pool.on('error', (error) => {
    console.error(`chartroom: PostgreSQL closed an idle connection (${error.message}); it will be replaced`);
  });
  return {
    connect: async () => new ResilientClient(pool, await pool.connect()),
    end: () => pool.end(),
  };
}
