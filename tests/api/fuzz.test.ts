// The API fuzzed from its own OpenAPI document: for every operation it lists (those added later too,
// with nothing to register here), requests with valid and with invalid data, as an admin key, a read
// key and no key. Whatever comes back: never a 5xx, only statuses the document lists for that
// operation, bodies that match their documented schema, no invalid input accepted, and no secret
// (the admin key, a Slack webhook URL) shown to anyone but an admin. A fixed number of runs per
// operation keeps the file to a few seconds; fast-check prints the seed and the shrunk request of
// a failure.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { startTestApp } from '../helpers/app.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { breaks, invalid, operations, schemaChecker, valid, type Hints, type Operation, type Schema } from '../helpers/openapi.ts';
import type { FlagMeter } from '../../server/runtime.ts';

const RUNS_PER_OPERATION = 120;
const ADMIN = 'fm_live_hardenfuzz01_FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF';
const HOOK = 'https://hooks.slack.com/services/T0FUZZ/B0FUZZ/webhooksecretpart';
const SECRETS = [ADMIN, 'webhooksecretpart'];

let db: TestDb;
let app: FlagMeter;
let doc: Schema;
let keys: Record<'admin' | 'read' | 'none', string | undefined>;
const hints: Record<string, unknown[]> = {
  tenant: ['acme-corp', 'globex'], confirm: ['acme-corp', 'globex'],
  timezone: ['UTC', 'Europe/Berlin', 'America/New_York'], id: [],
  // an event's reservation must name an open hold: made-up ids are refused (404/409, tests/entitlements)
  $omit: ['reservation'],
};
const check = schemaChecker();
/** The operations of issue #13's time, whose successes the fixtures make reachable. */
const CORE = ['POST /api/events', 'GET /api/usage/{tenant}', 'GET /api/usage/{tenant}/series', 'GET /api/tenants', 'POST /api/tenants',
  'GET /api/tenants/{tenant}', 'PATCH /api/tenants/{tenant}', 'DELETE /api/tenants/{tenant}', 'PUT /api/tenants/{tenant}/webhook',
  'DELETE /api/tenants/{tenant}/webhook', 'GET /api/alerts', 'POST /api/keys', 'GET /api/keys', 'DELETE /api/keys/{id}', 'GET /api/audit',
  'GET /api/stream', 'GET /api/health', 'GET /api/openapi.json', 'GET /metrics'];

async function call(method: string, path: string, opts: { key?: string; body?: string; type?: string } = {}) {
  const res = await fetch(`${app.url}${path}`, {
    method: method.toUpperCase(),
    headers: { ...(opts.key ? { authorization: `Bearer ${opts.key}` } : {}), ...(opts.type ? { 'content-type': opts.type } : {}) },
    body: opts.body,
    signal: AbortSignal.timeout(10_000),
  });
  return res;
}

beforeAll(async () => {
  db = await createTestDb();
  app = await startTestApp(db.url, { FLAGMETER_AUTH: 'true', FLAGMETER_ADMIN_KEY: ADMIN });
  await fixtures();
  const read = await admin('POST', '/api/keys', { name: 'fuzz reader', scopes: ['read'] });
  for (let i = 0; i < 3; i++) hints.id!.push((await admin('POST', '/api/keys', { name: `throwaway ${i}`, scopes: ['ingest'] })).id);
  await admin('POST', '/api/events', [{ tenant: 'acme-corp', feature: 'gpt-4o', tokens: 900_000 }, { tenant: 'globex', feature: 'claude', tokens: 5 }]);
  // an alert, so the bodies that carry alerts are checked with one in them
  await db.pool.query(`insert into flagmeter.alerts (tenant_id, threshold, used_tokens, quota, period_start, period_end, status, last_error)
    select id, 80, 900000, 1000000, now() - interval '1 day', now() + interval '29 days', 'pending', 'HTTP 500' from flagmeter.tenants where slug = 'acme-corp'`);
  keys = { admin: ADMIN, read: read.key, none: undefined };
  doc = await (await call('get', '/api/openapi.json')).json();
});
afterAll(async () => {
  await app.stop();
  await db.drop();
});

const admin = (method: string, path: string, body: unknown) =>
  call(method, path, { key: ADMIN, body: JSON.stringify(body), type: 'application/json' }).then((r) => r.json());

/** The tenants the hints name, with a webhook: made again before each operation, since the fuzz may delete them. */
async function fixtures(): Promise<void> {
  for (const slug of ['acme-corp', 'globex']) await admin('POST', '/api/tenants', { slug, name: slug });
  await admin('PUT', '/api/tenants/acme-corp/webhook', { url: HOOK });
}

interface Req { kind: 'valid' | 'invalid'; why: string; path: string; query: string; body?: string; type?: string }

/** A string as it goes into a URL, lone surrogates as the (invalid) UTF-8 a careless client would send. */
const encode = (s: string) => [...s].map((c) => (c.length === 1 && /[\ud800-\udfff]/.test(c) ? '%ED%A0%80' : encodeURIComponent(c))).join('');

