// Quota and feature-limit alerts as the API shows them (GET /api/alerts, usage, statements).
import { z } from 'zod';
import { count, isoTime, money, slug } from '../core/fields.ts';

export const alertsQuery = z.strictObject({
  tenant: slug.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const alertBody = z.object({
  id: z.number().int(), tenant: z.string(), threshold: z.number().int(), usedTokens: count, quota: z.number().int(),
  percent: z.number(), periodStart: isoTime, periodEnd: isoTime,
  status: z.enum(['pending', 'delivered', 'failed', 'skipped']), attempts: count, lastError: z.string().nullable(),
  createdAt: isoTime, lastAttemptAt: isoTime.nullable(), deliveredAt: isoTime.nullable(),
  feature: z.string().nullable().describe('null: a quota (or budget) alert; set: the feature whose limit was crossed (quota is then that limit)'),
  unit: z.enum(['tokens', 'money']).describe('money: the tenant\'s budget or a feature\'s money limit was crossed (usedCost of budget; quota is 0, usedTokens the tokens counted on it)'),
  usedCost: money.nullable().describe('money alerts: the period\'s cost on the limit when crossed'),
  budget: money.nullable().describe('money alerts: the budget, or the feature\'s money limit'),
  currency: z.string().describe('the tenant\'s currency'),
});

export const alertsBody = z.object({ alerts: z.array(alertBody) });
