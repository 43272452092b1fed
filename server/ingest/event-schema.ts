// The shape of one usage event on the wire. Unknown fields are rejected so typos are caught.
// Built from the shared field types (server/core/fields.ts): a feature and an end user are read by
// people on the dashboard, in reports and CSV files, so both are labels (one line, no bidi-control or
// invisible characters, not blank): `gpt-4o\u200b` is refused, not counted as another feature.
import { z } from 'zod';
import { int4, label, text } from '../core/fields.ts';

const MAX_TEXT = 128;

export const eventSchema = z.strictObject({
  tenant: text('tenant', MAX_TEXT),
  feature: label('feature', MAX_TEXT),
  tokens: int4('tokens').positive('tokens must be greater than 0'),
  id: text('id', 200).optional(),
  timestamp: z.iso.datetime({ offset: true, error: 'timestamp must be an ISO 8601 date-time with a time zone, e.g. 2026-11-22T10:00:00Z' }).optional(),
  user: label('user', 256).optional(),
  reservation: z.uuid({ error: 'reservation must be the id of a reservation (a UUID) from POST /api/check' }).optional()
    .describe('settles this reservation in the same transaction (see docs/entitlements.md)'),
}, { error: (issue) => issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : 'an event must be a JSON object' });

export type EventInput = z.infer<typeof eventSchema>;