/** What the server will see for a parameter value sent as text: a number for numeric schemas. */
const asParsed = (schema: Schema, s: string): unknown => (schema.type === 'integer' || schema.type === 'number' ? (s.trim() === '' ? Number.NaN : Number(s)) : s);

/**
 * What a JSON Schema cannot say, applied to the bodies generated as valid: an event's tokens are
 * the sum of its parts (inputTokens, outputTokens, cachedTokens) when it gives any, else required.
 */
function withEventRules(body: unknown): unknown {
  if (Array.isArray(body)) return body.map(withEventRules);
  if (body === null || typeof body !== 'object') return body;
  const o = Object.fromEntries(Object.entries(body).map(([k, v]) => [k, withEventRules(v)]));
  if (!('tenant' in o && 'feature' in o)) return o;
  const parts = ['inputTokens', 'outputTokens', 'cachedTokens'].filter((k) => typeof o[k] === 'number');
  const sum = parts.reduce((n, k) => n + (o[k] as number), 0);
  if (parts.length === 0 || sum < 1 || sum > 2_147_483_647) {
    for (const k of parts) delete o[k];
    if (typeof o.tokens !== 'number') o.tokens = 1;
  } else o.tokens = sum;
  return o;
}

function requests(op: Operation): fc.Arbitrary<Req> {
  const pathParams = op.parameters.filter((p) => p.in === 'path');
  const queryParams = op.parameters.filter((p) => p.in === 'query');
  const validParams = fc.record({
    path: fc.tuple(...pathParams.map((p) => valid(p.schema, hints, p.name).map(String))),
    query: fc.tuple(...queryParams.map((p) => (p.required ? valid(p.schema, hints, p.name).map(String) : fc.option(valid(p.schema, hints, p.name).map(String), { nil: undefined, freq: 2 })))),
  });
  const build = (path: string[], query: (string | undefined)[], extra = '') => ({
    path: pathParams.reduce((p, param, i) => p.replace(`{${param.name}}`, path[i] ?? ''), op.path),
    query: [...queryParams.flatMap((p, i) => (query[i] === undefined ? [] : [`${p.name}=${query[i]}`])), ...(extra ? [extra] : [])].join('&'),
  });
  // a path segment '.' or '..' (even as %2E) is a dot segment every URL client removes before sending: it cannot reach the route
  const encoded = (list: string[]) => list.map((s) => (s === '.' || s === '..' ? `${s}x` : encode(s)));
  const encodedQuery = (list: (string | undefined)[]) => list.map((q) => (q === undefined ? undefined : encode(q)));
  const body = op.body ? valid(op.body, hints).map((b) => ({ body: JSON.stringify(withEventRules(b)), type: 'application/json' })) : fc.constant({});

  const ok: fc.Arbitrary<Req> = fc.tuple(validParams, body).map(([p, b]) => ({ kind: 'valid', why: 'valid', ...build(encoded(p.path), encodedQuery(p.query)), ...b }));
  const bad: fc.Arbitrary<Req>[] = [];
  pathParams.forEach((param, i) => {
    const broken = fc.oneof(
      invalid(param.schema, hints).filter((b) => typeof b.value === 'string' && b.value !== '' && breaks(check, param.schema, b)).map((b) => ({ raw: encode(b.value as string), why: b.why })),
      fc.constantFrom('%FF', '%00x', 'x%E0%A4%A', '%C0%80').map((raw) => ({ raw, why: `malformed ${raw}` })));
    bad.push(fc.tuple(validParams, body, broken).map(([p, b, x]) => {
      const path = encoded(p.path);
      path[i] = x.raw;
      return { kind: 'invalid', why: `path ${param.name}: ${x.why}`, ...build(path, encodedQuery(p.query)), ...b };
    }));
  });
  queryParams.forEach((param, i) => {
    const broken = fc.oneof(
      invalid(param.schema, hints).filter((b) => typeof b.value !== 'object' || b.value === null)
        .map((b) => ({ text: String(b.value), why: b.why }))
        .filter((b) => breaks(check, param.schema, { value: asParsed(param.schema, b.text), why: b.why })),
      fc.constantFrom('%FF', '%00').map((text) => ({ text, why: `malformed ${text}`, raw: true })));
    bad.push(fc.tuple(validParams, body, broken).map(([p, b, x]) => {
      const query = encodedQuery(p.query);
      query[i] = 'raw' in x ? x.text : encode(x.text);
      return { kind: 'invalid', why: `query ${param.name}: ${x.why}`, ...build(encoded(p.path), query), ...b };
    }));
  });
  if (queryParams.length > 0) {
    bad.push(fc.tuple(validParams, body).map(([p, b]) => ({ kind: 'invalid', why: 'an unknown query parameter', ...build(encoded(p.path), encodedQuery(p.query), 'unknownParam=1'), ...b })));
  }
  if (op.body) {
    const schema = op.body;
    const params = validParams.map((p) => build(encoded(p.path), encodedQuery(p.query)));
    bad.push(fc.tuple(params, invalid(schema, hints).filter((b) => breaks(check, schema, b)))
      .map(([p, b]) => ({ kind: 'invalid', why: `body: ${b.why}`, ...p, body: JSON.stringify(b.value), type: 'application/json' })));
    bad.push(fc.tuple(params, fc.constantFrom(['{"tenant":', 'application/json'], ['', 'application/json'], ['{}', 'text/plain'], ['a=1', 'application/x-www-form-urlencoded'], ['{}', '']))
      .map(([p, [text, type]]) => ({ kind: 'invalid', why: `body ${JSON.stringify(text)} as ${type || 'no type'}`, ...p, body: text, ...(type ? { type } : {}) })));
  }
  return bad.length ? fc.oneof({ arbitrary: ok, weight: 2 }, ...bad.map((arbitrary) => ({ arbitrary, weight: 1 }))) : ok;
}

