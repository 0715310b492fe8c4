/**
 * An in-process FHIR app over a real store for tests: `buildApp` plus small helpers to send
 * FHIR requests through `inject()` and to prove that a request changed nothing.
 *
 * The app enforces authentication like a real node. `call()` and `request()` send a bearer
 * token with full FHIR access (`system/*.*`, a backend-service token) unless told otherwise:
 * `{ as: null }` sends no credentials, `{ as: token }` another token; `actAs(role)` gives
 * callers acting as a new user of that role (a `user/*.*` token).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Role } from '@chartroom/core';
import type { Clock } from '../../src/store/clock.js';
import type { FastifyInstance } from 'fastify';
import type { OperationOutcome } from '@medplum/fhirtypes';
import { FHIR_BASE, buildApp } from '../../src/http/app.js';
import type { AppConfig } from '../../src/http/app.js';
import type { FhirRepository } from '../../src/store/fhir-repository.js';
import { sqliteTestStore } from './stores.js';
import type { TestStore } from './stores.js';
import { openAuthService } from '../../src/security/open-auth-service.js';
import type { AuthService } from '../../src/security/auth-service.js';

export interface FhirReply {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  text: string;
  /** The parsed JSON body (undefined for an empty body). */
  body: Record<string, unknown> & { resourceType?: string; id?: string };
}

export interface FhirCallOptions {
  body?: unknown;
  /** A raw body sent as-is (takes precedence over `body`). */
  payload?: string;
  headers?: Record<string, string>;
  /** Credentials: a bearer token to send instead of the app's own, or null for none. */
  as?: string | null;
}

/** Callers acting as one user. */
export interface ActingUser {
  userId: string;
  username: string;
  token: string;
  call(method: string, path: string, opts?: FhirCallOptions): Promise<FhirReply>;
  request(method: string, url: string, opts?: FhirCallOptions): Promise<FhirReply>;
}

export interface ActAsOptions {
  /** Token scopes (default `user/*.*`). */
  scopes?: string[];
  practitionerId?: string;
  username?: string;
}

export interface FhirTestApp {
  app: FastifyInstance;
  store: TestStore;
  repo: FhirRepository;
  /** The app's authentication service (users, sessions, tokens). */
  auth: AuthService;
  /** The bearer token `call` and `request` send by default (`system/*.*`). */
  token: string;
  /** Creates a user of `role` and returns callers acting as that user. */
  actAs(role: Role, opts?: ActAsOptions): Promise<ActingUser>;
  /** Sends one request below the FHIR base (e.g. `Patient?name=x`). */
  call(method: string, path: string, opts?: FhirCallOptions): Promise<FhirReply>;
  /** Sends one request to any path of the app (e.g. `/api/schedule?date=…`), with the same credentials as `call`. */
  request(method: string, url: string, opts?: FhirCallOptions): Promise<FhirReply>;
  /** Follows an absolute link the server returned (e.g. a Bundle's `next`). */
  follow(url: string): Promise<FhirReply>;
  /** What a read-only check compares: the change-log head and current counts per type. */
  snapshot(): Promise<{ lastSeq: number; counts: Record<string, number> }>;
  dispose(): Promise<void>;
}

export interface FhirTestAppOptions {
  /** Clock of the authentication service (sessions, throttling, TOTP), for expiry tests. */
  authClock?: Clock;
}

