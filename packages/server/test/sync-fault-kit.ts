/**
 * Real processes and a real network for the sync fault tests and the soak script: a node
 * child process (sync-node-child.ts) that can be killed with SIGKILL and restarted on the
 * same data directory and port, and a TCP proxy that delays, cuts, resets and corrupts
 * connections (a partition when it refuses them).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import type { Server, Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('./sync-node-child.ts', import.meta.url));

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A node process: commands in, one answer line out. */
export class NodeProcess {
  private child: ChildProcess | undefined;
  private waiters: ((line: string) => void)[] = [];
  url = '';

  constructor(
    readonly name: string,
    readonly dir: string,
    readonly port: number,
    readonly skewMs = 0,
  ) {}

  /** Starts (or restarts) the process and waits until it listens. */
  async start(): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
      env: { QUARANTINE_FLOOR: '100000', ...process.env, NODE_DIR: this.dir, PORT: String(this.port), SKEW_MS: String(this.skewMs), NODE_NO_WARNINGS: '1' },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.child = child;
    this.waiters = [];
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => this.waiters.shift()?.(line));
    child.on('exit', () => {
      for (const w of this.waiters.splice(0)) w('EXIT');
    });
    const ready = await this.next();
    if (!ready.startsWith('READY ')) throw new Error(`${this.name} did not start: ${ready}`);
    this.url = ready.slice(6);
  }

  private next(): Promise<string> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Sends one command and returns its answer line. */
  async send(command: string): Promise<string> {
    const answer = this.next();
    this.child?.stdin?.write(command + '\n');
    return answer;
  }

  /** SIGKILL, no goodbye. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  /** Closes stdin (the child closes cleanly) and waits. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.stdin?.end();
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}

/** What the proxy does to traffic now. */
export interface ProxyFaults {
  /** Refuse new connections and drop open ones (a partition). */
  down: boolean;
  /** Delay each chunk by up to this many ms. */
  delayMs: number;
  /** Chance per chunk to cut the connection (half the time with a reset). */
  cut: number;
  /** Chance per chunk to flip one byte. */
  corrupt: number;
}

/** A TCP proxy from a local port to `target`, with faults; counts what it injected. */
export class FaultProxy {
  readonly faults: ProxyFaults = { down: false, delayMs: 0, cut: 0, corrupt: 0 };
  injected = 0;
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  port = 0;

  constructor(
    private readonly targetPort: number,
    private readonly random: () => number = Math.random,
  ) {}

  async start(): Promise<void> {
    this.server = createServer((client) => {
      if (this.faults.down) {
        this.injected++;
        client.destroy();
        return;
      }
      const upstream = connect(this.targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      const pipe = (from: Socket, to: Socket): void => {
        from.on('data', (chunk: Buffer) => {
          if (this.faults.down || this.random() < this.faults.cut) {
            this.injected++;
            if (this.random() < 0.5) from.resetAndDestroy();
            else from.destroy();
            to.destroy();
            return;
          }
          let data = chunk;
          if (this.random() < this.faults.corrupt && data.length > 0) {
            this.injected++;
            data = Buffer.from(data);
            const i = Math.floor(this.random() * data.length);
            data[i] = (data[i] as number) ^ 0x20;
          }
          const send = (): void => {
            if (!to.destroyed) to.write(data);
          };
          if (this.faults.delayMs > 0) {
            from.pause();
            setTimeout(() => {
              send();
              from.resume();
            }, this.random() * this.faults.delayMs);
          } else send();
        });
        from.on('end', () => to.end());
        from.on('close', () => to.destroy());
      };
      pipe(client, upstream);
      pipe(upstream, client);
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** Drops every open connection (a cut). */
  cutAll(): void {
    for (const s of this.sockets) s.destroy();
    this.injected++;
  }

  async close(): Promise<void> {
    this.cutAll();
    await new Promise<void>((r) => this.server?.close(() => r()));
  }
}

/** A node's dump: every revision and every winner, as lines. */
export interface NodeDump {
  revs: string[];
  winners: string[];
}

/** Asks a node for its dump. */
export async function dumpOf(node: NodeProcess): Promise<NodeDump> {
  const line = await node.send('dump');
  if (!line.startsWith('DUMP ')) throw new Error(`${node.name} dump failed: ${line}`);
  return JSON.parse(line.slice(5)) as NodeDump;
}
