// The printable statement (GET /api/tenants/:tenant/periods/:start as HTML): its figures are the JSON
// statement's, line by line, with prices changing mid-period and a tenant's own price; every name
// is escaped (a tenant and a model called like markup); it is served as text/html with a CSP that
// lets nothing run and only its own <style> apply, and chosen like CSV (format= or Accept).
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { insertEvents } from '../../server/db/events.ts';
import { startTestApp } from '../helpers/app.ts';
import { addTenants, createTestDb, type TestDb } from '../helpers/db.ts';
import { DAY, minutesAgo, randomEvents, setPriceBook } from '../helpers/spend.ts';
import type { FlagMeter } from '../../server/runtime.ts';

const HOSTILE_TENANT = '<script>alert("tenant")</script> & Co\'s';
const HOSTILE_MODEL = '<img src=x onerror=alert(1)>"';
let db: TestDb;
let app: FlagMeter;
let previous: string;
const now = Date.now();

beforeAll(async () => {
  db = await createTestDb();
  const ids = await addTenants(db.pool, [{ slug: 'acme' }, { slug: 'euro', timezone: 'Europe/Berlin' }]);
  await db.pool.query(`update flagmeter.tenants set name = $1 where slug = 'acme'`, [HOSTILE_TENANT]);
  await db.pool.query(`update flagmeter.tenants set currency = 'EUR' where slug = 'euro'`);
  await setPriceBook(db.pool, now, ids.acme!);
  // the hostile model has a price of its own, so it gets lines
  await db.pool.query(`insert into flagmeter.tenant_prices (tenant_id, model, effective_from, input, output, cached, plain)
    values ($1::bigint, $2, $3::timestamptz, 4.25, 12.5, 0.5, 4.25)`, [ids.acme, HOSTILE_MODEL, minutesAgo(now, 60 * DAY)]);
  const events = randomEvents([ids.acme!, ids.euro!], 1500, 24, now, 45);
  events.forEach((e, i) => { if (i % 9 === 0) e.feature = HOSTILE_MODEL; });
  await insertEvents(db.pool, events);
  app = await startTestApp(db.url);
  const { rows: [p] } = await db.pool.query(`select p.period_start from flagmeter.billing_period(1, 'UTC', now()) c, flagmeter.billing_period(1, 'UTC', c.period_start - interval '1 second') p`);
  previous = (p.period_start as Date).toISOString();
}, 60_000);
afterAll(async () => {
  await app?.stop();
  await db.drop();
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${app.url}${path}`, { headers });
const unescape = (s: string) => s.replace(/&#(\d+);/g, (_, c: string) => String.fromCharCode(Number(c)));
/** The data-* attributes of every <tr class="…"> of that class, in page order. */
const rowsOf = (html: string, cls: string) => [...html.matchAll(new RegExp(`<tr class="${cls}"([^>]*)>`, 'g'))]
  .map((m) => Object.fromEntries([...m[1]!.matchAll(/data-([a-z-]+)="([^"]*)"/g)].map((a) => [a[1]!, unescape(a[2]!)])));

test('its lines, features and total are the JSON statement\'s, and every name is escaped', async () => {
  const json = await (await get(`/api/tenants/acme/periods/${previous}`)).json();
  expect(json.lines.length).toBeGreaterThan(8);
  expect(json.lines.some((l: any) => l.model === HOSTILE_MODEL)).toBe(true);
  // prices changed mid-period: one model has lines at more than one price
  expect(new Set(json.lines.filter((l: any) => l.model === 'm-custom').map((l: any) => l.priceFrom)).size).toBeGreaterThan(1);

  const res = await get(`/api/tenants/acme/periods/${previous}?format=html`);
  expect(res.status).toBe(200);
  const html = await res.text();
  expect(rowsOf(html, 'line')).toEqual(json.lines.map((l: any) => ({ model: l.model, kind: l.kind, tokens: String(l.tokens), price: l.price ?? '', cost: l.cost })));
  expect(rowsOf(html, 'feature')).toEqual(json.features.map((f: any) => ({ model: f.feature, tokens: String(f.tokens), cost: f.cost })));
  expect(unescape(/data-total-cost="([^"]*)"/.exec(html)![1]!)).toBe(json.totalCost);
  expect(Number(json.totalCost)).toBeGreaterThan(0);

  // what a person reads: tenant, period, currency, generated-at, the total rounded once
  expect(html).toContain(`<strong data-field="tenantName">&#60;script&#62;alert(&#34;tenant&#34;)&#60;/script&#62; &#38; Co&#39;s</strong>`);
  expect(html).toContain('<dd data-field="currency">USD</dd>');
  expect(html).toMatch(/<dd data-field="generatedAt">\d{4}-\d{2}-\d{2}T[\d:.]+Z<\/dd>/);
  const cents = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format(json.totalCost);
  expect(html).toContain(`<strong data-field="totalCost">${cents}</strong>`);
  expect(html).toContain('&#60;img src=x onerror=alert(1)&#62;&#34;');
  // no markup but the page's own: no script, no event handler, no raw hostile name
  expect(html).not.toMatch(/<script|<img|onerror=alert\(1\)>/i);
  // attribute names only (quoted values are text: an escaped name may read "onerror=" there)
  const attributeNames = [...html.matchAll(/<[a-z][^>]*>/gi)].flatMap((m) => [...m[0].replace(/"[^"]*"/g, '""').matchAll(/\s([a-z-]+)=/gi)].map((a) => a[1]!));
  expect(attributeNames.length).toBeGreaterThan(100);
  expect(attributeNames.filter((n) => /^on|^style$|^src$|^href$/i.test(n))).toEqual([]);
});

test('served as text/html with headers fit for it: a CSP that allows its inline style only', async () => {
  const res = await get(`/api/tenants/acme/periods/${previous}?format=html`);
  expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.headers.get('content-disposition')).toBe(`inline; filename="statement-acme-${previous.slice(0, 10)}.html"`);
  const csp = res.headers.get('content-security-policy')!;
  const html = await res.text();
  const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]!);
  expect(styles).toHaveLength(1);
  const hash = createHash('sha256').update(styles[0]!).digest('base64');
  expect(csp.split('; ')).toEqual(expect.arrayContaining([
    "default-src 'none'", `style-src 'sha256-${hash}'`, "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
  ]));
  expect(csp).not.toMatch(/script-src|unsafe-inline/);
  expect(html).not.toMatch(/ style="/);
});

