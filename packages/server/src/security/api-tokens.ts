/**
 * Bearer tokens for scripts and FHIR apps: `chartroom_<256 random bits>`, stored only as a
 * keyed hash, with SMART-style scopes, an optional expiry, and revocation. A token acts as
 * its user (role, practitioner) narrowed by its scopes; a disabled user's tokens stop working.
 */
import { outcomeError } from '@chartroom/core';
import type { Clock } from '../store/clock.js';
import type { TransactionRunner } from '../store/transaction-runner.js';
import type { AuthDb, AuthTokensTable, AuthUsersTable } from './auth-tables.js';
import { authDb } from './auth-tables.js';
import type { CredentialCrypto } from './credential-crypto.js';
import type { RandomSource } from './random-source.js';
import { randomToken } from './random-source.js';
import { validateScopes } from './smart-scopes.js';

export const TOKEN_PREFIX = 'chartroom_';

/** A token as listed (never the secret). */
export interface TokenInfo {
  id: string;
  userId: string;
  label: string;
  scopes: string[];
  createdAt: string;
  expiresAt?: string;
  revokedAt?: string;
  lastUsedAt?: string;
}

export function tokenInfo(r: AuthTokensTable): TokenInfo {
  const iso = (n: number | null): string | undefined => (n === null ? undefined : new Date(n).toISOString());
  const out: TokenInfo = { id: r.id, userId: r.user_id, label: r.label, scopes: r.scopes.split(' '), createdAt: new Date(r.created_at).toISOString() };
  const expiresAt = iso(r.expires_at);
  const revokedAt = iso(r.revoked_at);
  const lastUsedAt = iso(r.last_used_at);
  if (expiresAt) out.expiresAt = expiresAt;
  if (revokedAt) out.revokedAt = revokedAt;
  if (lastUsedAt) out.lastUsedAt = lastUsedAt;
  return out;
}

/** Parses a lifetime like `30d`, `12h`, `90m` (or plain days) into milliseconds. */
export function parseLifetime(text: string): number {
  const m = /^(\d{1,5})\s*([dhm]?)$/.exec(text.trim());
  if (!m) throw outcomeError('badRequest', `Expiry "${text}" is not understood; use e.g. 30d, 12h or 90m`, 'expires');
  const n = Number(m[1]);
  const unit = m[2] === 'h' ? 3_600_000 : m[2] === 'm' ? 60_000 : 86_400_000;
  if (n <= 0) throw outcomeError('badRequest', 'The expiry must be positive', 'expires');
  return n * unit;
}

/** The API tokens service. */
export class ApiTokens {
  constructor(
    private readonly db: AuthDb,
    private readonly writes: TransactionRunner,
    private readonly crypto: CredentialCrypto,
    private readonly clock: Clock,
    private readonly random: RandomSource,
  ) {}

  /** Issues a token; the secret is returned once and never stored. */
  async create(userId: string, input: { scopes: readonly string[]; label?: string; lifetimeMs?: number }): Promise<{ token: string; info: TokenInfo }> {
    const scopes = validateScopes(input.scopes);
    const token = TOKEN_PREFIX + randomToken(this.random, 32);
    const now = this.clock.now();
    const row: AuthTokensTable = {
      id: this.random.bytes(8).toString('hex'),
      token_hash: this.crypto.digest(token),
      user_id: userId,
      label: input.label?.slice(0, 200) ?? '',
      scopes: scopes.join(' '),
      created_at: now,
      expires_at: input.lifetimeMs !== undefined ? now + input.lifetimeMs : null,
      revoked_at: null,
      last_used_at: null,
    };
    await this.writes.run(async (tx) => {
      await authDb(tx).insertInto('auth_tokens').values(row).execute();
    });
    return { token, info: tokenInfo(row) };
  }

  /** The live token and its (enabled) user for a bearer secret, or undefined. */
  async authenticate(token: string): Promise<{ token: AuthTokensTable; user: AuthUsersTable } | undefined> {
    if (!token.startsWith(TOKEN_PREFIX) || token.length > 100) return undefined;
    const row = await this.db.selectFrom('auth_tokens').selectAll().where('token_hash', '=', this.crypto.digest(token)).executeTakeFirst();
    const now = this.clock.now();
    if (!row || row.revoked_at !== null || (row.expires_at !== null && now >= row.expires_at)) return undefined;
    const user = await this.db.selectFrom('auth_users').selectAll().where('id', '=', row.user_id).executeTakeFirst();
    if (!user || user.disabled) return undefined;
    if (row.last_used_at === null || now - row.last_used_at >= 60_000) {
      await this.writes.run(async (tx) => {
        await authDb(tx).updateTable('auth_tokens').set({ last_used_at: now }).where('id', '=', row.id).execute();
      });
    }
    return { token: row, user };
  }

  /** Tokens, of one user or all. */
  async list(userId?: string): Promise<TokenInfo[]> {
    let q = this.db.selectFrom('auth_tokens').selectAll().orderBy('created_at');
    if (userId !== undefined) q = q.where('user_id', '=', userId);
    return (await q.execute()).map(tokenInfo);
  }

  /** Revokes a token by id (404 when unknown; revoking twice is harmless). */
  async revoke(id: string): Promise<TokenInfo> {
    const row = await this.db.selectFrom('auth_tokens').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw outcomeError('notFound', `No token with id ${id}`);
    if (row.revoked_at === null) {
      const now = this.clock.now();
      await this.writes.run(async (tx) => {
        await authDb(tx).updateTable('auth_tokens').set({ revoked_at: now }).where('id', '=', id).execute();
      });
      row.revoked_at = now;
    }
    return tokenInfo(row);
  }
}
