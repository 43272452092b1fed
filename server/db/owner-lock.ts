// One owner per embedded data folder. The process that starts the embedded PostgreSQL writes
// `owner.json` (its pid and its start time) into the folder and removes it when it stops; a second
// start on the same folder finds a live owner and refuses, touching nothing. A pid alone is not
// enough: after a reboot or a long time another process may carry it, so the process's start time
// (/proc/<pid>/stat, field 22) must match too. Only a dead owner's PostgreSQL is an orphan.
import { readFileSync, unlinkSync } from 'node:fs';
import { readFile, writeFile, unlink } from 'node:fs/promises';
import path from 'node:path';

export const OWNER_FILE = 'owner.json';

export interface Owner {
  pid: number;
  /** Clock ticks since boot when the process started (Linux); null where /proc is missing. */
  startTime: string | null;
  /** Where its embedded PostgreSQL listens (flagmeter db-url reads it). */
  pgPort: number;
  /** What runs there, for the refusal message (e.g. `flagmeter all, API on 0.0.0.0:3000`). */
  label: string;
  startedAt: string;
}

/**
 * The start time of process `pid`: a string when it runs (Linux), null when it runs but this system
 * has no /proc, undefined when no such process exists.
 */
export function processStartTime(pid: number): string | null | undefined {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it exists but belongs to another user (a postgres run as the postgres user)
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the command name (field 2) is in parentheses and may hold spaces: count from the last ')'
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** Whether the process that wrote `owner` still runs (the same process, not a reused pid). */
export function isAlive(owner: Pick<Owner, 'pid' | 'startTime'>): boolean {
  // pid 0 or negative would name a process group, not a process
  if (!Number.isInteger(owner.pid) || owner.pid <= 0) return false;
  const now = processStartTime(owner.pid);
  if (now === undefined) return false;
  return now === null || owner.startTime === null || now === owner.startTime;
}

async function readOwner(file: string): Promise<{ owner: Owner; text: string } | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return { owner: JSON.parse(text) as Owner, text };
  } catch {
    // a half-written file of a process killed while writing it: nobody owns the folder
    return { owner: { pid: 0, startTime: null, pgPort: 0, label: '', startedAt: '' }, text };
  }
}

/** The live owner of `dataDir`, if any. Reads only: a start calls this before it creates anything. */
export async function liveOwner(dataDir: string): Promise<Owner | undefined> {
  const found = await readOwner(path.join(path.resolve(dataDir), OWNER_FILE));
  return found && isAlive(found.owner) ? found.owner : undefined;
}

export class FolderInUse extends Error {
  readonly owner: Owner;
  constructor(dataDir: string, owner: Owner) {
    super(`FlagMeter is already running on the data folder ${path.resolve(dataDir)} (pid ${owner.pid}, ${owner.label || 'started'} at ${owner.startedAt}; `
      + `its PostgreSQL on port ${owner.pgPort}). Nothing was changed. Use that one, stop it first (Ctrl-C in its terminal, or kill ${owner.pid}), `
      + 'or give this one a data folder of its own (FLAGMETER_DATA_DIR).');
    this.owner = owner;
  }
}

export interface Ownership {
  /** The dead owner whose lock this start replaced, if there was one. */
  previous: Owner | undefined;
  /** Removes the lock if it is still ours (synchronous: also for a process on its way out). */
  release(): void;
}

/**
 * Makes this process the owner of `dataDir` (which must exist): creates owner.json exclusively;
 * a lock whose process is gone is replaced; a live owner's makes this throw FolderInUse.
 */
export async function takeOwnership(dataDir: string, pgPort: number, label: string): Promise<Ownership> {
  const file = path.join(path.resolve(dataDir), OWNER_FILE);
  const me: Owner = { pid: process.pid, startTime: processStartTime(process.pid) ?? null, pgPort, label, startedAt: new Date().toISOString() };
  const text = JSON.stringify(me) + '\n';
  let previous: Owner | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(file, text, { flag: 'wx', mode: 0o644 });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) {
        const holder = await readOwner(file);
        if (holder && isAlive(holder.owner)) throw new FolderInUse(dataDir, holder.owner);
        throw err;
      }
    }
    const found = await readOwner(file);
    if (found && isAlive(found.owner)) throw new FolderInUse(dataDir, found.owner);
    // a dead owner's lock: remove it only if it is still that one (another start may have replaced it)
    const again = await readFile(file, 'utf8').catch(() => undefined);
    if (found && again === found.text) {
      previous = found.owner;
      await unlink(file).catch(() => undefined);
    }
  }
  return {
    previous,
    release: () => {
      try {
        if (readFileSync(file, 'utf8') === text) unlinkSync(file);
      } catch {
        // already gone
      }
    },
  };
}
