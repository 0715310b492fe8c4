/**
 * The node's audit log: `record` stages an event in memory (no I/O, so reads stay fast);
 * a short timer writes staged events in batches through the store's write path, each
 * batch one transaction that extends the node's hash chain; the chain head is signed at
 * intervals and on close. Nothing here updates or deletes an event.
 */
import { CompiledQuery } from 'kysely';
import type { Kysely } from 'kysely';
import type { Clock } from '../store/clock.js';
import { systemClock } from '../store/clock.js';
import type { ChartDatabase } from '../store/schema.js';
import type { TransactionRunner } from '../store/transaction-runner.js';
import { GENESIS_HASH, chainHash } from './audit-chain.js';
import { auditRecordJson, stageAudit } from './audit-event.js';
import type { AuditInput, AuditRecorder, StagedAudit } from './audit-event.js';
import type { AuditSigner } from './audit-signing.js';
import { auditDb } from './audit-tables.js';
import type { AuditEventPatientsTable, AuditEventsTable } from './audit-tables.js';

export interface AuditLogOptions {
  db: Kysely<ChartDatabase>;
  /** The store's write transactions (group commit on SQLite). */
  writes: TransactionRunner;
  nodeId: string;
  signer: AuditSigner;
  clock?: Clock;
  /** How long an event may wait in memory before its batch is written (default 200 ms). */
  flushMs?: number;
  /** Write at once when this many are staged (default 500). */
  maxBatch?: number;
  /** Sign the head after this many new events (default 1000)… */
  signEvery?: number;
  /** …or when the last signature is this old and events were added (default 60 s). */
  signIntervalMs?: number;
  /** Told when a batch could not be written (it stays staged and is retried). */
  onError?: (err: unknown) => void;
}

/** Columns of an audit event row, in the order of the compiled insert. */
const EVENT_COLUMNS = ['node_id', 'seq', 'recorded_at', 'action', 'outcome', 'severity', 'user_id', 'username', 'role', 'address', 'purpose', 'resource', 'content', 'prev_hash', 'hash'] as const satisfies readonly (keyof AuditEventsTable)[];

/** The audit trail of one node. Open with {@link AuditLog.open}; close to flush and sign. */
export class AuditLog implements AuditRecorder {
  private staged: StagedAudit[] = [];
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private headSeq: number;
  private headHash: string;
  private signedSeq: number;
  private signedAt: number;
  private closed = false;
  private readonly clock: Clock;

  private constructor(
    private readonly opts: AuditLogOptions,
    head: { seq: number; hash: string; signedSeq: number },
  ) {
    this.clock = opts.clock ?? systemClock;
    this.headSeq = head.seq;
    this.headHash = head.hash;
    this.signedSeq = head.signedSeq;
    this.signedAt = this.clock.now();
  }

  /** Opens the log, reading where this node's chain ends. */
  static async open(opts: AuditLogOptions): Promise<AuditLog> {
    const db = auditDb(opts.db);
    const last = await db.selectFrom('audit_events').select(['seq', 'hash']).where('node_id', '=', opts.nodeId).orderBy('seq', 'desc').limit(1).executeTakeFirst();
    const signed = await db.selectFrom('audit_heads').select('seq').where('node_id', '=', opts.nodeId).orderBy('seq', 'desc').limit(1).executeTakeFirst();
    return new AuditLog(opts, { seq: last ? Number(last.seq) : 0, hash: last?.hash ?? GENESIS_HASH, signedSeq: signed ? Number(signed.seq) : 0 });
  }

  /** The store handle the log reads from (reports, verification). */
  get db(): Kysely<ChartDatabase> {
    return this.opts.db;
  }

  get nodeId(): string {
    return this.opts.nodeId;
  }

  /** The public key heads are signed with (SPKI PEM). */
  get publicKeyPem(): string {
    return this.opts.signer.publicKeyPem;
  }

  /** Events staged and not yet written. */
  get pending(): number {
    return this.staged.length;
  }

  /** The last written event's sequence number and hash. */
  get head(): { seq: number; hash: string } {
    return { seq: this.headSeq, hash: this.headHash };
  }