/** What was sent and answered, per operation, caller, kind and status (printed with FUZZ_STATS=1). */
const seen = new Map<string, number>();

async function exercise(op: Operation, caller: keyof typeof keys, req: Req): Promise<void> {
  const url = `${req.path}${req.query ? `?${req.query}` : ''}`;
  const res = await call(op.method, url, { key: keys[caller], body: req.body, type: req.type });
  const documented = op.responses.get(res.status);
  const tally = `${op.method.toUpperCase()} ${op.path} ${caller} ${req.kind} ${res.status}`;
  seen.set(tally, (seen.get(tally) ?? 0) + 1);
  const where = `${op.method.toUpperCase()} ${url} as ${caller} (${req.why}) → ${res.status}`;
  const media = res.headers.get('content-type') ?? '';
  if (media.startsWith('text/event-stream')) {
    await res.body?.cancel();
    expect({ where, documented: documented?.media }).toEqual({ where, documented: 'text/event-stream' });
    return;
  }
  const text = await res.text();
  expect({ where, server: res.status < 500 ? 'ok' : text }).toEqual({ where, server: 'ok' });
  expect({ where, documented: documented !== undefined }).toEqual({ where, documented: true });
  if (req.kind === 'invalid') expect({ where, accepted: res.status < 400 }).toEqual({ where, accepted: false });
  if (caller !== 'admin') for (const secret of SECRETS) expect({ where, leaks: text.includes(secret) }).toEqual({ where, leaks: false });
  // the answer comes in a media type its status lists (JSON, or CSV where a route offers it), matching its schema
  const got = media.split(';')[0]!.trim();
  if (documented!.contents.size > 0) expect({ where, media: documented!.contents.has(got) ? got : `${got || 'none'}, not listed` }).toEqual({ where, media: got });
  const schema = documented!.contents.get(got);
  if (schema && got === 'application/json') expect({ where, errors: check(schema, JSON.parse(text)) }).toEqual({ where, errors: [] });
}

test('every operation in the document is fuzzed, and the document lists the ones Express serves', () => {
  const ops = operations(doc);
  // tests/api/openapi.test.ts proves the document lists every route; here: every operation gets requests
  expect(ops.length).toBeGreaterThan(15);
  for (const op of ops) expect(requests(op)).toBeDefined();
});

test('no request breaks the API or makes it say what its document does not', async () => {
  // every operation is run, failing or not, so one run names everything that is wrong
  const failures: string[] = [];
  for (const op of operations(doc)) {
    await fixtures();
    try {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom<keyof typeof keys>('admin', 'admin', 'read', 'none'), requests(op), (caller, req) => exercise(op, caller, req)),
        { numRuns: RUNS_PER_OPERATION, endOnFailure: true },
      );
    } catch (err) {
      // fast-check keeps the assertion that failed as the error's cause: it says what was wrong
      const { message, cause } = err as Error & { cause?: Error };
      const why = `${message}\n${cause?.message ?? ''}`.split('\n').filter((l) => /Counterexample|seed|^\s*[-+] |where/.test(l));
      failures.push(`${op.method.toUpperCase()} ${op.path}: ${why.join('\n')}`);
    }
  }
  expect(failures).toEqual([]);
  if (process.env.FUZZ_STATS) console.log([...seen].sort().map(([k, n]) => `${k}: ${n}`).join('\n'));
  // the valid requests do get through: each core operation answered a 2xx to the admin at least
  // once. (An operation added later is fuzzed all the same; to have its successes checked too, give
  // its parameters hints above and create what they name in fixtures().)
  const succeeded = new Set([...seen.keys()].filter((k) => / admin valid 2\d\d$/.test(k)).map((k) => k.split(' ').slice(0, 2).join(' ')));
  expect(CORE.filter((op) => !succeeded.has(op))).toEqual([]);
}, 240_000); // hundreds of requests: generous, so a loaded machine slows it without failing it
