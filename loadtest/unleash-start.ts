// Unleash OSS for `npm run bench:unleash`, started as a child like FlagMeter: unleash-server's own
// start() (migrations, then the HTTP server), from the copy installed in UNLEASH_DIR, on the bench's
// PostgreSQL (DATABASE_URL, its own database), PORT, API tokens created at start-up
// (authentication.initApiTokens: one admin, one backend, one frontend token), nothing sent out,
// its per-IP SDK rate limits raised (below).
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const need = (name: string) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};
const dir = need('UNLEASH_DIR');
const entry = path.join(dir, 'node_modules', 'unleash-server', 'dist', 'lib', 'server-impl.js');
const unleash = await import(pathToFileURL(entry).href) as { start(o: Record<string, unknown>): Promise<unknown> };
const token = (secret: string, type: string, environment: string) => ({ secret, type, environment, projects: ['*'], tokenName: `bench-${type}` });

await unleash.start({
  databaseUrl: need('DATABASE_URL'),
  db: { ssl: false },
  server: { port: Number(need('PORT')), host: '127.0.0.1' },
  logLevel: process.env.LOG_LEVEL ?? 'warn',
  versionCheck: { enable: false },
  telemetry: false,
  // the SDK and token limits (20,000 requests a minute per client IP by default) would answer 429 to a
  // load generator on one address within seconds: raised out of reach, the limiter itself still runs
  rateLimiting: { sdkApiMaxPerMinute: 1_000_000_000, tokenAuthenticationMaxPerMinute: 1_000_000_000 },
  authentication: {
    type: 'open-source',
    initApiTokens: [
      token(need('UNLEASH_ADMIN_TOKEN'), 'admin', '*'),
      token(need('UNLEASH_CLIENT_TOKEN'), 'backend', 'development'),
      token(need('UNLEASH_FRONTEND_TOKEN'), 'frontend', 'development'),
    ],
  },
});
