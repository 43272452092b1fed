// A PostgreSQL 18 of a test file's own, for tests that stop and start the server (the shared one
// serves every other test file at the same time).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbedded, type EmbeddedServer } from '../../server/db/embedded.ts';
import { runMigrations } from '../../server/db/migrate.ts';
import { silentLog } from './db.ts';
import { freePort } from './net.ts';

export interface OwnPostgres { url: string; server: EmbeddedServer; close(): Promise<void> }

export async function startOwnPostgres(): Promise<OwnPostgres> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'flagmeter-own-pg-'));
  const server = await startEmbedded({ dataDir, port: await freePort(), settings: { fsync: 'off', full_page_writes: 'off' } });
  const admin = new pg.Client(server.url);
  await admin.connect();
  await admin.query('create database flagmeter');
  await admin.end();
  const url = server.url.replace(/\/postgres$/, '/flagmeter');
  await runMigrations(url, silentLog);
  return {
    url, server,
    close: async () => {
      await server.stop().catch(() => undefined);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
