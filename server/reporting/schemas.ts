// What the usage query, past periods and statements answer (JSON; the CSV has the same columns).
import { z } from 'zod';
import { alertBody } from '../jobs/schemas.ts';
import { money } from '../core/fields.ts';
import { featureSpend, periodSpend } from '../tenants/schemas.ts';

export const usageRow = z.object({
  windowStart: z.string().describe('start of the window (UTC, ISO 8601), clipped to from'),
  windowEnd: z.string().describe('end of the window (exclusive), clipped to to'),
  feature: z.string().optional().describe('with groupBy=feature'),
  user: z.string().nullable().optional().describe('with groupBy=user; null for events without a user'),
  tokens: z.number().int(),
  events: z.number().int(),
  inputTokens: z.number().int(), outputTokens: z.number().int(), cachedTokens: z.number().int().describe('of tokens, by kind (the rest came without parts)'),
  cost: money,
});

export const usageQueryAnswer = z.object({
  tenant: z.string(),
  timezone: z.string().describe('the zone of the windows'),
  from: z.string(),
  to: z.string(),
  window: z.enum(['minute', 'hour', 'day', 'month']),
  groupBy: z.array(z.enum(['feature', 'user'])),
  source: z.enum(['daily', 'daily-users', 'minute-hourly']).describe('the rollup that answered: rollups_daily, rollups_daily_users, or the minute and hourly rollups'),
  rows: z.array(usageRow),
});

const period = z.object({
  periodStart: z.string(), periodEnd: z.string(), tokens: z.number().int(), eventCount: z.number().int(),
  quota: z.number().int(), percent: z.number(), overageTokens: z.number().int(),
  alertsRaised: z.number().int(), alertsSent: z.number().int().describe('alerts Slack accepted'),
  thresholdsCrossed: z.array(z.number().int()), current: z.boolean(),
  cost: money, currency: z.string(),
});

export const periodsAnswer = z.object({ tenant: z.string(), timezone: z.string(), billingDay: z.number().int(), periods: z.array(period) });

const usageCounts = { tokens: z.number().int(), eventCount: z.number().int(), percent: z.number() };

export const statementAnswer = z.object({
  tenant: z.string(), tenantName: z.string(), totalTokens: z.number().int(), monthlyQuota: z.number().int(), quotaPercent: z.number(),
  eventCount: z.number().int(), periodStart: z.string(), periodEnd: z.string(), billingDay: z.number().int(), timezone: z.string(),
  current: z.boolean(), overageTokens: z.number().int(), ...periodSpend,
  features: z.array(featureSpend),
  days: z.array(z.object({ day: z.string(), tokens: z.number().int(), eventCount: z.number().int(), cost: money })).nullable()
    .describe('per local day; null when the tenant\'s zone changed within two days of the period (days cannot be given exactly)'),
  topUsers: z.array(z.object({ user: z.string().nullable(), ...usageCounts, cost: money })).nullable().describe('the 20 largest; user null: events without a user'),
  users: z.number().int().nullable().describe('distinct named end users in the period'),
  lines: z.array(z.object({
    model: z.string(), kind: z.enum(['input', 'output', 'cached', 'plain']).describe('plain: tokens of events sent without parts'),
    tokens: z.number().int(), price: money.nullable().describe('per million tokens; null: no price was in force (cost 0)'),
    cost: money.describe('tokens × price / 1,000,000, exact'),
    priceFrom: z.string().nullable().describe('effectiveFrom of the price row applied'), priceSource: z.enum(['tenant', 'installation']).nullable(),
  })).nullable().describe('what an invoice lists: per model, price applied and kind; from the raw events, so null once they are past retention. Their costs add up to totalCost'),
  alerts: z.array(alertBody).describe('the alerts of this period, newest first'),
});
