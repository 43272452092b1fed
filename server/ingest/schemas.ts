// What POST /api/events answers (the event itself is ./event-schema.ts).
import { z } from 'zod';
import { count } from '../core/fields.ts';

export const eventStored = z.object({ success: z.literal(true), eventId: z.string(), duplicate: z.boolean() });

export const batchStored = z.object({ success: z.literal(true), accepted: count, duplicates: count });

export const eventBuffered = z.object({ success: z.literal(true), eventId: z.string(), buffered: z.literal(true) });

export const batchBuffered = z.object({ success: z.literal(true), accepted: count, buffered: z.literal(true) });
