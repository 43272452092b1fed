// Every setting FlagMeter reads, parsed once at start-up. A bad value names the variable and the fix.
import { z } from 'zod';
import net from 'node:net';
import { allowEntryProblem } from './webhooks/ssrf.ts';

const int = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);
const bool = (fallback: boolean) =>
  z.enum(['true', 'false', '1', '0']).default(fallback ? 'true' : 'false').transform((v) => v === 'true' || v === '1');

/** Express's names for address ranges in `trust proxy` (proxy-addr). */
const PROXY_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * TRUST_PROXY: which proxies' X-Forwarded-For/-Proto to believe, as Express's `trust proxy` takes
 * it — false, a hop count, or the proxies' addresses (names, IPs, CIDRs). `true` is refused: Express
 * would then take the left-most X-Forwarded-For address, which the client writes itself.
 */
const trustProxy = z.string().default('false').transform((raw, ctx): false | number | string[] => {
  const v = raw.trim().toLowerCase();
  if (v === 'false' || v === '0') return false;
  if (v === 'true') {
    ctx.addIssue({ code: 'custom', message: 'true would believe the left-most X-Forwarded-For address, which any client can write: set the number of proxies in front of FlagMeter (TRUST_PROXY=1 for one reverse proxy) or their addresses (TRUST_PROXY=loopback,10.0.0.0/8)' });
    return z.NEVER;
  }
  if (/^\d+$/.test(v)) {
    const hops = Number(v);
    if (hops > 20) ctx.addIssue({ code: 'custom', message: 'a hop count must be 1 to 20 (the number of proxies in front of FlagMeter)' });
    return hops;
  }
  const entries = v.split(',').map((e) => e.trim()).filter((e) => e !== '');
  for (const e of entries) {
    const isAddress = e.includes('/') || net.isIP(e) !== 0;
    if (!PROXY_RANGES.has(e) && !(isAddress && allowEntryProblem(e) === null)) {
      ctx.addIssue({ code: 'custom', message: `'${e}' is not a proxy address: use false, a hop count (1), or addresses, CIDRs and the names loopback, linklocal, uniquelocal, comma-separated` });
    }
  }
  return entries;
});

