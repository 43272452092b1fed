// The usage query: its parameters, their limits, and the choice of the coarsest rollup that answers
// exactly. A query no rollup can answer exactly is refused with a 400 that says what to change,
// never answered approximately.
import type pg from 'pg';
import { z } from 'zod';
import { text } from '../core/fields.ts';
import { AppError } from '../core/errors.ts';
import {
  dailyRowsAnswer, hourlyMisfit, oldestMinute, WINDOWS,
  type QueryParams, type QueryTenant, type Source, type Window,
} from '../db/reporting.ts';

/** At most this many windows per query (about 7 days of minutes, 13 months of hours). */
export const MAX_WINDOWS = 10_000;
/** A JSON answer holds at most this many rows; CSV streams any number. */
export const MAX_JSON_ROWS = 50_000;
export const GROUP_FIELDS = ['feature', 'user'] as const;
export type GroupField = (typeof GROUP_FIELDS)[number];

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const timeParam = (what: string) => z.string({ error: `${what} must be a string` })
  .refine((s) => DATE.test(s) || z.iso.datetime({ offset: true }).safeParse(s).success,
    `${what} must be an ISO 8601 date-time with a zone (2026-11-01T00:00:00Z, 2026-11-01T00:00:00+01:00) or a date (2026-11-01: local midnight in tz)`)
  .optional();

/** One value or the parameter repeated (?feature=a&feature=b). */
const oneOrMany = (what: string, max: number) => z.union([text(what, max), z.array(text(what, max)).min(1).max(100, `at most 100 ${what} values`)])
  .transform((v) => (Array.isArray(v) ? v : [v]))
  .optional();

export const formatParam = z.enum(['json', 'csv'], { error: 'format must be json or csv' }).optional()
  .describe('csv for RFC 4180 CSV (the same as Accept: text/csv); default JSON');

export const usageQueryParams = z.strictObject({
  from: timeParam('from').describe('start (inclusive); default the start of the current billing period'),
  to: timeParam('to').describe('end (exclusive); default the end of the current billing period'),
  window: z.enum(WINDOWS, { error: `window must be one of ${WINDOWS.join(', ')}` }).default('day'),
  groupBy: z.union([z.string(), z.array(z.string())]).optional()
    .transform((v, ctx) => {
      const fields = (Array.isArray(v) ? v : v === undefined ? [] : [v]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
      const unknown = fields.filter((f) => !(GROUP_FIELDS as readonly string[]).includes(f));
      if (unknown.length) ctx.addIssue({ code: 'custom', message: `unknown groupBy field(s) ${unknown.join(', ')}: choose from ${GROUP_FIELDS.join(', ')}` });
      return [...new Set(fields)] as GroupField[];
    })
    .describe('comma-separated: feature, user'),
  feature: oneOrMany('feature', 128).describe('only these features (repeat the parameter for several)'),
  user: oneOrMany('user', 256).describe('only these end users (repeat the parameter for several)'),
  tz: text('tz', 64).optional().describe('IANA time zone of the windows; default the tenant\'s'),
  format: formatParam,
}, { error: (issue) => issue.code === 'unrecognized_keys' ? `unknown parameter(s): ${issue.keys.join(', ')}` : undefined });
export type UsageQueryParams = z.infer<typeof usageQueryParams>;

const MIN_WINDOW_MS: Record<Window, number> = { minute: 60_000, hour: 3_600_000, day: 23 * 3_600_000, month: 28 * 86_400_000 };
const iso = (d: Date) => d.toISOString();
const bad = (code: string, message: string, field?: string) =>
  new AppError(400, code, message, field ? { details: [{ field, message }] } : {});

export interface Plan { source: Source; query: QueryParams }

/** Checks the range and picks the rollup; throws a 400 that names the parameter to change. */
export async function planQuery(client: pg.ClientBase, tenant: QueryTenant, p: UsageQueryParams): Promise<Plan> {
  if (!tenant.tzValid) throw bad('invalid_request', `tz '${tenant.tz}' is not a time zone PostgreSQL knows (use an IANA name such as Europe/Berlin)`, 'tz');
  const from = tenant.from!;
  const to = tenant.to!;
  if (!(from < to)) throw bad('invalid_range', `from (${iso(from)}) must be before to (${iso(to)})`, 'from');
  const windows = Math.ceil((to.getTime() - from.getTime()) / MIN_WINDOW_MS[p.window]);
  if (windows > MAX_WINDOWS) {
    throw bad('too_many_windows', `${iso(from)} to ${iso(to)} holds up to ${windows.toLocaleString('en-US')} ${p.window} windows; a query may hold ${MAX_WINDOWS.toLocaleString('en-US')}: use a coarser window or a shorter range`, 'window');
  }
  const byUser = p.groupBy.includes('user');
  const query: QueryParams = {
    tenantId: tenant.id, tz: tenant.tz, from, to, window: p.window,
    byFeature: p.groupBy.includes('feature'), byUser, features: p.feature ?? null, users: p.user ?? null,
  };
  const coarse = p.window === 'day' || p.window === 'month';
  const daily = coarse && await dailyRowsAnswer(client, tenant.id, tenant.tz, from, to);

  if (byUser || p.user) {
    if (daily) return { source: 'daily-users', query };
    throw bad('user_needs_days',
      `usage per end user is kept per local day: groupBy=user and user= need window=day or month, from and to at local midnights in ${tenant.tz} (e.g. ${from.toISOString().slice(0, 10)}), and no change of the tenant's time zone within two days of the range`,
      coarse ? 'from' : 'window');
  }
  if (daily) return { source: 'daily', query };

  const misfit = await hourlyMisfit(client, query);
  if (!misfit) return { source: 'minute-hourly', query };
  const hour = iso(misfit.hour);
  const minutesFrom = await oldestMinute(client, tenant.id);
  const since = minutesFrom ? `; minute detail is kept from ${iso(minutesFrom)}` : '';
  if (misfit.offGrid) {
    throw bad('window_too_fine', `the hourly rollup at ${hour} was kept in a time zone the tenant no longer has, so no hour of ${tenant.tz} can split it: use window=day or month with from and to at local midnights`, 'window');
  }
  if (misfit.cutsWindow) {
    const why = p.window === 'minute'
      ? `window=minute is too fine for this range: usage there is kept per hour (the hourly rollup at ${hour})${since}. Use window=hour or coarser, or a later from`
      : `window=${p.window} in ${tenant.tz} cuts the hourly rollup at ${hour} (an hour of the tenant's zone ${tenant.timezone}, or both hours of a DST fall-back)${since}. Use tz=${tenant.timezone}, a coarser window, or window=day with from and to at local midnights`;
    throw bad('window_too_fine', why, 'window');
  }
  throw bad('range_cuts_rollup', `from or to falls inside the hourly rollup at ${hour}: usage there is kept per hour${since}. Start and end on whole hours of ${tenant.timezone}`, Math.abs(misfit.hour.getTime() - from.getTime()) <= 7_200_000 ? 'from' : 'to');
}
