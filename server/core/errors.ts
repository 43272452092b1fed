// The errors the app raises on purpose: every layer may throw them, the HTTP error handler
// (server/http/errors.ts) turns them into answers. Nothing here knows about HTTP requests.
import type { z } from 'zod';

export interface ErrorDetail { index?: number; field: string; message: string }

export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: ErrorDetail[] | undefined;
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, message: string, opts: { details?: ErrorDetail[]; headers?: Record<string, string> } = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = opts.details;
    this.headers = opts.headers ?? {};
  }
}

/** The details of a zod failure, one per issue; `index` places it in a batch. */
export function zodDetails(issues: z.core.$ZodIssue[], index?: number): ErrorDetail[] {
  return issues.map((issue) => ({
    ...(index === undefined ? {} : { index }),
    field: issue.code === 'unrecognized_keys' ? issue.keys.join(',') : issue.path.join('.') || '(body)',
    message: issue.message,
  }));
}

export const zodError = (error: z.ZodError, message: string) => {
  const details = zodDetails(error.issues);
  return new AppError(400, 'invalid_request', `${message}: ${details.map((d) => `${d.field}: ${d.message}`).join('; ')}`, { details });
};

/** Temporarily unable to serve (503 with Retry-After): a full buffer, a database away, a shutdown. */
export const unavailable = (code: string, message: string, retryAfterSeconds = 1) =>
  new AppError(503, code, message, { headers: { 'Retry-After': String(retryAfterSeconds) } });
