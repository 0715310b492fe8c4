/**
 * The server under test, run as a child process of the benchmark: opens the store it is
 * sent, listens on 127.0.0.1 on a free port, answers RSS questions, and stops on request.
 */
import { buildApp } from '../src/http/app.js';
import { releaseStartupMemory } from '../src/release-startup-memory.js';
import { openStore } from '../src/store/open-store.js';
import { randomBytes } from 'node:crypto';
import { openAuthService } from '../src/security/open-auth-service.js';
import type { Store } from '../src/store/open-store.js';
import type { FastifyInstance } from 'fastify';
import { parseToServer } from './server-messages.js';
import type { FromServer, ToServer } from './server-messages.js';

let store: Store | undefined;
let app: FastifyInstance | undefined;

function send(msg: FromServer): void {
  process.send?.(msg);
}

let stopped = false;

/** Closes the server, then the store; safe to call twice. */
async function stop(): Promise<void> {
  if (stopped) return;
  stopped = true;
  await app?.close();
  await store?.close();
}

async function handle(msg: ToServer): Promise<void> {
  switch (msg.kind) {
    case 'open': {
      store = await openStore(msg.location);
      // Requests authenticate like any client's: a bench user with a backend-service bearer token.
      const auth = openAuthService(store, randomBytes(32).toString('hex'));
      const { user } = await auth.accounts.add({ username: `bench-${randomBytes(4).toString('hex')}`, role: 'admin', password: randomBytes(18).toString('base64url') });
      const { token } = await auth.tokens.create(user.id, { scopes: ['system/*.*'], label: 'benchmark' });
      app = await buildApp({ repo: store.repo, auth, logger: false });
      await app.listen({ host: '127.0.0.1', port: 0 });
      releaseStartupMemory(); // as `chartroom serve` does
      const address = app.server.address();
      if (address === null || typeof address === 'string') throw new Error('the server has no TCP address');
      send({ kind: 'ready', port: address.port, rss: process.memoryUsage().rss, token });
      return;
    }
    case 'rss':
      send({ kind: 'rss', rss: process.memoryUsage().rss });
      return;
    case 'stop':
      await stop();
      send({ kind: 'stopped' });
      process.disconnect?.();
      return;
    default: {
      const never: never = msg;
      throw new Error(`unhandled message ${JSON.stringify(never)}`);
    }
  }
}

if (!process.send) {
  console.error('server-child.ts runs only as a child of the benchmark (it talks over IPC).');
  process.exit(2);
}
process.on('message', (raw: unknown) => {
  Promise.resolve()
    .then(() => handle(parseToServer(raw)))
    .catch((err: unknown) => {
      send({ kind: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      process.exitCode = 1;
      process.disconnect?.();
    });
});
// Without the parent there is nobody to serve: leave.
process.on('disconnect', () => {
  stop().catch((err: unknown) => {
    console.error('bench server: closing failed', err);
    process.exitCode = 1;
  });
});
