// The price book's request and answer schemas (docs/cost.md). Money is a decimal string on the way
// out (numeric in PostgreSQL, never a float); on the way in a string or a JSON number is accepted,
// at most 8 digits before the point and 6 after (numeric(14, 6)).
import { z } from 'zod';
import { isoTime, label, money, moneyAmount, slug } from '../core/fields.ts';

const DECIMAL = /^\d{1,8}(\.\d{1,6})?$/;

/** A price per million tokens: "2.50" or 2.5 in, stored exactly. */
const price = (what: string) => z.union([z.string(), z.number({ error: `${what} must be a decimal number or string` })])
  .transform((v) => (typeof v === 'number' ? String(v) : v.trim()))
  .refine((s) => DECIMAL.test(s), `${what} must be 0 or more, with at most 8 digits before the point and 6 after (e.g. "2.50")`)
  .describe('per million tokens, as a decimal string ("2.50") or number');

export const currency = z.string({ error: 'currency must be a string' }).regex(/^[A-Z]{3}$/, 'currency must be an ISO 4217 code in capitals (USD, EUR, ...)');

const minuteTime = z.iso.datetime({ offset: true, error: 'effectiveFrom must be an ISO 8601 date-time with a zone' })
  .refine((s) => Date.parse(s) % 60_000 === 0, 'effectiveFrom must be a whole minute (seconds 00)')
  .describe('first instant the price applies (a whole minute, far enough ahead that no stored event is at or after it); default the first such minute');

const priceFields = {
  model: label('model', 128).describe('the model as events name it in feature'),
  effectiveFrom: minuteTime.optional(),
  input: price('input'),
  output: price('output'),
  cached: price('cached').optional().describe('per million cached input tokens; default the input price'),
  plain: price('plain').optional().describe('per million tokens of events without parts; default the input price'),
};

export const installationPricesBody = z.strictObject({
  prices: z.array(z.strictObject({ ...priceFields, currency: currency.default('USD') })).min(1).max(500),
});
export const tenantPricesBody = z.strictObject({ prices: z.array(z.strictObject(priceFields)).min(1).max(500) });
export const currencyBody = z.strictObject({ currency });
export type PriceInput = z.infer<typeof tenantPricesBody>['prices'][number] & { currency?: string };

export const priceRow = z.object({
  model: z.string(),
  currency: z.string(),
  effectiveFrom: isoTime,
  effectiveTo: isoTime.nullable().describe('when the next row takes over (exclusive); null: in force from effectiveFrom on'),
  input: z.string(), output: z.string(), cached: z.string(), plain: z.string(),
});

export const installationPricesAnswer = z.object({ prices: z.array(priceRow) });

export const tenantPricesAnswer = z.object({
  tenant: slug,
  currency: z.string(),
  overrides: z.array(priceRow).describe('the tenant\'s own rows'),
  inForce: z.array(priceRow.extend({ source: z.enum(['tenant', 'installation']) }))
    .describe('per model, the price that applies to the tenant now (its override, else the installation\'s in its currency)'),
});

export const currencyAnswer = z.object({ tenant: slug, currency: z.string() });

/** A monthly budget in the tenant's currency, at most 10 digits before the point and 6 after (numeric(16, 6)). */
export const budgetBody = z.strictObject({
  monthlyBudget: moneyAmount('monthlyBudget').nullable().describe('money per billing period in the tenant\'s currency; null removes the budget'),
  hard: z.boolean({ error: 'hard must be true or false' }).default(false).describe('true: checks deny what would pass it; false: shown, never enforced'),
});

export const budgetAnswer = z.object({ tenant: slug, currency: z.string(), monthlyBudget: money.nullable(), hard: z.boolean() });
