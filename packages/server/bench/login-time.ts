/**
 * Measures what a sign-in costs: argon2id hashing and verification with the production
 * parameters, and a whole `AuthService.login` (throttle check, verification, session) on an
 * encrypted SQLite store; and the per-request cost of checking a bearer token or a session
 * cookie. `npx tsx packages/server/bench/login-time.ts [N]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ARGON2_PARAMS, hashPassword, verifyPassword } from '../src/security/password-hash.js';
import { openStore } from '../src/store/open-store.js';
import { openAuthService } from '../src/security/open-auth-service.js';

function summary(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
  const f = (x: number): string => x.toFixed(x < 1 ? 3 : 1);
  return `p50 ${f(at(0.5))} ms, p90 ${f(at(0.9))} ms, min ${f(at(0))} ms (n=${s.length})`;
}

async function time(n: number, fn: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

const n = Number(process.argv[2] ?? 20);
const password = 'measured sign-in passphrase 1';
console.log(`argon2id m=${ARGON2_PARAMS.memoryCost} KiB, t=${ARGON2_PARAMS.timeCost}, p=${ARGON2_PARAMS.parallelism}`);
const hash = await hashPassword(password);
console.log(`hash:   ${summary(await time(n, () => hashPassword(password)))}`);
console.log(`verify: ${summary(await time(n, () => verifyPassword(hash, password)))}`);
const dir = mkdtempSync(join(tmpdir(), 'chartroom-login-time-'));
const store = await openStore({ kind: 'sqlite', file: join(dir, 'chartroom.db'), keyHex: randomBytes(32).toString('hex') });
try {
  const auth = openAuthService(store, randomBytes(32).toString('hex'));
  await auth.accounts.add({ username: 'timing', role: 'nurse', password });
  const device = (await auth.login({ username: 'timing', password, address: '127.0.0.1' })).newDeviceToken;
  console.log(`login (right password, session created): ${summary(await time(n, () => auth.login({ username: 'timing', password, address: '127.0.0.1', deviceToken: device })))}`);
  const wrong = await time(Math.min(n, 5), () => auth.login({ username: 'timing', password: 'not the password at all', address: '10.1.1.1' }).catch(() => undefined));
  const unknown = await time(Math.min(n, 5), () => auth.login({ username: 'nobody-here', password: 'not the password at all', address: '10.1.1.2' }).catch(() => undefined));
  console.log(`wrong password: ${summary(wrong)}`);
  console.log(`unknown user:   ${summary(unknown)}`);
  const session = await auth.login({ username: 'timing', password, address: '127.0.0.1', deviceToken: device });
  const { token } = await auth.tokens.create((await auth.accounts.find('timing')).id, { scopes: ['user/*.read'] });
  const many = n * 50;
  console.log(`per request, bearer token check: ${summary(await time(many, () => auth.authenticateToken(token)))}`);
  console.log(`per request, session cookie check: ${summary(await time(many, () => auth.authenticateSession(session.sessionToken)))}`);
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
