// The bench's own database: a fresh one in an embedded PostgreSQL 18 (temp folder) or in the server
// given by --database-url, migrated, with N tenants. Dropped at the end unless the data check failed.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbedded, type EmbeddedServer } from '../../server/db/embedded.ts';
import { watch } from 'graphile-migrate';
import { committedMigrations, migrationsFolder, runMigrations } from '../../server/db/migrate.ts';
import { ensureTenants } from '../../server/db/tenants.ts';
import { makeLogger } from '../../server/log.ts';
import { freePort } from './children.ts';

export interface BenchDatabase {
  url: string;
  /** The server's own database (`postgres`), to create more databases beside this one. */
  serverUrl: string;
  serverVersion: string;
  /** Where it lives: the embedded server's folder, or the database's URL (without password). */
  location: string;
  /** Set for the embedded server: its postmaster, for CPU accounting. */
  postmasterPid?: number;
  tenants: string[];
  tenantIds: number[];
  drop(keep: boolean): Promise<void>;
}

/** Settings for the embedded server: durable commits as in production, room for WAL bursts. */
export const embeddedSettings = { shared_buffers: '256MB', max_wal_size: '2GB', synchronous_commit: 'on', fsync: 'on' };

/** The same server's URL for another database. */
export const withDatabase = (url: string, db: string) => {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
};

let created = 0;

/** `through`: only the committed migrations up to that number (the schema as it then was), applied as plain SQL. */
export async function setUpDatabase(givenUrl: string | undefined, tenantCount: number, currentSql = false, through?: number): Promise<BenchDatabase> {
  let embedded: EmbeddedServer | undefined;
  let tmp: string | undefined;
  let adminUrl = givenUrl;
  if (!adminUrl) {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'flagmeter-bench-'));
    embedded = await startEmbedded({ dataDir: tmp, port: await freePort(), settings: embeddedSettings });
    adminUrl = embedded.url;
  }
  const name = `flagmeter_bench_${Date.now()}_${++created}`;
  const admin = new pg.Client(adminUrl);
  await admin.connect();
  const { rows: [v] } = await admin.query<{ server_version: string }>('show server_version');
  await admin.query(`create database ${name}`);
  await admin.end();

  const url = withDatabase(adminUrl, name);
  if (through === undefined) await runMigrations(url, makeLogger('warn'));
  else {
    const c = new pg.Client(url);
    await c.connect();
    try {
      for (const sql of committedMigrations().slice(0, through)) await c.query(sql);
    } finally {
      await c.end();
    }
  }
  if (currentSql) {
    // the uncommitted migration too, as `graphile-migrate watch --once` does, for a tree mid-change
    await watch({ connectionString: url, migrationsFolder }, true);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  await pool.query('select flagmeter.ensure_event_partitions()');
  const tenants = Array.from({ length: tenantCount }, (_, i) => `bench-${String(i + 1).padStart(3, '0')}`);
  await ensureTenants(pool, tenants.map((slug) => ({ slug, name: `Bench ${slug}`, monthlyQuota: 1e12 })));
  const { rows: ids } = await pool.query<{ id: string }>('select id from flagmeter.tenants order by id');
  await pool.end();

  const postmasterPid = tmp
    ? Number((await readFile(path.join(tmp, 'pg', 'postmaster.pid'), 'utf8')).split('\n')[0])
    : undefined;
  return {
    location: tmp ?? withDatabase(adminUrl.replace(/\/\/[^@]*@/, '//'), name), url, serverUrl: adminUrl, serverVersion: v?.server_version ?? '?', tenants, tenantIds: ids.map((r) => Number(r.id)), ...(postmasterPid ? { postmasterPid } : {}),
    async drop(keep) {
      if (embedded) {
        await embedded.stop();
        if (!keep) await rm(tmp!, { recursive: true, force: true });
        return;
      }
      if (keep) return;
      const c = new pg.Client(adminUrl);
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

export interface StoredTotals { rollupTokens: number; rollupEvents: number; eventTokens: number; events: number }

export async function storedTotals(url: string): Promise<StoredTotals> {
  const c = new pg.Client(url);
  await c.connect();
  try {
    const { rows: [r] } = await c.query<Record<keyof StoredTotals, string>>(`select
      (select coalesce(sum(tokens), 0) from flagmeter.rollups)::text as "rollupTokens",
      (select coalesce(sum(event_count), 0) from flagmeter.rollups)::text as "rollupEvents",
      (select coalesce(sum(tokens), 0) from flagmeter.events)::text as "eventTokens",
      (select count(*) from flagmeter.events)::text as events`);
    return { rollupTokens: Number(r!.rollupTokens), rollupEvents: Number(r!.rollupEvents), eventTokens: Number(r!.eventTokens), events: Number(r!.events) };
  } finally {
    await c.end();
  }
}