  /** Stages one event (synchronous, no I/O); it is written within `flushMs`. */
  record(input: AuditInput): void {
    if (this.closed) throw new Error('The audit log is closed');
    this.staged.push(stageAudit(input, this.clock.now()));
    if (this.staged.length >= (this.opts.maxBatch ?? 500)) {
      void this.flush().catch(() => undefined);
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.flush().catch(() => undefined);
      }, this.opts.flushMs ?? 200);
      this.timer.unref();
    }
  }

  /** Writes everything staged so far (one transaction per batch); resolves after COMMIT. */
  flush(): Promise<void> {
    const run = this.chain.then(() => this.writeStaged());
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async writeStaged(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const batch = this.staged;
    if (batch.length === 0) return;
    this.staged = [];
    const nodeId = this.opts.nodeId;
    let seq = 0;
    let prev = GENESIS_HASH;
    try {
      await this.opts.writes.run(async (tx) => {
        // The head is read inside the write transaction: another process of the same node
        // (a `chartroom user …` command beside `serve`) may have extended the chain since.
        const last = await auditDb(tx).selectFrom('audit_events').select(['seq', 'hash']).where('node_id', '=', nodeId).orderBy('seq', 'desc').limit(1).executeTakeFirst();
        seq = last ? Number(last.seq) : 0;
        prev = last?.hash ?? GENESIS_HASH;
        const rows: AuditEventsTable[] = [];
        const patients: AuditEventPatientsTable[] = [];
        for (const e of batch) {
          seq++;
          const content = auditRecordJson(e, nodeId, seq);
          const hash = chainHash(prev, content);
          rows.push({
            node_id: nodeId,
            seq,
            recorded_at: e.time,
            action: e.action,
            outcome: e.outcome,
            severity: e.severity,
            user_id: e.userId ?? null,
            username: e.username ?? null,
            role: e.role ?? null,
            address: e.address ?? null,
            purpose: e.purposeOfUse,
            resource: e.resources[0] ?? null,
            content,
            prev_hash: prev,
            hash,
          });
          for (const p of e.patientIds) patients.push({ patient_id: p, recorded_at: e.time, node_id: nodeId, seq });
          prev = hash;
        }
        // One precompiled single-row statement per row: building big multi-row inserts in
        // Kysely costs far more than running small prepared statements on SQLite.
        const { event, patient } = this.statements();
        for (const r of rows) await tx.executeQuery(CompiledQuery.raw(event, EVENT_COLUMNS.map((c) => r[c])));
        for (const p of patients) await tx.executeQuery(CompiledQuery.raw(patient, [p.patient_id, p.recorded_at, p.node_id, p.seq]));
      });
    } catch (err) {
      // Nothing was written: put the batch back in front, in order, for the next attempt.
      this.staged = [...batch, ...this.staged];
      this.opts.onError?.(err);
      throw err;
    }
    this.headSeq = seq;
    this.headHash = prev;
    const now = this.clock.now();
    if (seq - this.signedSeq >= (this.opts.signEvery ?? 1000) || now - this.signedAt >= (this.opts.signIntervalMs ?? 60_000)) await this.writeSignedHead();
  }

  private compiled: { event: string; patient: string } | undefined;

  /** The insert statements' SQL in this dialect, compiled once. */
  private statements(): { event: string; patient: string } {
    if (!this.compiled) {
      const db = auditDb(this.opts.db);
      const blank = Object.fromEntries(EVENT_COLUMNS.map((c) => [c, ''])) as unknown as AuditEventsTable;
      this.compiled = {
        event: db.insertInto('audit_events').values(blank).compile().sql,
        patient: db.insertInto('audit_event_patients').values({ patient_id: '', recorded_at: 0, node_id: '', seq: 0 }).compile().sql,
      };
    }
    return this.compiled;
  }

  /** Signs the current head (if it moved since the last signature); also called at every sync. */
  signHead(): Promise<void> {
    const run = this.chain.then(() => this.writeSignedHead());
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async writeSignedHead(): Promise<void> {
    this.signedAt = this.clock.now();
    if (this.headSeq === 0 || this.headSeq === this.signedSeq) return;
    const { nodeId, signer } = this.opts;
    const seq = this.headSeq;
    const hash = this.headHash;
    const signature = signer.signHead(nodeId, seq, hash);
    await this.opts.writes.run(async (tx) => {
      await auditDb(tx).insertInto('audit_heads').values({ node_id: nodeId, seq, hash, signed_at: this.signedAt, public_key: signer.publicKeyPem, signature }).execute();
    });
    this.signedSeq = seq;
  }

  /** Writes what is staged, signs the head, and refuses further events. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    await this.signHead();
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
