// Path parameters, read safely. Express decodes them with decodeURIComponent, which throws on a
// malformed escape (`%FF`) and happily yields NUL (`%00`), which PostgreSQL refuses in text. The
// guard below answers both with a 400 before any route runs, for every route, present and future;
// pathParam then checks a parameter against the field type its column takes.
import type { Request, RequestHandler } from 'express';
import type { z } from 'zod';
import { AppError } from './errors.ts';

/** 400 for a path with a malformed percent-encoding or a NUL, whatever route it is for. */
export const pathGuard: RequestHandler = (req, _res, next) => {
  const raw = req.path;
  // the hot path (/api/events) carries no escapes: one indexOf and done
  if (raw.indexOf('%') === -1) return next();
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return next(new AppError(400, 'invalid_path', 'The path holds a malformed percent-encoding (e.g. %FF, which is not UTF-8).'));
  }
  if (decoded.includes('\u0000')) return next(new AppError(400, 'invalid_path', 'The path must not contain NUL (%00).'));
  next();
};

/** A path parameter, checked against `schema`: 400 `invalid_path_parameter` naming it otherwise. */
export function pathParam<S extends z.ZodType<string>>(req: Request, name: string, schema: S): z.infer<S> {
  const value: unknown = req.params[name];
  const parsed = schema.safeParse(typeof value === 'string' ? value : undefined);
  if (parsed.success) return parsed.data;
  const why = parsed.error.issues.map((i) => i.message).join('; ');
  throw new AppError(400, 'invalid_path_parameter', `The path parameter '${name}' is invalid: ${why}.`, {
    details: parsed.error.issues.map((i) => ({ field: name, message: i.message })),
  });
}
