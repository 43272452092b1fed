// How handlers answer, and the few bodies that belong to no domain (health, the document, text, the
// error). Each domain's answers are in its own schemas.ts. The OpenAPI document is generated from them;
// handlers answer through `send`, whose body type is z.infer of the same schema: what is documented
// is what the compiler checks. The bodies are not parsed at run time (the hot path stays as it is);
// tests/api/responses.test.ts and the fuzz test check real answers against the document.
import type { Response } from 'express';
import { z } from 'zod';
import { count, isoTime } from '../core/fields.ts';

/** Answers `body` with `status`; the body's type is the schema's. */
export function send<S extends z.ZodType>(res: Response, status: number, _schema: S, body: z.output<S>): void {
  res.status(status).json(body);
}

export const healthBody = z.object({
  status: z.enum(['healthy', 'degraded', 'unhealthy', 'shutting_down']),
  timestamp: isoTime,
  services: z.object({ database: z.enum(['up', 'down']), valkey: z.enum(['up', 'down', 'not_configured']) }),
  buffer: z.object({
    waiting: count, writing: count, capacity: count, flushes: count, failedFlushes: count, buffered: count, databaseSkipped: z.boolean(),
    inValkey: count.optional(),
  }),
  embeddedPostgres: z.object({
    state: z.enum(['running', 'restarting', 'failed']).describe('restarting: it died and is being started again; failed: the attempts (EMBEDDED_PG_RESTART_ATTEMPTS) ran out'),
    restarts: count.describe('times it was started again since this FlagMeter started'),
    lastRestartAt: isoTime.nullable(),
  }).optional().describe('only with the embedded PostgreSQL (no DATABASE_URL)'),
  /** Connections of each pool: open (total), idle among them, callers waiting for one, and the most it opens. */
  pools: z.object({
    main: z.object({ max: count, total: count, idle: count, waiting: count }),
    reporting: z.object({ max: count, total: count, idle: count, waiting: count }),
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
