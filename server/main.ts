#!/usr/bin/env node
// flagmeter <all|serve|worker|migrate|db-url>: one binary, several roles (and db-url, which prints
// the connection string of the database FlagMeter uses, for psql "$(npx flagmeter db-url)").
// Without a role it prints its usage and exits 2 (nothing is started); `help` prints it and exits 0.
import path from 'node:path';
import { ConfigError, loadConfig } from './config.ts';
import { makeLogger } from './log.ts';
import { runMigrations } from './db/migrate.ts';
import { embeddedUrl, runningPort } from './db/embedded.ts';
import { startFlagMeter } from './runtime.ts';

const roles = ['all', 'serve', 'worker', 'migrate', 'db-url'] as const;
type CliRole = (typeof roles)[number];

const usage = `usage: flagmeter [${roles.join('|')}]
  all      migrate, then serve the API and run the jobs in one process (what npm start runs)
  serve    the API only
  worker   the jobs only
  migrate  apply the migrations to DATABASE_URL and exit
  db-url   print the connection string of the database FlagMeter uses (the running instance's)
Without DATABASE_URL, all/serve/worker start the embedded PostgreSQL of FLAGMETER_DATA_DIR; one
FlagMeter at a time owns that folder. Settings: .env.example, docs/configuration.md.`;

async function main(): Promise<void> {
  const arg = process.argv[2];
  if (arg === 'help' || arg === '--help' || arg === '-h') {
    console.log(usage);
    return;
  }
  if (arg === undefined || !roles.includes(arg as CliRole)) {
    console.error(arg === undefined ? `${usage}\n(no role given: nothing was started)` : `${usage}\n(got '${arg}')`);
    process.exit(2);
  }
  const role = arg as CliRole;
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  if (role === 'db-url') {
    // DATABASE_URL when set, else the embedded server of FLAGMETER_DATA_DIR: on the port the running
    // instance wrote into that folder, EMBEDDED_PG_PORT when none runs
    const port = await runningPort(config.FLAGMETER_DATA_DIR) ?? config.EMBEDDED_PG_PORT;
    const url = config.DATABASE_URL ?? await embeddedUrl(config.FLAGMETER_DATA_DIR, port, 'flagmeter');
    if (!url) {
      console.error(`flagmeter db-url: no embedded database in ${path.resolve(config.FLAGMETER_DATA_DIR)} yet (FLAGMETER_DATA_DIR): start FlagMeter once (npm start), or set DATABASE_URL.`);
      process.exit(1);
    }
    console.log(url);
    return;
  }
  const log = makeLogger(config.LOG_LEVEL);

  if (role === 'migrate') {
    if (!config.DATABASE_URL) throw new Error('flagmeter migrate needs DATABASE_URL (the embedded server migrates itself on `flagmeter all`).');
    await runMigrations(config.DATABASE_URL, log);
    log.info('migrations applied');
    return;
  }

  const app = await startFlagMeter(config, role, log);
  let signals = 0;
  const shutdown = (signal: string) => {
    if (++signals > 1) {
      log.warn({ signal }, 'second signal: exiting now, without writing out buffered events');
      app.abort();
      process.exit(1);
    }
    log.info({ signal }, 'signal received');
    app.stop().then(() => process.exit(0), (err: Error) => {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: Error) => {
  console.error(`flagmeter: ${err.message}`);
  process.exit(1);
});
