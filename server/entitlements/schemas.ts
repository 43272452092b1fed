// The wire shapes of entitlements: the check, its answer, a reservation, and the limits a tenant
// update may carry. Built from server/core/fields.ts like every other request schema.
import { z } from 'zod';
import { count, INT4_MAX, label, slug, text, money, moneyAmount } from '../core/fields.ts';

export const RESERVATION_TTL_DEFAULT_SECONDS = 300;
export const RESERVATION_TTL_MAX_SECONDS = 3600;

const positiveTokens = (what: string, max: number) => z.number({ error: `${what} must be a number` })
  .int(`${what} must be a whole number`)
  .positive(`${what} must be a positive integer`)
  .max(max, `${what} must be at most ${max}`);

export const checkBody = z.strictObject({
  tenant: slug,
  feature: label('feature', 128).optional().describe('also check this feature\'s limit (a feature without one is only under the quota)'),
  // at most what one event can carry: a hold is settled by one event, and sums of holds stay exact in JSON
  tokens: positiveTokens('tokens', INT4_MAX).optional().describe('tokens about to be spent (absent: "is anything left?"); at most one event\'s maximum'),
  reserve: z.boolean({ error: 'reserve must be true or false' }).default(false).describe('hold the tokens until an event settles them, a DELETE releases them or they expire'),
  reservationTtlSeconds: z.number({ error: 'reservationTtlSeconds must be a number' }).int('reservationTtlSeconds must be a whole number')
    .min(1, 'reservationTtlSeconds must be at least 1').max(RESERVATION_TTL_MAX_SECONDS, `reservationTtlSeconds must be at most ${RESERVATION_TTL_MAX_SECONDS}`)
    .optional().describe(`how long the hold lasts (default ${RESERVATION_TTL_DEFAULT_SECONDS} s)`),
  id: text('id', 200).optional().describe('idempotency key: a retry with the same id gets the same answer and reservation'),
}).refine((b) => !b.reserve || b.tokens !== undefined, { message: 'reserve needs tokens (how many to hold)', path: ['tokens'] })
  .refine((b) => b.reserve || b.reservationTtlSeconds === undefined, { message: 'reservationTtlSeconds only applies with reserve: true', path: ['reservationTtlSeconds'] });

export const checkReasons = ['ok', 'quota_exhausted', 'feature_limit_reached', 'would_exceed', 'budget_exhausted', 'budget_would_exceed', 'feature_budget_exhausted', 'feature_budget_would_exceed', 'unverified'] as const;

export const reservationAnswer = z.object({ id: z.uuid(), tokens: z.number().int(), expiresAt: z.string() });

export const checkAnswer = z.object({
  allowed: z.boolean(),
  reason: z.enum(checkReasons),
  tenant: z.string(),
  feature: z.string().nullable(),
  limitOn: z.enum(['quota', 'feature']).nullable().describe('which limit the figures are of: the one that denied, or the tightest'),
  limit: z.number().int().nullable(),
  used: z.number().int().nullable(),
  reserved: z.number().int().nullable(),
  remaining: z.number().int().nullable(),
  overage: z.number().int().nullable(),
  hard: z.boolean().nullable(),
  periodStart: z.string().nullable(),
  periodEnd: z.string().nullable(),
  asOf: z.string(),
  reservation: reservationAnswer.optional(),
  budget: z.object({
    limit: money, used: money, reserved: money, remaining: money,
    estimate: money.describe('the tokens asked for, at the feature\'s plain price in force now (0 without a feature or a price)'),
    currency: z.string(), hard: z.boolean(),
  }).optional().describe('the tenant\'s money budget this period, when it has one (docs/cost.md#budgets)'),
  featureBudget: z.object({
    feature: z.string(), limit: money, used: money, reserved: money, remaining: money,
    estimate: money.describe('the tokens asked for, at the feature\'s plain price in force now (0 without a price)'),
    currency: z.string(), hard: z.boolean(),
  }).optional().describe('the feature\'s limit in money this period, when its limit is in money (the token figures are then the quota\'s)'),
  replayed: z.boolean().optional().describe('true: the stored answer of an earlier check with this id'),
});
export type CheckAnswer = z.infer<typeof checkAnswer>;

export const reservationView = z.object({
  id: z.uuid(), tenant: z.string(), feature: z.string().nullable(), tokens: z.number().int(),
  status: z.enum(['open', 'settled', 'released', 'expired']),
  createdAt: z.string(), expiresAt: z.string(), endedAt: z.string().nullable(),
});

/** A feature's limit per billing period: in tokens, or in the tenant's currency (monthlyBudget), one of the two. */
export const featureLimit = z.strictObject({
  feature: label('feature', 128),
  tokens: positiveTokens('tokens', Number.MAX_SAFE_INTEGER).optional().describe('tokens per billing period'),
  monthlyBudget: moneyAmount('monthlyBudget').optional()
    .describe('instead of tokens: money per billing period in the tenant\'s currency (e.g. "50.00"); checks price the tokens asked for at the feature\'s plain price in force'),
  hard: z.boolean({ error: 'hard must be true or false' }).default(false),
}).superRefine((l, ctx) => {
  if ((l.tokens === undefined) === (l.monthlyBudget === undefined)) {
    ctx.addIssue({ code: 'custom', path: [l.tokens === undefined ? 'tokens' : 'monthlyBudget'], message: 'a feature limit has tokens or monthlyBudget (money), exactly one of them' });
  }
});

/** Added to PATCH /api/tenants/:tenant. */
export const limitFields = {
  quotaHard: z.boolean({ error: 'quotaHard must be true or false' }).describe('true: checks deny at the quota; false (default): soft'),
  featureLimits: z.array(featureLimit).max(100, 'at most 100 feature limits')
    .refine((l) => new Set(l.map((f) => f.feature)).size === l.length, 'each feature may have one limit')
    .describe('replaces the tenant\'s feature limits ([] removes them all)'),
};

/** One feature's limit in money with its figures this period, in the tenant's currency. */
export const featureBudgetUsage = z.object({
  feature: z.string(), limit: money, hard: z.boolean(), used: money, reserved: money, remaining: money,
  percent: z.number().describe('used of limit, to 2 decimals'),
});

/** One limit in tokens with its figures this period: the quota (feature null) or a feature limit. */
export const limitUsage = z.object({
  feature: z.string().nullable(), limit: z.number().int(), hard: z.boolean(), used: count, reserved: count,
  remaining: count, overage: count, percent: z.number(),
});
