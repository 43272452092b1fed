// The usage query API (GET /api/usage/:tenant/query), past billing periods and their statements
// (GET /api/tenants/:tenant/periods[/:start]); each as JSON, or as CSV with Accept: text/csv or
// format=csv, streamed from a cursor. They read through the reporting pool, never the main one; a
// CSV answer is an export: it takes a slot of the export gate (per key and per tenant, 429 beyond)
// and is cut when its client stops reading (EXPORT_IDLE_TIMEOUT_MS).
import { Router, type Request, type Response } from 'express';
import type pg from 'pg';
import { z } from 'zod';
import { AppError, unavailable } from '../../core/errors.ts';
import { parseWith } from '../json-body.ts';
import { pathParam } from '../path-params.ts';
import { slug } from '../../core/fields.ts';
import type { RouteDoc } from '../route-doc.ts';
import { assertTenantAllowed, requireScope } from '../../auth/middleware.ts';
import {
  cursorRows, findPeriod, listPeriods, queryCsvStatement, queryStatement, readSnapshot, resolveQueryTenant, statementBody, statementCsvStatement,
  type QueryRow, type QueryTenant,
} from '../../db/reporting.ts';
import { clientGone, csvRecords, safeName, sendCsv, wantsCsv, type CsvIdle } from '../../reporting/csv.ts';
import { STATEMENT_CSP, statementHtml, wantsHtml, type Statement } from '../../reporting/statement-html.ts';
import { pageHeaders } from '../security-headers.ts';
import type { Exporter } from '../../reporting/export-gate.ts';
import { isPoolBusy } from '../../db/pool.ts';
import { formatParam, MAX_JSON_ROWS, planQuery, usageQueryParams } from '../../reporting/query.ts';
import type { AppDeps } from '../../deps.ts';
import { send } from '../responses.ts';
import { periodsAnswer, statementAnswer, usageQueryAnswer, usageRow } from '../../reporting/schemas.ts';

/** JSON rows per fetch; CSV chunks (of CSV_CHUNK_ROWS records each) per fetch. */
const BATCH = 2000;
const CSV_FETCH = 4;

const formatOnly = z.strictObject({ format: formatParam });
const statementQuery = z.strictObject({
  format: z.enum(['json', 'csv', 'html'], { error: 'format must be json, csv or html' }).optional()
    .describe('csv for RFC 4180 CSV (the same as Accept: text/csv), html for the printable statement (the same as Accept: text/html); default JSON'),
});
const periodStart = z.string().regex(/^\d{4}-\d{2}-\d{2}$|^\d{4}-\d{2}-\d{2}T[0-9:.]+(Z|[+-]\d{2}:?\d{2})$/, 'a period start: its instant (2026-11-01T00:00:00.000Z) or its local date (2026-11-01)');

/** PostgreSQL refused a time that passed the pattern (February 30, hour 25): the client's doing. */
const isBadTime = (err: unknown) => typeof (err as { code?: unknown })?.code === 'string' && /^22(007|008|009|P02)$/.test((err as { code: string }).code);

/** The caller an export is counted against: its key, or the person signed in; null with auth off. */
const exporter = (req: Request, tenant: string): Exporter => ({
  tenant, keyId: req.caller?.keyId ?? (req.caller?.person ? `person:${req.caller.person.id}` : null),
});

interface Range { from?: string | undefined; to?: string | undefined; tz?: string | undefined }

/** The tenant named in the path, if the caller may read it. */
function tenantParam(req: Request): string {
  const tenantSlug = pathParam(req, 'tenant', slug);
  assertTenantAllowed(req.caller, tenantSlug);
  return tenantSlug;
}

