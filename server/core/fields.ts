// The field types every request schema is built from. One place decides what a string or a number
// may hold before it reaches PostgreSQL: text without NUL (PostgreSQL refuses it in text), names
// people read without control, bidirectional or invisible characters (they would display a lie, or
// make two names that look the same differ), integers within the range of the column they land in.
import { z } from 'zod';

const NUL = /\u0000/u;

// One regular expression per field type, tested once per value on the way in (the ingest hot path
// parses every event with these); the message is worked out only when it fails.
// isWellFormed() (no lone surrogates: PostgreSQL would store U+FFFD instead) is native and much
// cheaper than a \p{Surrogate} scan.
/**
 * What a name people read may not hold, in one class (one test per value): C0/C1 controls (NUL,
 * newlines, tabs), the line and paragraph separators; the bidirectional controls (the Arabic letter
 * mark, LRM/RLM, embeddings, overrides, isolates: `"abc\u202edcba"` displays reversed); and every
 * default-ignorable code point (Unicode's Default_Ignorable_Code_Point: zero-width space and
 * joiners, soft hyphen, word joiner, variation selectors, tags…), which show as nothing, so that
 * `gpt-4o\u200b` would look like `gpt-4o` and be another feature. Emoji sequences joined with U+200D
 * or styled with U+FE0F are refused with them: a name is compared, not only displayed.
 */
const UNREADABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\p{Default_Ignorable_Code_Point}]/u;
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
const NOT_BLANK = /\S/u;

/** Which rule a name breaks, with the first offending code point and where (worked out only on failure). */
function unreadableProblem(what: string, s: string): string {
  const at = s.search(UNREADABLE);
  const ch = s.codePointAt(at)!;
  const where = `U+${ch.toString(16).toUpperCase().padStart(4, '0')} at position ${at + 1}`;
  const c = String.fromCodePoint(ch);
  if (CONTROL.test(c)) return `${what} must be one line without control characters (${where})`;
  if (BIDI.test(c)) return `${what} must not contain bidirectional control characters, which reorder what is shown (${where})`;
  return `${what} must not contain invisible characters such as zero-width spaces or joiners (${where})`;
}
const badText = (s: string) => s.indexOf('\u0000') !== -1 || !s.isWellFormed();

const textProblem = (what: string, s: string) => NUL.test(s)
  ? `${what} must not contain NUL (\\u0000) characters`
  : `${what} must be valid Unicode (no lone surrogates)`;

/** Opaque text (an id, a URL, a token): any characters but NUL and lone surrogates. */
export const text = (what: string, max: number, min = 1) => z.string({ error: `${what} must be a string` })
  .min(min, min === 1 ? `${what} must not be empty` : `${what} must be at least ${min} characters`)
  .max(max, `${what} must be at most ${max} characters`)
  .superRefine((s, ctx) => {
    if (badText(s)) ctx.addIssue({ code: 'custom', message: textProblem(what, s) });
  });

/**
 * Text a person reads (a name, a feature, an end user's id, a description): one line, nothing that
 * reorders or hides what is shown (UNREADABLE), and not blank. `min` 0: may be empty (a description).
 */
export const label = (what: string, max = 200, min = 1) => z.string({ error: `${what} must be a string` })
  .min(min, `${what} must not be empty`)
  .max(max, `${what} must be at most ${max} characters`)
  .superRefine((s, ctx) => {
    if (badText(s)) ctx.addIssue({ code: 'custom', message: textProblem(what, s) });
    else if (UNREADABLE.test(s)) ctx.addIssue({ code: 'custom', message: unreadableProblem(what, s) });
    if (s.length > 0 && !NOT_BLANK.test(s)) ctx.addIssue({ code: 'custom', message: `${what} must not be blank (only spaces)` });
  });

/** A key people and URLs use: tenant slugs, flag keys, environment names. */
export const slug = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,127}$/, 'lowercase letters, digits, . _ - (1-128 characters, starting with a letter or digit)');

export const INT4_MAX = 2_147_483_647;
/** An integer that fits a PostgreSQL `integer` column. */
export const int4 = (what: string) => z.number({ error: `${what} must be a number` }).int(`${what} must be a whole number`)
  .min(-INT4_MAX - 1, `${what} must be at least ${-INT4_MAX - 1}`).max(INT4_MAX, `${what} must be at most ${INT4_MAX}`);
/** An integer that fits a `bigint` column and a JavaScript number exactly. */
export const int8 = (what: string) => z.number({ error: `${what} must be a number` }).int(`${what} must be a whole number`)
  .min(Number.MIN_SAFE_INTEGER, `${what} must be at least ${Number.MIN_SAFE_INTEGER}`)
  .max(Number.MAX_SAFE_INTEGER, `${what} must be at most ${Number.MAX_SAFE_INTEGER}`);

/** An http(s) URL (a webhook): a URL, at most `max` characters, with `text`'s checks (the URL parser lets NUL through in a path). */
export const httpUrl = (what: string, max = 2048) => z.url({ protocol: /^https?$/, error: `${what} must be an http(s) URL` })
  .max(max, `${what} must be at most ${max} characters`)
  .superRefine((s, ctx) => {
    if (badText(s)) ctx.addIssue({ code: 'custom', message: textProblem(what, s) });
  });

/** Answer fields: an instant as the API writes it, and a count. */
export const isoTime = z.string().describe('ISO 8601, UTC (e.g. 2026-11-22T10:00:00.000Z)');
/** An amount of money: the exact decimal as a string ("412.5", "0.0000075"), never a float, never rounded (docs/cost.md). */
export const money = z.string().regex(/^-?\d+(\.\d+)?$/).describe('exact decimal in the tenant\'s currency, as a string (numeric; trailing zeros dropped, never rounded)');
export const count = z.number().int().min(0);

/**
 * A budget as a request gives it: a decimal string or number greater than 0 with at most 10 digits
 * before the point and 6 after (a numeric(16, 6) column), kept as the exact text ("500.00").
 */
export const moneyAmount = (what: string) => z.union([z.string(), z.number({ error: `${what} must be a decimal number or string` })])
  .transform((v) => (typeof v === 'number' ? String(v) : v.trim()))
  .refine((s) => /^\d{1,10}(\.\d{1,6})?$/.test(s) && Number(s) > 0, `${what} must be greater than 0, with at most 10 digits before the point and 6 after (e.g. "500.00")`);
