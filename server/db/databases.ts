// Databases on a server FlagMeter runs itself (the embedded one, the developer's).
import pg from 'pg';

/** Creates each database that does not exist yet, through a connection to `adminUrl` (another database). */
export async function ensureDatabases(adminUrl: string, names: string[]): Promise<void> {
  const admin = new pg.Client(adminUrl);
  await admin.connect();
  try {
    for (const name of names) {
      const { rowCount } = await admin.query('select 1 from pg_database where datname = $1::text', [name]);
      if (!rowCount) await admin.query(`create database ${pg.escapeIdentifier(name)}`);
    }
  } finally {
    await admin.end();
  }
}
