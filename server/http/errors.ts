// The single handler that answers every error (AppError and friends live in server/core/errors.ts).
import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../log.ts';
import { isDatabaseUnavailable } from '../db/errors.ts';
import { AppError, unavailable } from '../core/errors.ts';

// Constraint violations that reach the handler are the client's doing (a duplicate slug, a value
// the database refuses): name the constraint, never pass the driver's message through.
const pgErrors: Record<string, [number, string, string]> = {
  '23505': [409, 'conflict', 'That already exists'],
  '23514': [400, 'invalid_value', 'A value is out of range'],
  '23503': [409, 'conflict', 'A referenced object does not exist'],
  '22P02': [400, 'invalid_value', 'A value has the wrong format'],
  // the field types (server/core/fields.ts) keep these out; should one slip through, it is still the client's
  '22021': [400, 'invalid_value', 'A value holds a character the database cannot store'],
  '22003': [400, 'invalid_value', 'A number is out of range'],
  '22001': [400, 'invalid_value', 'A value is too long'],
};

// body-parser reports its failures as errors with a `type`; map each to a clear client error.
const bodyParserErrors: Record<string, [number, string, string]> = {
  'entity.parse.failed': [400, 'invalid_json', 'The request body is not valid JSON.'],
  'entity.too.large': [413, 'body_too_large', 'The request body is larger than the limit'],
  'encoding.unsupported': [415, 'unsupported_encoding', 'The request body encoding is not supported.'],
  'charset.unsupported': [415, 'unsupported_charset', 'The request body charset is not supported; send UTF-8.'],
  'request.aborted': [400, 'request_aborted', 'The client closed the request before its body arrived.'],
  'request.size.invalid': [400, 'invalid_length', 'The request body length does not match Content-Length.'],
};

export const notFound: RequestHandler = (req, _res, next) =>
  next(new AppError(404, 'not_found', `No route for ${req.method} ${req.path}.`));

export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    let error: AppError;
    if (err instanceof AppError) {
      error = err;
    } else if (err && isDatabaseUnavailable(err)) {
      log.warn({ err: err.message, method: req.method, path: req.path }, 'database unavailable');
      error = unavailable('database_unavailable', 'The database is not reachable right now; retry shortly.', 2);
    } else if (typeof err?.code === 'string' && pgErrors[err.code]) {
      const [status, code, message] = pgErrors[err.code]!;
      error = new AppError(status, code, `${message}${err.constraint ? ` (${err.constraint})` : ''}.`);
    } else if (err instanceof URIError) {
      // Express decodes path parameters with decodeURIComponent; pathGuard answers first, this is the backstop
      error = new AppError(400, 'invalid_path', 'The path holds a malformed percent-encoding.');
    } else if (typeof err?.type === 'string' && bodyParserErrors[err.type]) {
      const [status, code, message] = bodyParserErrors[err.type]!;
      error = new AppError(status, code, code === 'body_too_large' ? `${message} (${err.limit} bytes).` : message);
    } else {
      log.error({ err, method: req.method, path: req.path }, 'unhandled error');
      error = new AppError(500, 'internal_error', 'Something went wrong on our side; it has been logged.');
    }
    if (res.headersSent) return void res.end();
    res.status(error.status).set(error.headers).json({
      error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) },
    });
  };
}
