// Applies the committed graphile-migrate migrations in sql/committed to a database.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { migrate } from 'graphile-migrate';
import { Logger as MigrateLogger } from '@graphile/logger';
import type { Logger } from '../log.ts';
import { projectRoot } from '../paths.ts';

export const migrationsFolder = path.join(projectRoot, 'sql');

/** The committed migrations' SQL, in order (for tests and benches that apply or compare them by hand). */
export function committedMigrations(): string[] {
  const dir = path.join(migrationsFolder, 'committed');
  return readdirSync(dir).filter((f) => f.endsWith('.sql')).sort().map((f) => readFileSync(path.join(dir, f), 'utf8'));
}

/** Runs pending migrations; graphile-migrate's own chatter goes to our logger at debug. */
export async function runMigrations(connectionString: string, log: Logger): Promise<void> {
  const logger = new MigrateLogger(() => (level, message) => {
    if (level === 'error') log.error({ component: 'migrate' }, message);
    else log.debug({ component: 'migrate' }, message);
  });
  await migrate({ connectionString, migrationsFolder, logger });
  // graphile-migrate ends its pool ~200 ms after returning and exits the process if that pool
  // errors meanwhile: let it finish before anyone touches the database.
  await new Promise((resolve) => setTimeout(resolve, 300));
}
