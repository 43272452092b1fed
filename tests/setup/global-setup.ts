// One PostgreSQL 18 for the whole run (embedded, or the server in DATABASE_URL) holding a migrated
// template database; each test file clones its own database from it (tests/helpers/db.ts).
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { pino } from 'pino';
import { startEmbedded } from '../../server/db/embedded.ts';
import { runMigrations } from '../../server/db/migrate.ts';
import { freePort } from '../helpers/net.ts';

export const TEMPLATE_DB = 'flagmeter_test_template';

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

export default async function globalSetup(): Promise<void> {
  let adminUrl: string;
  if (process.env.DATABASE_URL) {
    adminUrl = withDatabase(process.env.DATABASE_URL, 'postgres');
  } else {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'flagmeter-test-'));
    const port = await freePort();
    const server = await startEmbedded({
      dataDir, port,
      // durability is not under test here; speed is welcome
      settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: '300' },
    });
    (globalThis as { __flagmeterPg?: unknown }).__flagmeterPg = server;
    process.env.FLAGMETER_TEST_PG_DATA = dataDir;
    adminUrl = server.url;
  }
  const admin = new pg.Client(adminUrl);
  await admin.connect();
  const { rows: [{ server_version: version }] } = await admin.query('show server_version');
  await admin.query(`drop database if exists ${TEMPLATE_DB} with (force)`);
  await admin.query(`create database ${TEMPLATE_DB}`);
  await admin.end();
  await runMigrations(withDatabase(adminUrl, TEMPLATE_DB), pino({ level: 'warn' }));
  process.env.FLAGMETER_TEST_ADMIN_URL = adminUrl;
  process.stderr.write(`\n[tests] PostgreSQL ${version} (${process.env.DATABASE_URL ? 'DATABASE_URL' : 'embedded'}), template ${TEMPLATE_DB}\n`);
}