/** Builds the app over a fresh store (SQLite by default) without listening. */
export async function fhirTestApp(open: () => Promise<TestStore> = () => sqliteTestStore(), config: Partial<AppConfig> = {}, options: FhirTestAppOptions = {}): Promise<FhirTestApp> {
  const store = await open();
  const auth = config.auth ?? openAuthService(store, randomBytes(32).toString('hex'), options.authClock ? { clock: options.authClock } : {});
  const app = await buildApp({ repo: store.repo, ...config, auth });
  const owner = await auth.accounts.add({ username: 'test-runner', displayName: 'Test runner', role: 'admin', password: randomBytes(18).toString('base64url') });
  const { token } = await auth.tokens.create(owner.user.id, { scopes: ['system/*.*'], label: 'fhirTestApp' });
  const request = async (method: string, url: string, opts: FhirCallOptions = {}): Promise<FhirReply> => {
    const headers: Record<string, string> = { ...opts.headers };
    const bearer = opts.as === undefined ? token : opts.as;
    if (bearer !== null && headers.authorization === undefined && headers.cookie === undefined) headers.authorization = `Bearer ${bearer}`;
    let payload = opts.payload;
    if (payload === undefined && opts.body !== undefined) {
      payload = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/fhir+json';
    }
    const res = await app.inject({ method: method as 'GET', url, headers, ...(payload !== undefined ? { payload } : {}) });
    const json = /(^|[/+])json\b/.test(String(res.headers['content-type'] ?? '')) && res.body ? JSON.parse(res.body) : undefined;
    return { status: res.statusCode, headers: res.headers, text: res.body, body: json };
  };
  const call = (method: string, path: string, opts: FhirCallOptions = {}): Promise<FhirReply> => request(method, `${FHIR_BASE}/${path}`, opts);
  let actors = 0;
  const actAs = async (role: Role, o: ActAsOptions = {}): Promise<ActingUser> => {
    const username = o.username ?? `${role}-${++actors}`;
    const { user } = await auth.accounts.add({ username, role, practitionerId: o.practitionerId, password: randomBytes(18).toString('base64url') });
    const t = (await auth.tokens.create(user.id, { scopes: o.scopes ?? ['user/*.*'], label: `actAs ${role}` })).token;
    return {
      userId: user.id,
      username,
      token: t,
      call: (method, path, opts = {}) => call(method, path, { as: t, ...opts }),
      request: (method, url, opts = {}) => request(method, url, { as: t, ...opts }),
    };
  };
  return {
    app,
    store,
    repo: store.repo,
    auth,
    token,
    actAs,
    call,
    request,
    follow: (url: string) => {
      const at = url.indexOf(`${FHIR_BASE}/`);
      assert.ok(at >= 0, `a link below the FHIR base: ${url}`);
      return call('GET', url.slice(at + FHIR_BASE.length + 1));
    },
    snapshot: async () => ({ lastSeq: await store.repo.lastSeq(), counts: await store.repo.countByType() }),
    dispose: async () => {
      await app.close();
      await store.dispose();
    },
  };
}

/** The `next` link of a Bundle reply, if any. */
export function nextLink(reply: FhirReply): string | undefined {
  const links = (reply.body.link ?? []) as { relation: string; url: string }[];
  return links.find((l) => l.relation === 'next')?.url;
}

/** Asserts an OperationOutcome reply: status, issue code, and optionally diagnostics and expression. */
export function assertOutcome(
  reply: FhirReply,
  status: number,
  expected: { code?: string; diagnostics?: RegExp; expression?: string | RegExp } = {},
): OperationOutcome {
  assert.equal(reply.status, status, `expected ${status}, got ${reply.status}: ${reply.text}`);
  assert.equal(reply.body?.resourceType, 'OperationOutcome', reply.text);
  const oo = reply.body as unknown as OperationOutcome;
  const issue = oo.issue[0];
  assert.ok(issue, 'the outcome has an issue');
  if (expected.code) assert.equal(issue.code, expected.code, reply.text);
  if (expected.diagnostics) assert.match(issue.diagnostics ?? '', expected.diagnostics);
  if (expected.expression !== undefined) {
    const exprs = oo.issue.flatMap((i) => i.expression ?? []);
    const ok = exprs.some((x) => (typeof expected.expression === 'string' ? x === expected.expression : expected.expression?.test(x)));
    assert.ok(ok, `an issue expression matches ${String(expected.expression)}; got ${JSON.stringify(exprs)}`);
  }
  return oo;
}

/** Runs `fn` and asserts that the store's change log and per-type counts did not move. */
export async function assertUnchanged(t: FhirTestApp, fn: () => Promise<void>): Promise<void> {
  const before = await t.snapshot();
  await fn();
  assert.deepEqual(await t.snapshot(), before, 'the request changed nothing');
}
