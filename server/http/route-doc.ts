// What a route says about itself for the OpenAPI document: each routes module exports its RouteDoc[],
// server/http/route-docs.ts lists them all, and the builder (openapi.ts) reads that list.
import type { z } from 'zod';
import type { Scope } from '../auth/keys.ts';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteDoc {
  method: Method;
  /** OpenAPI path, e.g. /api/usage/{tenant} */
  path: string;
  summary: string;
  /** The scope a key needs; null for public routes. */
  scope: Scope | null;
  body?: z.ZodType;
  query?: z.ZodObject;
  /** Schemas of the path parameters (default: a string); the route reads them with pathParam. */
  params?: Record<string, z.ZodType>;
  /**
   * Status → description, or description plus the zod schema of the body the handler answers with
   * (required for every 2xx but 204). Added for you unless listed: 400 for path parameters, a query
   * or a body; 413 and 415 with a body; 401, 403 and 503 (database unreachable) with a scope.
   */
  responses: Record<number, string | ResponseDoc>;
  /** Media type of the 200 answer when not JSON. */
  produces?: string;
  /** The 2xx is also served as CSV (Accept: text/csv or format=csv). */
  csv?: boolean;
  /** The 2xx is also served as an HTML page (Accept: text/html or format=html). */
  html?: boolean;
}

export interface ResponseDoc { description: string; schema: z.ZodType }

/** A documented answer: its description and the zod schema of its body. */
export const answer = (description: string, schema: z.ZodType): ResponseDoc => ({ description, schema });
