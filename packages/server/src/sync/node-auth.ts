/**
 * How peers authenticate (challenge–response, so no clocks are compared and a skew of
 * hours does not matter): the caller asks for a challenge, signs
 * `chartroom-sync-auth\n<challenge>\n<callee node id>` with its Ed25519 key, and gets a
 * random bearer token valid one hour, kept only in the callee's memory. Every
 * `/sync/v1` request carries it; the callee maps it to the peer's {@link Principal}
 * (kind `node`), checking on every request that the peer is still enrolled and enabled
 * (a removed peer is refused at once, not when its token expires). Challenges are
 * single-use and expire after a minute.
 */
import { randomBytes } from 'node:crypto';
import { outcomeError } from '@chartroom/core';
import type { Principal } from '@chartroom/core';
import type { PeerRegistry } from './peer-registry.js';
import { verifySignature } from './node-identity.js';

/** The text a node signs to prove its identity to `calleeNodeId`. */
export function authMessage(challenge: string, calleeNodeId: string): string {
  return `chartroom-sync-auth\n${challenge}\n${calleeNodeId}`;
}

const CHALLENGE_MS = 60_000;
const TOKEN_MS = 3600_000;

/** The callee side: challenges, tokens and the principal behind a token. */
export class NodeAuthenticator {
  private readonly challenges = new Map<string, { nodeId: string; expires: number }>();
  private readonly tokens = new Map<string, { nodeId: string; expires: number }>();

  constructor(
    private readonly registry: PeerRegistry,
    private readonly selfNodeId: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** A fresh challenge for `nodeId` (issued whether or not the node is enrolled, to reveal nothing). */
  challenge(nodeId: string): string {
    const c = randomBytes(24).toString('base64url');
    this.challenges.set(c, { nodeId, expires: this.now() + CHALLENGE_MS });
    if (this.challenges.size > 10_000) this.challenges.delete(this.challenges.keys().next().value as string);
    return c;
  }

  /** Exchanges a signed challenge for a token; 401 when anything does not match. */
  async token(nodeId: string, challenge: string, signature: string): Promise<{ token: string; expiresInMs: number }> {
    const issued = this.challenges.get(challenge);
    this.challenges.delete(challenge);
    const peer = await this.registry.get(nodeId);
    if (!issued || issued.nodeId !== nodeId || issued.expires < this.now() || !peer || !verifySignature(peer.publicKey, authMessage(challenge, this.selfNodeId), signature)) {
      throw outcomeError('unauthorized', `Node ${nodeId} could not be authenticated (not enrolled here, disabled, or a bad signature)`);
    }
    const token = randomBytes(32).toString('base64url');
    this.tokens.set(token, { nodeId, expires: this.now() + TOKEN_MS });
    return { token, expiresInMs: TOKEN_MS };
  }

  /**
   * The node principal behind a bearer token; 401 when unknown or expired, 403 when the
   * peer was removed or disabled since (its tokens are dropped).
   */
  async authenticate(token: string | undefined): Promise<Principal> {
    const found = token ? this.tokens.get(token) : undefined;
    if (!found || found.expires < this.now()) {
      if (token) this.tokens.delete(token);
      throw outcomeError('unauthorized', 'Replication needs a node token: POST /sync/auth/challenge, then /sync/auth/token');
    }
    if (!(await this.registry.get(found.nodeId))) {
      for (const [t, v] of this.tokens) if (v.nodeId === found.nodeId) this.tokens.delete(t);
      throw outcomeError('forbidden', `Node ${found.nodeId} is no longer a peer of this node (removed or disabled)`);
    }
    return { kind: 'node', nodeId: found.nodeId };
  }
}
