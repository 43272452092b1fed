// JSON request bodies: 415 unless the client says JSON, 413 past the limit, 400 when empty or not JSON.
import express, { type RequestHandler } from 'express';
import type { z } from 'zod';
import { AppError, zodError } from '../core/errors.ts';

export function jsonBody(limitBytes: number): RequestHandler[] {
  const parse = express.json({ limit: limitBytes, strict: false, type: () => true });
  return [
    (req, _res, next) => next(req.is('application/json')
      ? undefined
      : new AppError(415, 'unsupported_media_type', 'Send JSON with Content-Type: application/json.')),
    // body-parser reads an empty body as {}: a route whose fields are all optional would take it as a request
    (req, _res, next) => next(req.headers['content-length'] === '0'
      ? new AppError(400, 'invalid_json', 'The request body is empty: send a JSON value ({} takes every default).')
      : undefined),
    parse,
  ];
}

/** Parses with a zod schema or throws a 400 naming every bad field. */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw zodError(parsed.error, `${what} is invalid`);
  return parsed.data;
}