test('chosen like CSV: Accept: text/html or format=html; format wins over Accept; anything else is refused', async () => {
  const byAccept = await get(`/api/tenants/acme/periods/${previous.slice(0, 10)}`, { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' });
  expect(byAccept.headers.get('content-type')).toMatch(/^text\/html/);
  expect(await byAccept.text()).toContain('<h1>Usage statement</h1>');
  const json = await get(`/api/tenants/acme/periods/${previous}?format=json`, { accept: 'text/html' });
  expect(json.headers.get('content-type')).toMatch(/^application\/json/);
  const csv = await get(`/api/tenants/acme/periods/${previous}`, { accept: 'text/csv' });
  expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
  const bad = await get(`/api/tenants/acme/periods/${previous}?format=pdf`);
  expect(bad.status).toBe(400);
  expect((await bad.json()).error.message).toMatch(/json, csv or html/);
  const unknown = await get('/api/tenants/acme/periods/1999-01-01?format=html');
  expect(unknown.status).toBe(404);
  expect(unknown.headers.get('content-type')).toMatch(/^application\/json/);
});

test('another currency is printed in it, and the current period says it is still running', async () => {
  const { periods } = await (await get('/api/tenants/euro/periods')).json();
  const current = periods.find((p: any) => p.current);
  const json = await (await get(`/api/tenants/euro/periods/${current.periodStart}`)).json();
  const html = await (await get(`/api/tenants/euro/periods/${current.periodStart}?format=html`)).text();
  expect(html).toContain('<dd data-field="currency">EUR</dd>');
  expect(html).toContain(`<strong data-field="totalCost">${new Intl.NumberFormat('en-US', { style: 'currency', currency: 'EUR' }).format(json.totalCost)}</strong>`);
  expect(html).toContain('€');
  expect(html).toContain('This period is still running');
  expect(unescape(/data-total-cost="([^"]*)"/.exec(html)![1]!)).toBe(json.totalCost);
});

test('the OpenAPI document lists the page: format=html and a text/html answer', async () => {
  const doc = await (await get('/api/openapi.json')).json();
  const op = doc.paths['/api/tenants/{tenant}/periods/{start}'].get;
  expect(op.parameters.find((p: any) => p.name === 'format').schema.enum).toEqual(['json', 'csv', 'html']);
  expect(Object.keys(op.responses['200'].content)).toEqual(['application/json', 'text/csv', 'text/html']);
  // the other reporting routes stay JSON or CSV
  expect(Object.keys(doc.paths['/api/tenants/{tenant}/periods'].get.responses['200'].content)).toEqual(['application/json', 'text/csv']);
});