export function reportingRouter({ pool, reportingPool, exportGate, config }: AppDeps): Router {
  const router = Router();
  const read = requireScope('read');
  const escapeFormulas = config.CSV_ESCAPE_FORMULAS;

  /** A snapshot on a reporting connection; every one busy (for connectionTimeoutMillis) is a 503 that says so. */
  const snapshot = () => readSnapshot(reportingPool).catch((err: unknown) => {
    throw isPoolBusy(reportingPool, err)
      ? unavailable('reporting_busy', `Every reporting connection (REPORTING_POOL_MAX=${config.REPORTING_POOL_MAX}) is busy with other queries and exports; retry shortly.`, 5)
      : err;
  });
  /** Takes an export slot for a CSV answer (429 too_many_exports when full); the returned function gives it back. */
  const enter = (who: Exporter, csv: boolean) => (csv ? exportGate.enter(who) : () => undefined);
  const idle = (req: Request, who: Exporter): CsvIdle => ({ ms: config.EXPORT_IDLE_TIMEOUT_MS, onStall: () => exportGate.stalled(who, req.path) });

  /**
   * Runs `answer` inside one read-only snapshot on a reporting connection (so totals, rows and
   * statement sections agree) with the tenant resolved in it: 404 when there is none. A CSV answer
   * holds an export slot meanwhile (`idle` cuts it when its client stops reading). Slot and
   * snapshot are released however it ends.
   */
  async function inSnapshot(req: Request, tenantSlug: string, csv: boolean, range: Range,
    answer: (client: pg.PoolClient, tenant: QueryTenant, idle: CsvIdle) => Promise<void>): Promise<void> {
    const who = exporter(req, tenantSlug);
    const leave = enter(who, csv);
    const snap = await snapshot().catch((err: unknown) => { leave(); throw err; });
    try {
      const tenant = await resolveQueryTenant(snap.client, tenantSlug, range.from, range.to, range.tz).catch((err: unknown) => {
        throw isBadTime(err) ? new AppError(400, 'invalid_time', 'from or to is not a real time (check the day of month and the hour).') : err;
      });
      if (!tenant) throw new AppError(404, 'unknown_tenant', `No tenant '${tenantSlug}'.`);
      await answer(snap.client, tenant, idle(req, who));
    } finally {
      leave();
      await snap.done();
    }
  }

  router.get('/usage/:tenant/query', read, async (req, res) => {
    const tenantSlug = tenantParam(req);
    const params = parseWith(usageQueryParams, req.query, 'The query');
    const csv = wantsCsv(req, params.format);
    await inSnapshot(req, tenantSlug, csv, params, async (client, tenant, idle) => {
      const plan = await planQuery(client, tenant, params);
      const signal = clientGone(res);
      const { byFeature, byUser } = plan.query;
      if (csv) {
        const columns = ['windowStart', 'windowEnd', ...(byFeature ? ['feature'] : []), ...(byUser ? ['user'] : []), 'tokens', 'events', 'inputTokens', 'outputTokens', 'cachedTokens', 'cost'];
        const name = `usage-${tenant.slug}-${plan.query.from.toISOString().slice(0, 10)}-${plan.query.to.toISOString().slice(0, 10)}-${plan.query.window}.csv`;
        const rows = cursorRows<string[]>(pool, client, queryCsvStatement(plan.source, plan.query, escapeFormulas), CSV_FETCH, signal, 'array');
        await sendCsv(res, name, columns, rows, signal, idle);
        return;
      }
      const rows = cursorRows<QueryRow>(pool, client, queryStatement(plan.source, plan.query), BATCH, signal);
      const out: z.infer<typeof usageRow>[] = [];
      // a client that leaves mid-read has its fetch cancelled: nobody is left to answer
      const reading = rows[Symbol.asyncIterator]();
      const next = () => reading.next().catch((err: unknown) => { if (signal.aborted) return { done: true as const, value: undefined }; throw err; });
      for (let batch = await next(); !batch.done; batch = await next()) {
        for (const r of batch.value) {
          out.push({
            windowStart: r.windowStart, windowEnd: r.windowEnd,
            ...(byFeature ? { feature: r.feature! } : {}), ...(byUser ? { user: r.user } : {}),
            tokens: r.tokens, events: r.events,
            inputTokens: r.inputTokens, outputTokens: r.outputTokens, cachedTokens: r.cachedTokens, cost: r.cost,
          });
        }
        if (out.length > MAX_JSON_ROWS) {
          await rows.return(undefined);
          throw new AppError(400, 'too_many_rows', `The answer has more than ${MAX_JSON_ROWS.toLocaleString('en-US')} rows: ask for CSV (Accept: text/csv or format=csv), which streams any number, or narrow the range, the window or the grouping.`);
        }
      }
      if (signal.aborted) return;
      const answer = {
        tenant: tenant.slug, timezone: tenant.tz, from: plan.query.from.toISOString(), to: plan.query.to.toISOString(),
        window: plan.query.window, groupBy: params.groupBy, source: plan.source, rows: out,
      };
      send(res, 200, usageQueryAnswer, answer);
    });
  });

  router.get('/tenants/:tenant/periods', read, async (req, res) => {
    const tenantSlug = tenantParam(req);
    const { format } = parseWith(formatOnly, req.query, 'The query');
    const csv = wantsCsv(req, format);
    await inSnapshot(req, tenantSlug, csv, {}, async (client, tenant, idle) => {
      const periods = await listPeriods(client, tenantSlug);
      if (csv) {
        await sendCsvRows(res, `periods-${tenant.slug}.csv`, periods.map((p) => ({ ...p, thresholdsCrossed: p.thresholdsCrossed.join(' ') })), escapeFormulas, idle);
        return;
      }
      const answer = { tenant: tenant.slug, timezone: tenant.timezone, billingDay: tenant.billingDay, periods };
      send(res, 200, periodsAnswer, answer);
    });
  });

  router.get('/tenants/:tenant/periods/:start', read, async (req, res) => {
    const tenantSlug = tenantParam(req);
    const start = pathParam(req, 'start', periodStart);
    const { format } = parseWith(statementQuery, req.query, 'The query');
    const html = wantsHtml(req, format);
    const csv = !html && wantsCsv(req, format);
    await inSnapshot(req, tenantSlug, csv, {}, async (client, tenant, idle) => {
      const p = await findPeriod(client, tenant.id, start).catch((err: unknown) => {
        throw isBadTime(err) ? new AppError(400, 'invalid_time', `'${start}' is not a real time.`) : err;
      });
      if (!p) {
        throw new AppError(404, 'unknown_period', `Tenant '${tenant.slug}' has no billing period starting ${start}: GET /api/tenants/${tenant.slug}/periods lists them (from its first event to the current one).`);
      }
      if (csv) {
        const signal = clientGone(res);
        const rows = cursorRows<string[]>(pool, client, statementCsvStatement(tenant.id, p.start, p.end, escapeFormulas), CSV_FETCH, signal, 'array');
        await sendCsv(res, `statement-${tenant.slug}-${p.start.toISOString().slice(0, 10)}.csv`, ['section', 'day', 'feature', 'user', 'tokens', 'events', 'cost', 'kind', 'price'], rows, signal, idle);
        return;
      }
      const body = await statementBody(client, tenant.id, p.start, p.end);
      if (html) {
        res.status(200).set({
          ...pageHeaders(STATEMENT_CSP), 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store',
          'Content-Disposition': `inline; filename="statement-${safeName(tenant.slug)}-${p.start.toISOString().slice(0, 10)}.html"`,
        }).send(statementHtml(JSON.parse(body) as Statement, new Date()));
        return;
      }
      res.type('json').send(body);
    });
  });
  return router;
}