const schema = z.object({
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// connection string').optional(),
  FLAGMETER_DATA_DIR: z.string().min(1).default('./.flagmeter'),
  EMBEDDED_PG_PORT: int(1, 65535, 54329),
  EMBEDDED_PG_RESTART_ATTEMPTS: int(0, 100, 5).describe('attempts in a row to start the embedded PostgreSQL again after it died (0: never)'),
  FLAGMETER_DEMO: bool(true).describe('seed the three demo tenants into an empty database'),
  PORT: int(0, 65535, 3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  METRICS_PORT: int(0, 65535, 9464).describe('the worker role serves /metrics and /api/health here'),
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces').optional()
    .describe('when set, GET /metrics answers only requests with Authorization: Bearer <token>'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PG_POOL_MAX: int(1, 200, 10),
  JOBS_POOL_MAX: int(1, 100, 4).describe('connections of the pool the jobs (minute tick, fast crossing check, per-user fold, deliveries) use in the `all` role, so they never take the connections ingest needs (the `worker` role uses PG_POOL_MAX)'),
  REPORTING_POOL_MAX: int(1, 100, 3).describe('connections of the separate pool that reporting and CSV exports use (ingest, checks and flags never wait on it)'),
  EXPORT_IDLE_TIMEOUT_MS: int(100, 3_600_000, 15_000).describe('a CSV export whose client takes no data for this long is cut and its connection released'),
  EXPORTS_PER_KEY: int(1, 1000, 2).describe('CSV exports one API key (or person) may run at once in a process; 429 beyond'),
  EXPORTS_PER_TENANT: int(1, 1000, 4).describe('CSV exports of one tenant that may run at once in a process; 429 beyond'),
  CSV_ESCAPE_FORMULAS: bool(true).describe('prefix a text cell of a CSV export that starts with = + - @ tab or CR with a quote, so spreadsheets do not run it as a formula'),
  BODY_LIMIT_BYTES: int(1024, 64 * 1024 * 1024, 1024 * 1024),
  EVENTS_MAX_PER_REQUEST: int(1, 100_000, 1000),
  EVENT_MAX_FUTURE_SECONDS: int(0, 86_400, 300),
  BATCH_MAX_EVENTS: int(1, 100_000, 1000),
  BATCH_MAX_WAIT_MS: int(0, 60_000, 4),
  BATCH_MAX_CONCURRENT: int(1, 64, 3),
  BUFFER_MAX_EVENTS: int(1, 10_000_000, 50_000),
  TENANT_CACHE_TTL_MS: int(0, 3_600_000, 5000),
  SHUTDOWN_TIMEOUT_MS: int(0, 600_000, 10_000),
  SLACK_WEBHOOK_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  WEBHOOK_ALLOW_PRIVATE: bool(false).describe('development only: webhooks may call loopback and private addresses (never the cloud metadata ones)'),
  WEBHOOK_ALLOW_HOSTS: z.string().optional()
    .transform((v) => (v ?? '').split(',').map((e) => e.trim()).filter((e) => e !== ''))
    .superRefine((entries, ctx) => {
      for (const e of entries) {
        const problem = allowEntryProblem(e);
        if (problem) ctx.addIssue({ code: 'custom', message: `${problem}: use host names (hooks.internal, *.corp.example), addresses or CIDRs (10.1.0.0/16), comma-separated` });
      }
    })
    .describe('host names, addresses or CIDRs webhooks may call although they are private'),
  WEBHOOK_MAX_ATTEMPTS: int(1, 50, 8).describe('attempts per generic webhook delivery before it is marked failed (backoff as for alerts)'),
  WEBHOOK_DISABLE_AFTER_FAILURES: int(1, 100_000, 20).describe('failed attempts in a row after which an endpoint is disabled'),
  WEBHOOK_LOG_RETENTION_DAYS: int(1, 3650, 30).describe('webhook events and their delivery log are kept this long (pending ones until done)'),
  WEBHOOK_POLL_MS: int(0, 60_000, 1000).describe('how often the worker looks for due webhook deliveries (0: never; tests call the handler)'),
  ALERT_MAX_ATTEMPTS: int(1, 50, 6),
  ALERT_RETRY_BASE_MS: int(1, 3_600_000, 2000),
  ALERT_RETRY_MAX_MS: int(1, 86_400_000, 300_000),
  ALERT_HTTP_TIMEOUT_MS: int(100, 120_000, 5000),
  ALERT_CHECK_INTERVAL_MS: int(0, 3_600_000, 10_000),
  EVENTS_RETENTION_MONTHS: int(3, 1200, 13),
  ROLLUP_COMPACT_AFTER_DAYS: int(1, 3650, 3),
  IDEMPOTENCY_WINDOW_DAYS: int(1, 3650, 7),
  FLAGMETER_AUTH: bool(true).describe('require API keys (turn off only for local experiments)'),
  FLAGMETER_ADMIN_KEY: z.string().regex(/^fm_live_[a-z0-9]{12}_[A-Za-z0-9_-]{32}$/, 'must look like fm_live_<12 lowercase letters/digits>_<32 base64url characters>').optional(),
  KEY_CACHE_TTL_MS: int(0, 600_000, 5000),
  FLAGMETER_ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').max(1024).optional()
    .describe('sets (or resets, at every start) the password of the first person, admin'),
  SESSION_IDLE_MINUTES: int(1, 43_200, 120).describe('a console session unused this long ends'),
  SESSION_MAX_HOURS: int(1, 8760, 12).describe('a console session ends this long after sign-in, however active'),
  INVITATION_TTL_HOURS: int(1, 8760, 72),
  PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'must be the http(s) URL people open FlagMeter at, e.g. https://flagmeter.example.com' }).optional()
    .transform((v) => v?.replace(/\/+$/, ''))
    .describe('where people reach FlagMeter (invitation links are built from it); unset: the request\'s Host, outside production only'),
  NODE_ENV: z.string().optional().describe('production: invitation links need PUBLIC_URL (the Docker image sets it)'),
  LOGIN_MAX_PER_ACCOUNT: int(1, 100_000, 5).describe('failed sign-ins per account name from one client address per LOGIN_WINDOW_SECONDS (a correct password is never counted)'),
  LOGIN_MAX_PER_ADDRESS: int(1, 100_000, 20).describe('failed sign-ins (any account) and registrations per client address per LOGIN_WINDOW_SECONDS'),
  LOGIN_WINDOW_SECONDS: int(1, 86_400, 900),
  TRUST_PROXY: trustProxy.describe('behind a reverse proxy: how many proxies (1) or which addresses (loopback,10.0.0.0/8) to believe for the client address and https (X-Forwarded-For/-Proto); false: none'),
  RATE_LIMIT_PER_SECOND: int(1, 10_000_000, 10_000),
  RATE_LIMIT_BURST: int(1, 100_000_000, 20_000),
  VALKEY_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').optional(),
  VALKEY_PREFIX: z.string().min(1).max(100).default('flagmeter:'),
  VALKEY_COMMAND_TIMEOUT_MS: int(10, 60_000, 500),
  USAGE_CACHE_TTL_MS: int(0, 3_600_000, 1000),
  USAGE_CACHE_LOCAL_MS: int(0, 3_600_000, 250).describe('with Valkey: how long each process keeps a cached read in memory in front of Valkey'),
  VALKEY_BUFFER_MAX_EVENTS: int(1, 1_000_000_000, 5_000_000),
  BUFFER_HIGH_WATER_EVENTS: int(1, 10_000_000, 25_000),
  DRAIN_BATCH_EVENTS: int(1, 100_000, 5000),
  ENTITLEMENT_FAIL_MODE: z.enum(['closed', 'open'], { error: 'must be closed (503 when the database is away) or open (allowed, reason unverified)' }).default('closed')
    .describe('what POST /api/check answers while the database is unreachable'),
  FLAGS_DEFAULT_ENV: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,127}$/, 'must be an environment name (lowercase letters, digits, . _ -)').default('prod')
    .describe('the environment an OFREP evaluation uses when its context names none'),
  OFREP_CORS_ORIGINS: z.string().regex(/^(\*|https?:\/\/[^\s,]+(,https?:\/\/[^\s,]+)*)$/, 'must be * or a comma-separated list of origins like https://app.example.com').optional()
    .describe('browsers on these origins may call /ofrep/v1 (the OpenFeature web provider); unset: no CORS headers'),
  FLAG_CACHE_TTL_MS: int(0, 3_600_000, 5000).describe('without Valkey: how stale another replica\'s flags may be after a write'),
  FLAG_QUOTA_REFRESH_MS: int(100, 60_000, 1000).describe('how often the usage of tenants with quota-rule flags is read (one query for all)'),
  FLAG_COUNTS_FLUSH_MS: int(100, 3_600_000, 5000).describe('how often flag evaluation counts are written to PostgreSQL'),
  FLAG_EVALUATIONS_RETENTION_DAYS: int(31, 3650, 90).describe('hourly evaluation counts older than this are deleted (at least 31: stale flags are judged over 30 days)'),
});

