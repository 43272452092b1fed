// npm run dev: the embedded PostgreSQL (or DATABASE_URL's server), `graphile-migrate watch` on
// sql/current.sql, and `flagmeter all` restarted on every change to the server's code.
// Ctrl-C stops both children (each once, so the server shuts down gracefully), then the database.
import { spawn, type ChildProcess } from 'node:child_process';
import { pino } from 'pino';
import { runMigrations } from '../server/db/migrate.ts';
import { devServer, ensureDatabases, graphileMigrateCli, migrateEnv } from './lib/dev-db.ts';

const server = await devServer();
await ensureDatabases(server, ['flagmeter', 'flagmeter_shadow']);
const env = { ...process.env, ...migrateEnv(server) };
// committed migrations first, so the watcher and the server do not both start migrating
await runMigrations(env.DATABASE_URL, pino({ level: 'warn' }));

// own process groups: a terminal's Ctrl-C reaches only us, and we forward it once
const start = (name: string, args: string[]): ChildProcess => {
  const child = spawn(process.execPath, args, { stdio: 'inherit', env, detached: true });
  child.once('exit', (code, signal) => {
    if (!stopping) console.error(`dev: ${name} exited (${signal ?? code}); stopping`);
    void stop(code ?? 1);
  });
  return child;
};

let stopping: Promise<void> | undefined;
const children: ChildProcess[] = [];
const stop = (code: number) => stopping ??= (async () => {
  const exited = children.map((c) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', r))));
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  await Promise.all(exited);
  await server.release();
  process.exit(code);
})();

children.push(
  start('graphile-migrate watch', [graphileMigrateCli, 'watch']),
  start('server', ['--watch', '--watch-preserve-output', 'server/main.ts', 'all']),
);
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
