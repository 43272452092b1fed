// Real Valkey/Redis for tests: the shared server on 6379 under a unique key prefix (cleaned up
// afterwards), or a private redis-server child that a test may stop.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { freePort } from './net.ts';
import { Redis } from 'ioredis';

export const SHARED_VALKEY_URL = process.env.VALKEY_TEST_URL ?? 'redis://127.0.0.1:6379';

export const uniquePrefix = (what: string) => `test-${what}-${randomBytes(4).toString('hex')}:`;

/** Deletes every key under the prefix from the shared server. */
export async function cleanPrefix(prefix: string, url = SHARED_VALKEY_URL): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  try {
    await client.connect();
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
  } finally {
    client.disconnect();
  }
}

export interface PrivateValkey { url: string; port: number; stop(): Promise<void>; start(): Promise<void> }

/** A redis-server of our own on a free port (no persistence), for tests that stop it. */
export async function startPrivateValkey(): Promise<PrivateValkey> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const deadline = Date.now() + 5000;
    for (;;) {
      const ok = await new Promise<boolean>((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); }).on('error', () => resolve(false));
      });
      if (ok) return;
      if (Date.now() > deadline) throw new Error('redis-server did not start (is it installed? .ci/run installs it)');
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async () => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, port, stop, start };
}
