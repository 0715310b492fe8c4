/**
 * Break-the-glass (ONC 170.315(d)(6) emergency access): a user of a pre-authorised group
 * opens a patient's restricted records after typing a reason. The grant is time-boxed
 * (default 60 minutes), kept on the node (works with the hub down), audited at high
 * severity, and listed for the privacy officer (`chartroom audit break-glass`).
 */
import { randomUUID } from 'node:crypto';
import { badRequest, outcomeError } from '@chartroom/core';
import type { BreakGlassGrant, Principal, Role } from '@chartroom/core';
import type { Kysely } from 'kysely';
import type { Clock } from '../store/clock.js';
import { systemClock } from '../store/clock.js';
import type { ChartDatabase } from '../store/schema.js';
import type { TransactionRunner } from '../store/transaction-runner.js';
import type { AuditRecorder } from './audit-event.js';
import { auditDb } from './audit-tables.js';

export interface BreakGlassOptions {
  db: Kysely<ChartDatabase>;
  writes: TransactionRunner;
  nodeId: string;
  audit: AuditRecorder;
  clock?: Clock;
  /** How long a grant lasts (default 60 minutes). */
  minutes?: number;
  /** Roles pre-authorised to break the glass (default clinicians). */
  roles?: readonly Role[];
  /** Users pre-authorised whatever their role (user ids). */
  users?: readonly string[];
  /** True when the patient exists (a grant for an unknown patient is refused). */
  patientExists?: (patientId: string) => Promise<boolean>;
}

/** A grant as listed for review. */
export interface BreakGlassRecord extends BreakGlassGrant {
  username: string | null;
  nodeId: string;
  active: boolean;
}

const MIN_REASON = 10;
const ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** The node's break-the-glass grants: checked in memory on every request, kept in the store. */
export class BreakGlassService {
  private readonly active = new Map<string, BreakGlassGrant[]>();
  private readonly clock: Clock;

  private constructor(private readonly opts: BreakGlassOptions) {
    this.clock = opts.clock ?? systemClock;
  }

  /** Opens the service, loading grants still running. */
  static async open(opts: BreakGlassOptions): Promise<BreakGlassService> {
    const s = new BreakGlassService(opts);
    const now = s.clock.now();
    const rows = await auditDb(opts.db).selectFrom('audit_break_glass').selectAll().where('expires_at', '>', now).execute();
    for (const r of rows) s.remember({ id: r.id, userId: r.user_id, patientId: r.patient_id, reason: r.reason, grantedAt: Number(r.granted_at), expiresAt: Number(r.expires_at) });
    return s;
  }

  private remember(g: BreakGlassGrant): void {
    const list = this.active.get(g.userId) ?? [];
    list.push(g);
    this.active.set(g.userId, list);
  }

  /** The user's grants that have not expired (synchronous: asked on every request). */
  grantsFor(userId: string): readonly BreakGlassGrant[] {
    const list = this.active.get(userId);
    if (!list) return [];
    const now = this.clock.now();
    const live = list.filter((g) => g.expiresAt > now);
    if (live.length !== list.length) {
      if (live.length) this.active.set(userId, live);
      else this.active.delete(userId);
    }
    return live;
  }

  /** True when the principal belongs to the pre-authorised group. */
  mayBreakGlass(principal: Principal): boolean {
    if (principal.kind !== 'session' && principal.kind !== 'token') return false;
    if (principal.userId && this.opts.users?.includes(principal.userId)) return true;
    return principal.role !== undefined && (this.opts.roles ?? ['clinician']).includes(principal.role);
  }

  /** Opens a grant for `patientId` with `reason`; audited at high severity. 403 outside the group. */
  async open(principal: Principal, input: { patientId?: unknown; reason?: unknown }): Promise<BreakGlassGrant> {
    const patientId = input.patientId;
    const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
    if (typeof patientId !== 'string' || !ID.test(patientId)) throw badRequest('patientId must be a Patient id', 'patientId');
    if (reason.length < MIN_REASON) throw badRequest(`Give the reason for emergency access (at least ${MIN_REASON} characters)`, 'reason');
    if (!this.mayBreakGlass(principal) || !principal.userId) {
      this.opts.audit.record({ action: 'break-glass', outcome: 'denied', principal, patientIds: [patientId], description: `refused: not in the break-the-glass group; reason given: ${reason}`, severity: 'high' });
      throw outcomeError('forbidden', 'You are not in the group allowed to use emergency access (break-the-glass); ask the practice administrator');
    }
    if (this.opts.patientExists && !(await this.opts.patientExists(patientId))) throw outcomeError('notFound', `Patient/${patientId} not found`);
    const now = this.clock.now();
    const grant: BreakGlassGrant = { id: randomUUID(), userId: principal.userId, patientId, reason, grantedAt: now, expiresAt: now + (this.opts.minutes ?? 60) * 60_000 };
    await this.opts.writes.run(async (tx) => {
      await auditDb(tx)
        .insertInto('audit_break_glass')
        .values({ id: grant.id, user_id: grant.userId, username: principal.username ?? null, patient_id: patientId, reason, granted_at: grant.grantedAt, expires_at: grant.expiresAt, node_id: this.opts.nodeId })
        .execute();
    });
    this.remember(grant);
    this.opts.audit.record({
      action: 'break-glass',
      outcome: 'success',
      principal,
      patientIds: [patientId],
      resources: [`Patient/${patientId}`],
      description: `emergency access until ${new Date(grant.expiresAt).toISOString()}: ${reason}`,
      purposeOfUse: 'BTG',
      severity: 'high',
    });
    return grant;
  }

  /** Every grant in a time window (by grant time), newest first, for review. */
  async list(q: { from?: number | undefined; to?: number | undefined } = {}): Promise<BreakGlassRecord[]> {
    let query = auditDb(this.opts.db).selectFrom('audit_break_glass').selectAll();
    if (q.from !== undefined) query = query.where('granted_at', '>=', q.from);
    if (q.to !== undefined) query = query.where('granted_at', '<=', q.to);
    return listGrants(await query.orderBy('granted_at', 'desc').execute(), this.clock.now());
  }
}

/** Rows of `audit_break_glass` as review records. */
export function listGrants(
  rows: readonly { id: string; user_id: string; username: string | null; patient_id: string; reason: string; granted_at: number; expires_at: number; node_id: string }[],
  now: number,
): BreakGlassRecord[] {
  return rows.map((r) => ({
    id: r.id,
    userId: r.user_id,
    username: r.username,
    patientId: r.patient_id,
    reason: r.reason,
    grantedAt: Number(r.granted_at),
    expiresAt: Number(r.expires_at),
    nodeId: r.node_id,
    active: Number(r.expires_at) > now,
  }));
}
