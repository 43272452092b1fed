// npm run db:dump: migrates a fresh database with sql/committed and writes its schema to
// sql/schema.sql (`--check`: only compare, exit 1 when the committed file is stale).
// Runs on the embedded server (started if needed) or DATABASE_URL's server.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import { pino } from 'pino';
import { runMigrations } from '../server/db/migrate.ts';
import { dumpSchema } from './lib/catalog-dump.ts';
import { devServer, type DevServer } from './lib/dev-db.ts';

export const schemaFile = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../sql/schema.sql');

/** Migrates a throw-away database on `server` and returns its dump. */
export async function freshDump(server: DevServer): Promise<string> {
  const name = `flagmeter_dump_${process.pid}`;
  const admin = new pg.Client(server.urlFor('postgres'));
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.query(`create database ${name}`);
    await runMigrations(server.urlFor(name), pino({ level: 'warn' }));
    const client = new pg.Client(server.urlFor(name));
    await client.connect();
    try {
      return await dumpSchema(client);
    } finally {
      await client.end();
    }
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const server = await devServer();
  try {
    const dump = await freshDump(server);
    const committed = await readFile(schemaFile, 'utf8').catch(() => '');
    if (check) {
      if (dump !== committed) {
        console.error('sql/schema.sql is stale: run `npm run db:dump` and commit it.');
        process.exitCode = 1;
      }
    } else if (dump !== committed) {
      await writeFile(schemaFile, dump);
      console.log(`wrote ${path.relative(process.cwd(), schemaFile)}`);
    } else {
      console.log('sql/schema.sql is up to date');
    }
  } finally {
    await server.release();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: Error) => {
    console.error(`dump-schema: ${err.message}`);
    process.exit(1);
  });
}
