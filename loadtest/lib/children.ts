// The servers under test run as child processes so the client never shares their event loop.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface Child { name: string; pid: number; port: number; stop(): Promise<void>; tail(): string }

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function ready(port: number, healthPath: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`exited with code ${child.exitCode}`);
    const ok = await fetch(`http://127.0.0.1:${port}${healthPath}`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not ready within ${timeoutMs} ms`);
}

/**
 * portVariable: the variable that names the port /api/health answers on (METRICS_PORT for a worker);
 * ready: another health path or start-up allowance (Unleash answers /health, after its migrations).
 */
export async function startChild(name: string, script: string, args: string[], env: Record<string, string>, nodeFlags: string[] = [], portVariable = 'PORT', ready_: { healthPath?: string; timeoutMs?: number } = {}): Promise<Child> {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeFlags, path.join(repo, script), ...args], {
    cwd: repo,
    env: { ...process.env, ...env, [portVariable]: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > 40) lines.splice(0, lines.length - 40);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const tail = () => lines.join('\n');
  try {
    await ready(port, ready_.healthPath ?? '/api/health', child, ready_.timeoutMs ?? 30_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${name} did not start: ${(err as Error).message}\n${tail()}`);
  }
  return {
    name, pid: child.pid!, port, tail,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    },
  };
}