/** A short list (periods) as CSV: the same writer, one batch. */
async function sendCsvRows<T extends object>(res: Response, filename: string, rows: T[], escapeFormulas: boolean, idle: CsvIdle): Promise<void> {
  const columns = rows[0] ? Object.keys(rows[0]) : ['periodStart', 'periodEnd'];
  async function* one() { yield [[csvRecords(rows.map((r) => Object.values(r)), escapeFormulas)]]; }
  await sendCsv(res, filename, columns, one(), clientGone(res), idle);
}

const common = {
  400: 'Invalid parameters: the message says which and what to change', 404: 'Unknown tenant',
  429: 'CSV only: too_many_exports, the key or the tenant already runs as many exports as EXPORTS_PER_KEY / EXPORTS_PER_TENANT allow (Retry-After)',
  503: 'reporting_busy: every reporting connection is busy (Retry-After); or the database is not reachable',
};
export const reportingRouteDocs: RouteDoc[] = [
  { method: 'get', path: '/api/usage/{tenant}/query', scope: 'read', query: usageQueryParams, csv: true,
    summary: 'Usage per window (minute, hour, day, month in tz), optionally per feature and end user, read from the coarsest rollup that answers exactly. CSV with Accept: text/csv or format=csv (streamed; any length).',
    responses: { 200: { description: 'Rows, one per window (and feature, user) with usage', schema: usageQueryAnswer }, ...common } },
  { method: 'get', path: '/api/tenants/{tenant}/periods', scope: 'read', query: formatOnly, csv: true,
    summary: 'Every billing period since the tenant\'s first event: tokens, events, quota, percent, overage, alerts. CSV with Accept: text/csv or format=csv.',
    responses: { 200: { description: 'Periods, oldest first', schema: periodsAnswer }, ...common } },
  { method: 'get', path: '/api/tenants/{tenant}/periods/{start}', scope: 'read', query: statementQuery, csv: true, html: true,
    params: { start: z.string().min(1).max(64).describe('the period start: an instant (2026-11-01T00:00:00Z) or a local date (2026-11-01)') },
    summary: 'One billing period\'s statement: totals, per feature, per day, top users, alerts, and lines per model, kind and price. {start} is the period start (instant or local date). CSV with Accept: text/csv or format=csv; a printable HTML page (no scripts, its own CSP) with Accept: text/html or format=html.',
    responses: { 200: { description: 'The statement', schema: statementAnswer }, ...common, 400: 'Invalid period start or format', 404: 'Unknown tenant or period' } },
];
