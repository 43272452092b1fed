// Tenants: the admin API's bodies (create, change, delete, webhook) and what usage, series and
// settings answer. The routes parse with these; the OpenAPI document is generated from them.
import { z } from 'zod';
import { count, httpUrl, int4, int8, isoTime, label, money, slug, text } from '../core/fields.ts';
import { buckets } from '../db/series.ts';
import { featureBudgetUsage, limitFields, limitUsage } from '../entitlements/schemas.ts';
import { alertBody } from '../jobs/schemas.ts';

const isTimezone = (tz: string) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
};

const tenantFields = {
  name: label('name', 200),
  monthlyQuota: int8('monthlyQuota').positive('monthlyQuota must be greater than 0'),
  billingDay: int4('billingDay').min(1).max(28).describe('day of month on which a billing period starts (1-28)'),
  timezone: text('timezone', 64).refine(isTimezone, 'unknown IANA time zone').describe('e.g. Europe/Berlin'),
  alertThresholds: z.array(int4('a threshold').min(1).max(1000)).max(10).describe('percentages of the quota that alert (default [80, 100])'),
  // integer columns: int4, not JavaScript's 2^53
  rateLimitPerSecond: int4('rateLimitPerSecond').positive('rateLimitPerSecond must be greater than 0').nullable().describe('sustained events/s (null: server default)'),
  rateLimitBurst: int4('rateLimitBurst').positive('rateLimitBurst must be greater than 0').nullable().describe('events allowed at once (null: server default)'),
};

export const createTenantBody = z.strictObject({ slug, ...tenantFields }).partial().required({ slug: true, name: true });

export const updateTenantBody = z.strictObject({ ...tenantFields, ...limitFields }).partial()
  .refine((b) => Object.keys(b).length > 0, 'send at least one field to change');

export const deleteTenantQuery = z.strictObject({ confirm: text('confirm', 200).describe('the tenant slug again, to confirm') });

export const webhookBody = z.strictObject({
  url: httpUrl('url'),
  enabled: z.boolean().default(true),
});

export const seriesQuery = z.strictObject({ bucket: z.enum(buckets).default('day') });

/** Path parameters: a tenant's slug, an API key's id. */
export const tenantParam = slug;

/** What a period's tokens cost, beside them. */
export const periodSpend = { totalCost: money, currency: z.string().describe('ISO 4217 code of the tenant\'s currency') };

/** The money budget of a period beside its cost (docs/cost.md#budgets). */
export const budgetUse = z.object({ limit: money, used: money, percent: z.number(), hard: z.boolean() }).nullable()
  .describe('the money budget this period (null: none): used is totalCost, percent of limit to 2 decimals');

export const tenantUsage = z.object({
  tenant: z.string(), tenantName: z.string(), totalTokens: count, monthlyQuota: z.number().int(),
  quotaPercent: z.number(), eventCount: count, periodStart: isoTime, periodEnd: isoTime,
  billingDay: z.number().int(), timezone: z.string(), ...periodSpend, budget: budgetUse,
});

/** A feature's usage in a period: tokens, their parts by kind, and what they cost (docs/cost.md). */
export const featureSpend = z.object({
  feature: z.string(), tokens: count, eventCount: count, percent: z.number().nullable(),
  inputTokens: count, outputTokens: count, cachedTokens: count.describe('tokens minus the three parts: tokens of events sent without parts'),
  cost: money,
});

export const usageBody = tenantUsage.extend({
  limits: z.array(limitUsage).describe('the quota first, then each feature limit in tokens'),
  featureBudgets: z.array(featureBudgetUsage).describe('each feature limit in money, by feature (docs/cost.md#budgets)'),
  features: z.array(featureSpend),
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
  featureLimits: z.array(z.object({
    feature: z.string(), tokens: z.number().int().optional().describe('the limit in tokens (absent: in money)'),
    monthlyBudget: money.optional().describe('the limit in the tenant\'s currency (absent: in tokens)'), hard: z.boolean(),
  })),
});

export const tenantDeleted = z.object({ deleted: z.string(), eventsDeleted: count });

/** The events of GET /api/stream (server-sent, so not in the OpenAPI document): the console reads them with these types. */
export const streamSnapshot = tenantsBody;
export const streamChanges = z.object({ tenants: z.array(tenantUsage), removed: z.array(z.string()).describe('slugs of tenants gone since the last event') });
export const streamUnavailable = z.object({ message: z.string() });
