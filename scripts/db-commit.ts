// npm run db:commit [-- --message "..."]: commits sql/current.sql as the next migration in
// sql/committed (graphile-migrate tests it on the shadow database first), then refreshes sql/schema.sql.
// Uses the same server as `npm run dev` (the embedded one, or DATABASE_URL's).
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { devServer, ensureDatabases, graphileMigrateCli, migrateEnv } from './lib/dev-db.ts';
import { freshDump, schemaFile } from './dump-schema.ts';

function run(args: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [graphileMigrateCli, ...args], { stdio: 'inherit', env: { ...process.env, ...env } });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const server = await devServer();
let code = 1;
try {
  await ensureDatabases(server, ['flagmeter', 'flagmeter_shadow']);
  code = await run(['commit', ...process.argv.slice(2)], migrateEnv(server));
  if (code === 0) {
    await writeFile(schemaFile, await freshDump(server));
    console.log('refreshed sql/schema.sql: commit it with the migration');
  }
} catch (err) {
  console.error(`db:commit: ${(err as Error).message}`);
} finally {
  await server.release();
}
process.exit(code);
