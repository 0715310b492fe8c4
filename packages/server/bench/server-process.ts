/**
 * Starts the server under test in a child process (so its RSS is the server's alone) and
 * talks to it over IPC. Every wait is bounded by a timeout.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { StoreLocation } from '../src/store/open-store.js';
import { SERVER_PROTOCOL_VERSION, parseFromServer } from './server-messages.js';
import type { FromServer, ToServer } from './server-messages.js';

const CHILD = fileURLToPath(new URL('./server-child.ts', import.meta.url));

/** A running server process. */
export interface ServerProcess {
  /** Base URL of the FHIR API, e.g. http://127.0.0.1:41234/fhir/R4 */
  readonly fhirBase: string;
  readonly port: number;
  /** A bearer token with full FHIR access (`system/*.*`) for the load generator. */
  readonly token: string;
  /** RSS right after the server started, in bytes. */
  readonly startRss: number;
  /** The server's current RSS in bytes. */
  rss(): Promise<number>;
  /** Stops the server and waits for the process to exit. */
  stop(): Promise<void>;
}

/** The tsx loader, resolved from this package so the child finds it from any working directory. */
function tsxLoader(): string {
  return pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
}

/** Starts a server on `location` listening on 127.0.0.1 and a free port. */
export async function startServerProcess(location: StoreLocation, timeoutMs = 60_000): Promise<ServerProcess> {
  const child: ChildProcess = fork(CHILD, [], {
    execArgv: ['--import', tsxLoader()],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, NODE_NO_WARNINGS: '1' },
  });
  let exited: string | undefined;
  const waiters = new Set<{ want: FromServer['kind']; resolve: (m: FromServer) => void; reject: (e: Error) => void }>();
  const failAll = (err: Error): void => {
    for (const w of waiters) w.reject(err);
    waiters.clear();
  };
  child.on('message', (raw: unknown) => {
    let msg: FromServer;
    try {
      msg = parseFromServer(raw);
    } catch (err) {
      failAll(err as Error);
      return;
    }
    if (msg.kind === 'failed') {
      failAll(new Error(`the server process failed: ${msg.message}`));
      return;
    }
    for (const w of waiters) {
      if (w.want === msg.kind) {
        waiters.delete(w);
        w.resolve(msg);
        break;
      }
    }
  });
  child.on('exit', (code, signal) => {
    exited = `the server process exited (code ${String(code)}, signal ${String(signal)})`;
    failAll(new Error(exited));
  });
  child.on('error', (err) => failAll(err));

  const request = <K extends FromServer['kind']>(msg: ToServer, want: K, ms = 15_000): Promise<Extract<FromServer, { kind: K }>> =>
    new Promise((resolve, reject) => {
      if (exited) {
        reject(new Error(exited));
        return;
      }
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`the server process did not answer "${msg.kind}" within ${ms} ms`));
      }, ms);
      const waiter = {
        want,
        resolve: (m: FromServer) => {
          clearTimeout(timer);
          resolve(m as Extract<FromServer, { kind: K }>);
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      waiters.add(waiter);
      child.send(msg);
    });

  const exitedPromise = new Promise<void>((resolve) => {
    if (child.exitCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };

  let ready: Extract<FromServer, { kind: 'ready' }>;
  try {
    ready = await request({ kind: 'open', version: SERVER_PROTOCOL_VERSION, location }, 'ready', timeoutMs);
  } catch (err) {
    kill();
    throw err;
  }
  return {
    port: ready.port,
    token: ready.token,
    fhirBase: `http://127.0.0.1:${ready.port}/fhir/R4`,
    startRss: ready.rss,
    rss: async () => (await request({ kind: 'rss' }, 'rss')).rss,
    stop: async () => {
      try {
        await request({ kind: 'stop' }, 'stopped', 30_000);
        const timer = setTimeout(kill, 10_000);
        await exitedPromise;
        clearTimeout(timer);
      } catch (err) {
        kill();
        await exitedPromise;
        throw err;
      }
    },
  };
}
