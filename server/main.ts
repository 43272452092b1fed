#!/usr/bin/env node
// flagmeter [all|serve|worker|migrate|db-url]: one binary, several roles (and db-url, which prints
// the connection string of the database FlagMeter uses, for psql "$(npx flagmeter db-url)").
import path from 'node:path';
import { ConfigError, loadConfig } from './config.ts';
import { makeLogger } from './log.ts';
import { runMigrations } from './db/migrate.ts';
import { embeddedUrl } from './db/embedded.ts';
import { startFlagMeter } from './runtime.ts';

const roles = ['all', 'serve', 'worker', 'migrate', 'db-url'] as const;
type CliRole = (typeof roles)[number];

async function main(): Promise<void> {
  const role = (process.argv[2] ?? 'all') as CliRole;
  if (!roles.includes(role)) {
    console.error(`usage: flagmeter [${roles.join('|')}]   (got '${role}')`);
    process.exit(2);
  }
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
    // DATABASE_URL when set, else the embedded server of FLAGMETER_DATA_DIR on EMBEDDED_PG_PORT
    const url = config.DATABASE_URL ?? await embeddedUrl(config.FLAGMETER_DATA_DIR, config.EMBEDDED_PG_PORT, 'flagmeter');
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
