/**
 * A real Chartroom node for browser tests: the `chartroom` CLI in a child process, on a fresh
 * data directory with a small demo practice, listening on a free port. The web app is built
 * first when packages/web/dist is missing or stale.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const CLI = join(ROOT, 'packages/server/bin/chartroom.js');

export interface ChartroomNode {
  url: string;
  dataDir: string;
  /** Everything the CLI printed (init, demo, serve). */
  output: string;
  /** Runs another `chartroom` command on the same data directory; returns its output. */
  cli(args: string[]): string;
  close(): Promise<void>;
}

/** Builds the web app if needed (vite build; a few seconds). */
export function buildWebApp(): void {
  const r = spawnSync(process.execPath, [join(ROOT, 'packages/web/scripts/build-if-stale.mjs')], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`web build failed:\n${r.stdout}\n${r.stderr}`);
}

function runCli(args: string[]): string {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NODE_NO_WARNINGS: '1' } });
  if (r.status !== 0) throw new Error(`chartroom ${args.join(' ')} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return `${r.stdout}${r.stderr}`;
}

/** Starts a node with a demo practice of `patients` patients; `beforeServe` runs on the data directory first. */
export async function startChartroomNode(patients = 12, beforeServe?: (data: string) => Promise<void>): Promise<ChartroomNode> {
  buildWebApp();
  const dataDir = mkdtempSync(join(tmpdir(), 'chartroom-web-'));
  const data = join(dataDir, 'node');
  let output = runCli(['init', '--data', data, '--practice', 'Riverside Family & Psychiatry']);
  output += runCli(['demo', '--data', data, '--patients', String(patients)]);
  await beforeServe?.(data);
  const child: ChildProcess = spawn(process.execPath, [CLI, 'serve', '--data', data, '--port', '0'], { cwd: ROOT, env: { ...process.env, NODE_NO_WARNINGS: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    const onData = (b: Buffer) => {
      seen += b.toString();
      const m = /running at (http:\/\/\S+)/.exec(seen);
      if (m?.[1]) resolve(m[1]);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (b: Buffer) => (seen += b.toString()));
    child.on('exit', (code) => reject(new Error(`chartroom serve exited (${code}):\n${seen}`)));
    setTimeout(() => reject(new Error(`chartroom serve did not start:\n${seen}`)), 60_000).unref();
  });
  return {
    url,
    dataDir: data,
    output,
    cli: (args) => runCli([...args, '--data', data]),
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
