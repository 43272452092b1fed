// What the HTTP app is built from. Routes depend on this module, never on app.ts that mounts them
// (that would tie every route to every other in one import circle); runtime.ts builds the values.
import type { Config } from './config.ts';
import type { Pool } from './db/pool.ts';
import type { BatchWriter } from './ingest/batch-writer.ts';
import type { Logger } from './log.ts';
import type { Metrics } from './metrics.ts';
import type { TenantCache } from './tenant-cache.ts';
import type { KeyCache } from './auth/key-cache.ts';
import type { RateLimiter } from './ratelimit.ts';
import type { Valkey } from './valkey/connection.ts';
import type { ValkeyBuffer } from './valkey/buffer.ts';
import type { UsageCache } from './cache/usage-cache.ts';
import type { Invalidator } from './cache/invalidation.ts';
import type { EntitlementMetrics } from './entitlements/metrics.ts';
import type { CheckBatcher } from './entitlements/check-batcher.ts';
import type { FlagService } from './flags/service.ts';
import type { Sessions } from './people/sessions.ts';
import type { EmbeddedStatus } from './db/embedded-supervisor.ts';
import type { ExportGate } from './reporting/export-gate.ts';

export interface AppDeps {
  config: Config;
  pool: Pool;
  /** The small pool reporting and CSV exports read through (REPORTING_POOL_MAX): they never take `pool`'s connections. */
  reportingPool: Pool;
  /** How many CSV exports may run at once per key and per tenant; counts and logs the ones cut for stalling. */
  exportGate: ExportGate;
  writer: BatchWriter;
  tenants: TenantCache;
  log: Logger;
  /** Prometheus metrics; without them /metrics is a 404 (tests, bench). */
  metrics?: Metrics;
  /** Flipped by shutdown: health turns 503 and connections are not kept alive. */
  state: { shuttingDown: boolean };
  /** API key lookups; undefined when FLAGMETER_AUTH is off (every caller may do everything). */
  keys: KeyCache | undefined;
  limiter: RateLimiter;
  /** Shown in the OpenAPI document. */
  version: string;
  /** Optional Valkey: hot cache and backpressure buffer. */
  valkey?: Valkey;
  buffer?: ValkeyBuffer;
  /** Usage reads (Valkey or in-process, USAGE_CACHE_TTL_MS). */
  usageCache: UsageCache;
  /** Tenant and key changes, told to every replica. */
  invalidator: Invalidator;
  /** Checks by reason (absent: not counted). */
  entitlementMetrics?: EntitlementMetrics;
  /** Feature flags held in memory, their quota snapshots and evaluation counts. */
  flags: FlagService;
  /** Cookie sessions of people who signed in (built in runtime.ts, shared by every router). */
  sessions: Sessions;
  /** Batches concurrent POST /api/check calls into one statement; closed on stop. */
  checks: CheckBatcher;
  /** The embedded PostgreSQL's keeper (absent with DATABASE_URL): health shows its state and restarts. */
  embedded?: { status(): EmbeddedStatus };
}
