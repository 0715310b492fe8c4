/**
 * The answering side of the replication protocol: one function from a validated request
 * (and the authenticated peer) to a response, transport-free. The HTTP route and the
 * in-process transport both call it.
 */
import { OutcomeError, RESPONSE_TYPE, negotiateVersion } from '@chartroom/core';
import type { SyncRequest, SyncResponse } from '@chartroom/core';
import type { ReplicationStore } from '../store/replication-store.js';
import { checkReplicatedDocsPooled } from '../store/replication-store.js';
import type { ChangeNotifier } from './change-notifier.js';
import { DEFAULT_QUARANTINE_POLICY, Quarantine } from './quarantine.js';
import type { QuarantinePolicy } from './quarantine.js';
import { AuditHeadKeeper, AuditHeadRefused } from './audit-heads.js';

/** Who is calling: an enrolled peer node. */
export interface SyncCaller {
  nodeId: string;
}

export interface SyncEndpointOptions {
  nodeId: string;
  notifier?: ChangeNotifier;
  quarantine?: Partial<QuarantinePolicy>;
  now?: () => number;
  /** How often a long poll looks at the change feed when no commit woke it (writes from other processes). */
  pollMs?: number;
}

/** Per peer: when it last exchanged successfully with this node. */
export interface InboundPeerActivity {
  lastSeenAt: number;
  lastRequest: SyncRequest['type'];
}

/** Answers protocol requests for one store. */
export class SyncEndpoint {
  readonly quarantine: Quarantine;
  /** Peers' audit chain heads (each new one must extend the accepted one). */
  readonly auditHeads: AuditHeadKeeper;
  private readonly policy: QuarantinePolicy;
  private readonly now: () => number;
  /** Resources deleted or rewritten per peer session (each counted once), and the live resource count at the session's start. */
  private readonly sessions = new Map<string, { touched: Set<string>; base: number; startedAt: number }>();
  /** Activity of peers that call this node. */
  readonly activity = new Map<string, InboundPeerActivity>();

  constructor(
    readonly repl: ReplicationStore,
    private readonly options: SyncEndpointOptions,
  ) {
    this.policy = { ...DEFAULT_QUARANTINE_POLICY, ...options.quarantine };
    this.now = options.now ?? Date.now;
    this.quarantine = new Quarantine(repl, this.now);
    this.auditHeads = new AuditHeadKeeper(repl.store, this.now);
  }

  private closed = false;

  /** Ends long polls in flight (they answer with what they have) and refuses to wait from now on. */
  close(): void {
    this.closed = true;
    this.options.notifier?.wake();
  }

  get nodeId(): string {
    return this.options.nodeId;
  }

  /** Answers one request; protocol-level refusals are `error` responses, never thrown. */
  async handle(req: SyncRequest, caller: SyncCaller): Promise<SyncResponse> {
    try {
      const res = await this.answer(req, caller);
      this.activity.set(caller.nodeId, { lastSeenAt: this.now(), lastRequest: req.type });
      return res;
    } catch (err) {
      if (err instanceof OutcomeError) {
        const code = err.status === 401 || err.status === 403 ? 'denied' : err.status >= 500 ? 'internal' : 'bad-request';
        return { type: 'error', v: 1, code, message: err.message };
      }
      throw err;
    }
  }

  private async answer(req: SyncRequest, caller: SyncCaller): Promise<SyncResponse> {
    switch (req.type) {
      case 'hello': {
        const v = negotiateVersion(req.versions);
        if (v === undefined) return { type: 'error', v: 1, code: 'version', message: `No common protocol version: this node speaks 1, the peer offered ${req.versions.join(', ')}` };
        return { type: RESPONSE_TYPE.hello, v, nodeId: this.nodeId, lastSeq: await this.repl.lastSeq() };
      }
      case 'changes': {
        let result = await this.repl.changesSince(req.since, req.limit);
        const deadline = this.now() + req.waitMs;
        while (result.changes.length === 0 && req.waitMs > 0 && this.now() < deadline && !this.closed) {
          const ms = Math.min(this.options.pollMs ?? 500, deadline - this.now());
          if (this.options.notifier) await this.options.notifier.wait(ms);
          else await new Promise((r) => setTimeout(r, ms));
          result = await this.repl.changesSince(req.since, req.limit);
        }
        const pending = result.changes.length < req.limit ? 0 : await this.repl.countChangesAfter(result.lastSeq);
        return { type: RESPONSE_TYPE.changes, v: req.v, changes: result.changes, lastSeq: result.lastSeq, pending };
      }
      case 'revs-diff':
        return { type: RESPONSE_TYPE['revs-diff'], v: req.v, items: await this.repl.revsDiff(req.items) };
      case 'fetch':
        return { type: RESPONSE_TYPE.fetch, v: req.v, docs: await this.repl.fetch(req.items) };
      case 'put': {
        await checkReplicatedDocsPooled(req.docs);
        const key = `${caller.nodeId}:${req.session}`;
        let session = this.sessions.get(key);
        if (!session || this.now() - session.startedAt > this.policy.windowMs) {
          session = { touched: new Set(), base: await this.repl.liveResourceCount(), startedAt: this.now() };
          this.sessions.set(key, session);
          if (this.sessions.size > 1000) this.sessions.delete(this.sessions.keys().next().value as string);
        }
        const destructive = (await this.repl.destructiveKeys(req.docs)).filter((k) => !session.touched.has(k));
        const limit = Math.max(this.policy.floor, Math.ceil(this.policy.share * session.base));
        if (destructive.length > 0 && session.touched.size + destructive.length > limit) {
          const id = await this.quarantine.hold(caller.nodeId, req.session, req.docs, destructive.length, session.base);
          return { type: RESPONSE_TYPE.put, v: req.v, stored: 0, quarantined: id };
        }
        const { stored } = await this.repl.putRevisions(req.docs);
        for (const k of destructive) session.touched.add(k);
        return { type: RESPONSE_TYPE.put, v: req.v, stored, quarantined: null };
      }
      case 'get-checkpoint':
        return { type: RESPONSE_TYPE['get-checkpoint'], v: req.v, replication: req.replication, seq: await this.repl.getCheckpoint(req.replication) };
      case 'set-checkpoint':
        await this.repl.setCheckpoint(req.replication, req.seq);
        return { type: RESPONSE_TYPE['set-checkpoint'], v: req.v, replication: req.replication, seq: req.seq };
      case 'audit-head': {
        if (req.head === null) {
          const state = await this.auditHeads.get(caller.nodeId);
          return { type: RESPONSE_TYPE['audit-head'], v: req.v, seq: state?.seq ?? 0, hash: state?.hash ?? null };
        }
        try {
          const accepted = await this.auditHeads.offer(caller.nodeId, req.head, req.events);
          return { type: RESPONSE_TYPE['audit-head'], v: req.v, ...accepted };
        } catch (err) {
          if (err instanceof AuditHeadRefused) return { type: 'error', v: req.v, code: 'bad-request', message: err.message };
          throw err;
        }
      }
      default: {
        const never: never = req;
        throw new Error(`Unknown sync request ${JSON.stringify(never)}`);
      }
    }
  }
}
