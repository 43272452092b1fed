// The shape of one usage event on the wire. Unknown fields are rejected so typos are caught.
// Built from the shared field types (server/core/fields.ts): a feature and an end user are read by
// people on the dashboard, in reports and CSV files, so both are labels (one line, no bidi-control or
// invisible characters, not blank): `gpt-4o\u200b` is refused, not counted as another feature.
// Tokens may come split by kind (inputTokens, outputTokens, cachedTokens: priced apart, docs/cost.md);
// tokens is then their sum, and may be left out.
import { z } from 'zod';
import { int4, label, text } from '../core/fields.ts';

const MAX_TEXT = 128;

export const eventSchema = z.strictObject({
  tenant: text('tenant', MAX_TEXT),
  feature: label('feature', MAX_TEXT),
  tokens: int4('tokens').positive('tokens must be greater than 0').optional()
    .describe('all tokens of the event; with parts, their sum (may be left out); without parts, required'),
  inputTokens: int4('inputTokens').nonnegative('inputTokens must be 0 or more').optional()
    .describe('input (prompt) tokens not read from a cache'),
  outputTokens: int4('outputTokens').nonnegative('outputTokens must be 0 or more').optional()
    .describe('output (completion) tokens'),
  cachedTokens: int4('cachedTokens').nonnegative('cachedTokens must be 0 or more').optional()
    .describe('input tokens read from a prompt cache (not also counted in inputTokens)'),
  id: text('id', 200).optional(),
  timestamp: z.iso.datetime({ offset: true, error: 'timestamp must be an ISO 8601 date-time with a time zone, e.g. 2026-11-22T10:00:00Z' }).optional(),
  user: label('user', 256).optional(),
  reservation: z.uuid({ error: 'reservation must be the id of a reservation (a UUID) from POST /api/check' }).optional()
    .describe('settles this reservation in the same transaction (see docs/entitlements.md)'),
}, { error: (issue) => issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : 'an event must be a JSON object' })
  .superRefine((e, ctx) => {
    const parts = tokenParts(e);
    if (!parts) {
      if (e.tokens === undefined) ctx.addIssue({ code: 'custom', path: ['tokens'], message: 'tokens must be a number (or give its parts: inputTokens, outputTokens, cachedTokens)' });
      return;
    }
    const sum = parts.input + parts.output + parts.cached;
    if (sum <= 0) ctx.addIssue({ code: 'custom', path: ['tokens'], message: 'inputTokens + outputTokens + cachedTokens must be greater than 0' });
    else if (sum > INT4_MAX) ctx.addIssue({ code: 'custom', path: ['tokens'], message: `inputTokens + outputTokens + cachedTokens must be at most ${INT4_MAX}` });
    else if (e.tokens !== undefined && e.tokens !== sum) {
      ctx.addIssue({ code: 'custom', path: ['tokens'], message: `tokens (${e.tokens}) must equal inputTokens + outputTokens + cachedTokens (${sum}), or be left out` });
    }
  });

export type EventInput = z.infer<typeof eventSchema>;

const INT4_MAX = 2_147_483_647;

/** The event's parts (a missing one is 0), or undefined when it gave none. */
export function tokenParts(e: Pick<EventInput, 'inputTokens' | 'outputTokens' | 'cachedTokens'>): { input: number; output: number; cached: number } | undefined {
  if (e.inputTokens === undefined && e.outputTokens === undefined && e.cachedTokens === undefined) return undefined;
  return { input: e.inputTokens ?? 0, output: e.outputTokens ?? 0, cached: e.cachedTokens ?? 0 };
}
