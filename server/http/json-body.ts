// JSON request bodies: 415 unless the client says JSON, 413 past the limit, 400 when empty or not JSON.
import express, { type RequestHandler } from 'express';
import type { z } from 'zod';
import { AppError, zodError } from '../core/errors.ts';

type BodyError = Error & { status: number; type: string; limit?: number };
const bodyError = (status: number, type: string, message: string, extra: { limit?: number } = {}): BodyError =>
  Object.assign(new Error(message), { status, type, ...extra });

// a charset parameter that is UTF-8 (what the short path decodes), or none
const UTF8_TYPE = /^[^;]*(?:;\s*charset="?utf-?8"?\s*)?$/i;

/**
 * The JSON body parser of every route (any Content-Type: routes that insist on JSON check it first;
 * `strict: false`, an empty body is {}). The common request — no Content-Encoding, a Content-Length,
 * UTF-8 or no charset — is read here in one pass: body-parser's general path (charset parsing, a
 * decoder, its stream bookkeeping) took about a tenth of a hot request's CPU. Anything else
 * (compressed, chunked, another charset) goes through express.json. Both raise the same errors
 * (`type` as body-parser names them), which the error handler answers.
 */
export function jsonParser(limitBytes: number): RequestHandler {
  const general = express.json({ limit: limitBytes, strict: false, type: () => true });
  return (req, res, next) => {
    const { 'content-length': length, 'content-type': type } = req.headers;
    if (length === undefined || req.headers['content-encoding'] !== undefined || req.headers['transfer-encoding'] !== undefined
      || (type !== undefined && !UTF8_TYPE.test(type)) || req.readableEnded || !/^\d{1,15}$/.test(length)) {
      return general(req, res, next);
    }
    const expected = Number(length);
    // read off the rest before answering, so the connection can carry the next request
    const fail = (err: BodyError) => {
      if (req.readableEnded || req.destroyed) return next(err);
      let once = false;
      const answer = () => {
        if (!once) next(err);
        once = true;
      };
      req.once('end', answer).once('close', answer).resume();
    };
    if (expected > limitBytes) return fail(bodyError(413, 'entity.too.large', 'request entity too large', { limit: limitBytes }));
    const chunks: Buffer[] = [];
    let received = 0;
    let settled = false;
    const settle = (err?: BodyError, gone = false) => {
      if (settled) return;
      settled = true;
      req.off('data', onData).off('end', onEnd).off('error', onGone).off('close', onGone);
      if (gone) return next(err);
      if (err) return fail(err);
      let text = Buffer.concat(chunks, received).toString('utf8');
      // as body-parser's decoder does: a byte order mark is not part of the JSON
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      try {
        req.body = text.length === 0 ? {} : JSON.parse(text);
      } catch (e) {
        return next(bodyError(400, 'entity.parse.failed', (e as Error).message));
      }
      next();
    };
    const sizeMismatch = () => bodyError(400, 'request.size.invalid', 'request size did not match content length');
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > expected) return settle(sizeMismatch());
      chunks.push(chunk);
    };
    const onEnd = () => settle(received === expected ? undefined : sizeMismatch());
    // the client went away before the whole body came
    const onGone = () => settle(bodyError(400, 'request.aborted', 'request aborted'), true);
    req.on('data', onData).once('end', onEnd).once('error', onGone).once('close', onGone);
  };
}

export function jsonBody(limitBytes: number): RequestHandler[] {
  const parse = jsonParser(limitBytes);
  return [
    (req, _res, next) => next(req.is('application/json')
      ? undefined
      : new AppError(415, 'unsupported_media_type', 'Send JSON with Content-Type: application/json.')),
    // an empty body would read as {}: a route whose fields are all optional would take it as a request
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
