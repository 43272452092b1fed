// The bodies the API answers with, as zod schemas. The OpenAPI document is generated from them and
// handlers answer through `send`, whose body type is z.infer of the same schema: what is documented
// is what the compiler checks. The bodies are not parsed at run time (the hot path stays as it is);
// tests/api/responses.test.ts and the fuzz test check real answers against the document.
import type { Response } from 'express';
import { z } from 'zod';
import { SCOPES } from '../auth/keys.ts';
import { buckets } from '../db/series.ts';

const isoTime = z.string().describe('ISO 8601, UTC (e.g. 2026-11-22T10:00:00.000Z)');
const count = z.number().int().min(0);

/** Answers `body` with `status`; the body's type is the schema's. */
export function send<S extends z.ZodType>(res: Response, status: number, _schema: S, body: z.output<S>): void {
  res.status(status).json(body);
}

export const eventStored = z.object({ success: z.literal(true), eventId: z.string(), duplicate: z.boolean() });
export const batchStored = z.object({ success: z.literal(true), accepted: count, duplicates: count });
export const eventBuffered = z.object({ success: z.literal(true), eventId: z.string(), buffered: z.literal(true) });
export const batchBuffered = z.object({ success: z.literal(true), accepted: count, buffered: z.literal(true) });

export const alertBody = z.object({
  id: z.number().int(), tenant: z.string(), threshold: z.number().int(), usedTokens: count, quota: z.number().int(),
  percent: z.number(), periodStart: isoTime, periodEnd: isoTime,
  status: z.enum(['pending', 'delivered', 'failed', 'skipped']), attempts: count, lastError: z.string().nullable(),
  createdAt: isoTime, lastAttemptAt: isoTime.nullable(), deliveredAt: isoTime.nullable(),
  feature: z.string().nullable().describe('null: a quota alert; set: the feature whose limit was crossed (quota is then that limit)'),
});

/** One limit with its figures this period: the quota (feature null) or a feature limit. */
export const limitUsage = z.object({
  feature: z.string().nullable(), limit: z.number().int(), hard: z.boolean(), used: count, reserved: count,
  remaining: count, overage: count, percent: z.number(),
});

export const tenantUsage = z.object({
  tenant: z.string(), tenantName: z.string(), totalTokens: count, monthlyQuota: z.number().int(),
  quotaPercent: z.number(), eventCount: count, periodStart: isoTime, periodEnd: isoTime,
  billingDay: z.number().int(), timezone: z.string(),
});
export const usageBody = tenantUsage.extend({
  limits: z.array(limitUsage).describe('the quota first, then each feature limit'),
  features: z.array(z.object({ feature: z.string(), tokens: count, eventCount: count, percent: z.number().nullable() })),
  alerts: z.array(alertBody).describe('the latest 20'),
});
export const tenantsBody = z.object({ tenants: z.array(tenantUsage) });

export const seriesBody = z.object({
  tenant: z.string(), bucket: z.enum(buckets), timezone: z.string(), periodStart: isoTime, periodEnd: isoTime, quota: z.number().int(),
  points: z.array(z.object({ t: isoTime, tokens: count, cumulative: count })),
});

export const webhookView = z.object({
  url: z.string().describe('whole for admin keys; masked (scheme, host, last four characters) for everyone else'),
  enabled: z.boolean(),
});
export const tenantSettings = z.object({
  tenant: z.string(), name: z.string(), monthlyQuota: z.number().int(), billingDay: z.number().int(), timezone: z.string(),
  alertThresholds: z.array(z.number().int()), rateLimitPerSecond: z.number().int().nullable(), rateLimitBurst: z.number().int().nullable(),
  webhook: webhookView.nullable(), createdAt: isoTime, updatedAt: isoTime,
  quotaHard: z.boolean().describe('true: checks deny at the quota'),
  featureLimits: z.array(z.object({ feature: z.string(), tokens: z.number().int(), hard: z.boolean() })),
});
export const tenantDeleted = z.object({ deleted: z.string(), eventsDeleted: count });

export const keyView = z.object({
  id: z.string(), name: z.string(), scopes: z.array(z.enum(SCOPES)), tenant: z.string().nullable(), createdAt: isoTime, revokedAt: isoTime.nullable(),
});
export const keyCreated = keyView.extend({ key: z.string().describe('the secret, shown this once') });
export const keysBody = z.object({ keys: z.array(keyView) });

export const auditBody = z.object({
  entries: z.array(z.object({
    id: z.number().int(), at: isoTime, keyId: z.string().nullable(), keyName: z.string().nullable(),
    personName: z.string().nullable().describe('the person who did it (null: a key, or the system)'), action: z.string(), target: z.string(),
    before: z.unknown(), after: z.unknown(),
  })),
});
export const alertsBody = z.object({ alerts: z.array(alertBody) });

export const healthBody = z.object({
  status: z.enum(['healthy', 'degraded', 'unhealthy', 'shutting_down']),
  timestamp: isoTime,
  services: z.object({ database: z.enum(['up', 'down']), valkey: z.enum(['up', 'down', 'not_configured']) }),
  buffer: z.object({
    waiting: count, writing: count, capacity: count, flushes: count, failedFlushes: count, buffered: count, databaseSkipped: z.boolean(),
    inValkey: count.optional(),
  }),
});

export const openApiBody = z.looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.looseObject({}) });
export const textBody = z.string();

/** The API's own error body (#/components/schemas/Error), for statuses that may answer in it or in a protocol's own shape. */
export const apiError = z.object({
  error: z.object({
    code: z.string(), message: z.string(),
    details: z.array(z.object({ index: z.number().int().optional(), field: z.string(), message: z.string() })).optional(),
  }),
});
