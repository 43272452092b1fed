// The developer's PostgreSQL: the embedded server in FLAGMETER_DATA_DIR (the one `npm start` uses),
// or DATABASE_URL's server. A server that already answers is reused and left running, so
// `npm run db:commit` works beside a running `npm run dev`.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { loadConfig } from '../../server/config.ts';
import { runningPort, startEmbedded } from '../../server/db/embedded.ts';
import { ensureDatabases as ensureDatabasesOn } from '../../server/db/databases.ts';

export interface DevServer {
  /** Connection string for `database` on this server. */
  urlFor(database: string): string;
  /** Stops the server if this process started it. */
  release(): Promise<void>;
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function answers(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await c.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

export async function devServer(env: NodeJS.ProcessEnv = process.env): Promise<DevServer> {
  const config = loadConfig(env);
  if (config.DATABASE_URL) {
    const admin = withDatabase(config.DATABASE_URL, 'postgres');
    return { urlFor: (db) => withDatabase(admin, db), release: async () => undefined };
  }
  const dataDir = path.resolve(config.FLAGMETER_DATA_DIR);
  const password = await readFile(path.join(dataDir, 'pg-password'), 'utf8').then((p) => p.trim(), () => undefined);
  // a running FlagMeter's server, on the port it wrote into the folder (starting one would be refused: it owns the folder)
  const port = await runningPort(dataDir) ?? config.EMBEDDED_PG_PORT;
  const running = password && `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  if (running && await answers(running)) return { urlFor: (db) => withDatabase(running, db), release: async () => undefined };
  const server = await startEmbedded({ dataDir, port: config.EMBEDDED_PG_PORT });
  return { urlFor: (db) => withDatabase(server.url, db), release: () => server.stop() };
}

export async function ensureDatabases(server: DevServer, names: string[]): Promise<void> {
  await ensureDatabasesOn(server.urlFor('postgres'), names);
}

/** The graphile-migrate environment for the developer's databases `flagmeter` and `flagmeter_shadow`. */
export function migrateEnv(server: DevServer): { DATABASE_URL: string; SHADOW_DATABASE_URL: string; ROOT_DATABASE_URL: string } {
  return {
    DATABASE_URL: server.urlFor('flagmeter'),
    SHADOW_DATABASE_URL: server.urlFor('flagmeter_shadow'),
    // graphile-migrate connects here to drop and recreate the shadow database
    ROOT_DATABASE_URL: server.urlFor('postgres'),
  };
}

/** graphile-migrate's CLI, run on this Node (24) rather than whatever `node` is first on PATH. */
export const graphileMigrateCli = fileURLToPath(import.meta.resolve('graphile-migrate/dist/cli.js'));
