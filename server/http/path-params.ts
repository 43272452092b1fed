// Path and query parameters, read safely. Express decodes path parameters with decodeURIComponent,
// which throws on a malformed escape (`%FF`) and happily yields NUL (`%00`), which PostgreSQL
// refuses in text; the query parser turns a malformed escape into whatever bytes it finds. The
// guard below answers all of these with a 400 before any route runs, for every route, present and
// future; pathParam then checks a parameter against the field type its column takes.
import type { Request, RequestHandler } from 'express';
import type { z } from 'zod';
import { AppError } from '../core/errors.ts';

function problem(part: string, what: 'path' | 'query'): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(what === 'query' ? part.replace(/\+/g, ' ') : part);
  } catch {
    return `The ${what} holds a malformed percent-encoding (e.g. %FF, which is not UTF-8).`;
  }
  return decoded.includes('\u0000') ? `The ${what} must not contain NUL (%00).` : undefined;
}

/** 400 for a path or query with a malformed percent-encoding or a NUL, whatever route it is for. */
export const pathGuard: RequestHandler = (req, _res, next) => {
  const url = req.url;
  // the hot path (POST /api/events) carries no escapes: one indexOf and done
  if (url.indexOf('%') === -1) return next();
  const q = url.indexOf('?');
  const pathProblem = problem(q === -1 ? url : url.slice(0, q), 'path');
  if (pathProblem) return next(new AppError(400, 'invalid_path', pathProblem));
  const queryProblem = q === -1 ? undefined : problem(url.slice(q + 1), 'query');
  if (queryProblem) return next(new AppError(400, 'invalid_query', queryProblem));
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
