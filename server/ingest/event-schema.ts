// The shape of one usage event on the wire. Unknown fields are rejected so typos are caught.
import { z } from 'zod';

const MAX_TEXT = 128;
const noNul = (s: string) => !s.includes('\u0000');

const text = (what: string, max = MAX_TEXT) => z.string({ error: `${what} must be a string` })
  .min(1, `${what} must not be empty`)
  .max(max, `${what} must be at most ${max} characters`)
  .refine(noNul, `${what} must not contain NUL (\\u0000) characters`);

export const eventSchema = z.strictObject({
  tenant: text('tenant'),
  feature: text('feature'),
  tokens: z.number({ error: 'tokens must be a number' })
    .int('tokens must be a whole number')
    .positive('tokens must be greater than 0')
    .max(2_147_483_647, 'tokens must be at most 2147483647'),
  id: text('id', 200).optional(),
  timestamp: z.iso.datetime({ offset: true, error: 'timestamp must be an ISO 8601 date-time with a time zone, e.g. 2026-11-22T10:00:00Z' }).optional(),
  user: text('user', 256).optional(),
  reservation: z.uuid({ error: 'reservation must be the id of a reservation (a UUID) from POST /api/check' }).optional()
    .describe('settles this reservation in the same transaction (see docs/entitlements.md)'),
}, { error: (issue) => issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : 'an event must be a JSON object' });

export type EventInput = z.infer<typeof eventSchema>;
