// The real CLI as a person runs it (`node server/main.ts <role>`), as a child process: its logs,
// its exit, and a wait for a log line with a deadline (a process that exits first fails the wait).
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';

export interface CliProcess {
  child: ChildProcess;
  /** stdout and stderr so far. */
  logs(): string;
  /** The exit code (null when ended by a signal). */
  exited: Promise<number | null>;
  /** Resolves once the logs contain `text`; throws, with the logs, when the process exits first or the deadline passes. */
  waitFor(text: string, ms?: number): Promise<void>;
}

/** The environment of a FlagMeter on its own embedded PostgreSQL: no DATABASE_URL, quiet about nothing. */
export function cliEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env, HOST: '127.0.0.1', LOG_LEVEL: 'info', FLAGMETER_DEMO: 'false', FLAGMETER_AUTH: 'false', ...env };
  for (const name of ['DATABASE_URL', 'PORT', 'EMBEDDED_PG_PORT', 'FLAGMETER_DATA_DIR']) if (!(name in env)) delete base[name];
  return base;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv, entry = 'server/main.ts'): CliProcess {
  const child = spawn(process.execPath, [entry, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitFor = async (text: string, ms = 90_000) => {
    const deadline = Date.now() + ms;
    while (!out.includes(text)) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited before "${text}":\n${out}`);
      if (Date.now() > deadline) throw new Error(`no "${text}" within ${ms} ms:\n${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { child, logs: () => out, exited, waitFor };
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export const listening = (port: number) => new Promise<boolean>((resolve) => {
  const socket = net.connect(port, '127.0.0.1');
  socket.once('connect', () => { socket.destroy(); resolve(true); });
  socket.once('error', () => resolve(false));
});
