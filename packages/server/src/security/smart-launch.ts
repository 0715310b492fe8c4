/**
 * SMART App Launch, standalone, for public clients (https://hl7.org/fhir/smart-app-launch/app-launch.html):
 * the authorization code grant with PKCE (S256 only). Apps are registered by the practice
 * (client id, name, exact redirect URIs); codes live 60 s, are single-use and bound to the
 * client, redirect URI and code challenge; the access token is a bearer token of the
 * signed-in user narrowed to the granted `user/` scopes.
 */
import { createHash } from 'node:crypto';
import { outcomeError } from '@chartroom/core';
import type { Clock } from '../store/clock.js';
import type { AuthService } from './auth-service.js';
import type { RandomSource } from './random-source.js';
import { randomToken } from './random-source.js';
import { parseScope } from './smart-scopes.js';

/** A registered SMART app. */
export interface SmartClient {
  clientId: string;
  name: string;
  redirectUris: string[];
}

export interface AuthorizeRequest {
  response_type?: string;
  client_id?: string;
  redirect_uri?: string;
  scope?: string;
  state?: string;
  code_challenge?: string;
  code_challenge_method?: string;
  aud?: string;
}

/** A checked authorization request, ready for the user's consent. */
export interface ConsentRequest {
  client: SmartClient;
  redirectUri: string;
  /** Resource scopes granted by the token (user/…). */
  scopes: string[];
  /** Every scope asked for, for the consent page. */
  requested: string[];
  state: string;
  codeChallenge: string;
}

interface PendingCode {
  clientId: string;
  redirectUri: string;
  scopes: string[];
  userId: string;
  codeChallenge: string;
  expiresAt: number;
}

/** OAuth errors of the token endpoint (RFC 6749 §5.2), answered as `{ error, error_description }`. */
export class OAuthError extends Error {
  constructor(
    readonly error: 'invalid_request' | 'invalid_grant' | 'invalid_client' | 'unsupported_grant_type',
    description: string,
  ) {
    super(description);
  }
}

export const CODE_LIFETIME_MS = 60_000;
export const ACCESS_TOKEN_LIFETIME_MS = 60 * 60_000;
/** Scopes that ask for no resource access and are accepted (and ignored) in a request. */
const CONTEXT_SCOPES = new Set(['launch/patient', 'launch', 'openid', 'fhirUser', 'offline_access', 'online_access']);

/** The S256 code challenge of a verifier (RFC 7636 §4.2). */
export function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** Authorization codes and their exchange for access tokens. */
export class SmartLaunch {
  private readonly codes = new Map<string, PendingCode>();

  constructor(
    private readonly auth: AuthService,
    private readonly clients: readonly SmartClient[],
    private readonly clock: Clock,
    private readonly random: RandomSource,
  ) {}

  /** Checks an authorization request; a bad client or redirect URI is an error page, never a redirect. */
  check(q: AuthorizeRequest): ConsentRequest {
    const client = this.clients.find((c) => c.clientId === q.client_id);
    if (!client) throw outcomeError('badRequest', `Unknown SMART app "${q.client_id ?? ''}"; the practice registers apps in config.json (smartApps)`, 'client_id');
    if (!q.redirect_uri || !client.redirectUris.includes(q.redirect_uri)) throw outcomeError('badRequest', `redirect_uri is not one registered for ${client.name}`, 'redirect_uri');
    if (q.response_type !== 'code') throw outcomeError('badRequest', 'response_type must be "code"', 'response_type');
    if (q.code_challenge_method !== 'S256' || !q.code_challenge || !/^[A-Za-z0-9_-]{43}$/.test(q.code_challenge)) {
      throw outcomeError('badRequest', 'PKCE is required: code_challenge (S256, base64url of 32 bytes) and code_challenge_method=S256', 'code_challenge');
    }
    const requested = (q.scope ?? '').split(/\s+/).filter(Boolean);
    const scopes = requested.filter((s) => !CONTEXT_SCOPES.has(s));
    for (const s of scopes) {
      const p = parseScope(s);
      if (!p || p.context !== 'user') throw outcomeError('badRequest', `Scope "${s}" cannot be granted to an app; ask for user/… scopes`, 'scope');
    }
    if (scopes.length === 0) throw outcomeError('badRequest', 'The app asks for no resource scope (e.g. user/*.read)', 'scope');
    return { client, redirectUri: q.redirect_uri, scopes, requested, state: q.state ?? '', codeChallenge: q.code_challenge };
  }

  /** Issues a code after the user allowed the request. */
  issueCode(req: ConsentRequest, userId: string): string {
    const now = this.clock.now();
    for (const [k, v] of this.codes) if (v.expiresAt <= now) this.codes.delete(k);
    const code = randomToken(this.random, 32);
    this.codes.set(code, { clientId: req.client.clientId, redirectUri: req.redirectUri, scopes: req.scopes, userId, codeChallenge: req.codeChallenge, expiresAt: now + CODE_LIFETIME_MS });
    return code;
  }

  /** The token endpoint: exchanges a code (once) for an access token. */
  async exchange(form: Record<string, string | undefined>): Promise<{ access_token: string; token_type: 'Bearer'; expires_in: number; scope: string }> {
    if (form.grant_type !== 'authorization_code') throw new OAuthError('unsupported_grant_type', 'grant_type must be authorization_code');
    const code = form.code ?? '';
    const pending = this.codes.get(code);
    this.codes.delete(code); // single use, even when the rest is wrong
    if (!pending || pending.expiresAt <= this.clock.now()) throw new OAuthError('invalid_grant', 'The code is unknown, used or expired');
    if (pending.clientId !== form.client_id) throw new OAuthError('invalid_grant', 'The code was issued to another client');
    if (pending.redirectUri !== form.redirect_uri) throw new OAuthError('invalid_grant', 'redirect_uri differs from the authorization request');
    if (!form.code_verifier || s256(form.code_verifier) !== pending.codeChallenge) throw new OAuthError('invalid_grant', 'The code_verifier does not match the code_challenge');
    const row = await this.auth.accounts.row(pending.userId);
    if (!row || row.disabled) throw new OAuthError('invalid_grant', 'The user is no longer active');
    const { token } = await this.auth.tokens.create(pending.userId, { scopes: pending.scopes, label: `SMART app ${pending.clientId}`, lifetimeMs: ACCESS_TOKEN_LIFETIME_MS });
    return { access_token: token, token_type: 'Bearer', expires_in: ACCESS_TOKEN_LIFETIME_MS / 1000, scope: pending.scopes.join(' ') };
  }
}
