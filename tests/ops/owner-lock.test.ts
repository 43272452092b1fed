// The owner lock of an embedded data folder (server/db/owner-lock.ts): a live owner is refused, a
// dead one is replaced, and a pid now carried by another process (another start time) is not the owner.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from '@jest/globals';
import { FolderInUse, OWNER_FILE, liveOwner, processStartTime, takeOwnership, type Owner } from '../../server/db/owner-lock.ts';

const dir = await mkdtemp(path.join(os.tmpdir(), 'flagmeter-owner-lock-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

const lockOf = (owner: Partial<Owner>) => writeFile(path.join(dir, OWNER_FILE), JSON.stringify({ pgPort: 5432, label: 'flagmeter all', startedAt: '2026-12-03T10:00:00.000Z', ...owner }));

test('a live owner (pid and start time match) is refused, and its lock is left as it was', async () => {
  await lockOf({ pid: process.ppid, startTime: processStartTime(process.ppid) ?? null });
  const before = await readFile(path.join(dir, OWNER_FILE), 'utf8');
  expect((await liveOwner(dir))?.pid).toBe(process.ppid);
  await expect(takeOwnership(dir, 5433, 'second')).rejects.toThrow(FolderInUse);
  await expect(takeOwnership(dir, 5433, 'second')).rejects.toThrow(`(pid ${process.ppid}, flagmeter all at 2026-12-03T10:00:00.000Z; its PostgreSQL on port 5432)`);
  expect(await readFile(path.join(dir, OWNER_FILE), 'utf8')).toBe(before);
});

test('a reused pid (same pid, another start time) and a dead pid are not owners: the lock is taken over, and released', async () => {
  for (const stale of [{ pid: process.ppid, startTime: '1' }, { pid: 2 ** 22 + 1, startTime: null }]) {
    await lockOf(stale);
    expect(await liveOwner(dir)).toBeUndefined();
    const mine = await takeOwnership(dir, 5433, 'mine');
    expect(mine.previous?.pid).toBe(stale.pid);
    expect(JSON.parse(await readFile(path.join(dir, OWNER_FILE), 'utf8'))).toMatchObject({ pid: process.pid, pgPort: 5433, label: 'mine' });
    expect((await liveOwner(dir))?.pid).toBe(process.pid);
    mine.release();
    expect(await liveOwner(dir)).toBeUndefined();
  }
});