export type Config = z.infer<typeof schema>;

/** Every variable FlagMeter reads (a test checks .env.example documents each one). */
export const configKeys = schema.keyof().options;

export class ConfigError extends Error {}

// Values that are secrets or may hold one (a password in a URL; a Slack webhook URL is its own
// secret): an error names them but never prints them, since start-up errors end up in logs.
const SECRETS = new Set(['DATABASE_URL', 'SLACK_WEBHOOK_URL', 'FLAGMETER_ADMIN_KEY', 'FLAGMETER_ADMIN_PASSWORD', 'VALKEY_URL', 'METRICS_TOKEN']);
const shown = (key: string, value: string | undefined) =>
  SECRETS.has(key) && value !== undefined ? `<hidden, ${value.length} characters>` : JSON.stringify(value);

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // `VAR=` (from .env files or compose's ${VAR:-}) means unset, not "the empty string"
  const parsed = schema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (parsed.success) {
    const cfg = parsed.data;
    if (cfg.BATCH_MAX_EVENTS < cfg.EVENTS_MAX_PER_REQUEST) {
      throw new ConfigError(`BATCH_MAX_EVENTS (${cfg.BATCH_MAX_EVENTS}) must be at least EVENTS_MAX_PER_REQUEST (${cfg.EVENTS_MAX_PER_REQUEST}): one request's events are always written together.`);
    }
    if (cfg.BUFFER_MAX_EVENTS < cfg.BATCH_MAX_EVENTS) {
      throw new ConfigError(`BUFFER_MAX_EVENTS (${cfg.BUFFER_MAX_EVENTS}) must be at least BATCH_MAX_EVENTS (${cfg.BATCH_MAX_EVENTS}).`);
    }
    return cfg;
  }
  const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}=${shown(String(i.path[0]), env[String(i.path[0])])}: ${i.message}`);
  throw new ConfigError(`Invalid configuration (see .env.example):\n${lines.join('\n')}`);
}
