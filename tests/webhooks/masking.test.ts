// A webhook URL is a credential. Whatever quotes one on its way to the audit log, a log line or a
// non-admin goes through the one masking function (server/core/mask.ts): an HTTP client's error
// quotes it in its own form (normalised, without its credentials, the path alone), a remote body
// may echo it, an audit entry may carry it in any field.
import http from 'node:http';
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { maskUrl, maskUrlIn } from '../../server/core/mask.ts';
import { appendAudit } from '../../server/db/audit.ts';
import { makeLogger } from '../../server/log.ts';
import { startTestApp } from '../helpers/app.ts';
import { addTenants, createTestDb, type TestDb } from '../helpers/db.ts';
import { call } from '../helpers/people.ts';
import type { FlagMeter } from '../../server/runtime.ts';

const SECRET = 'T0AAAA/B0BBBB/verysecretpart9876';

describe('maskUrlIn: every form a text may quote the URL in', () => {
  const url = `https://bot:pass-word-42@HOOKS.example.com:443/services/${SECRET}?token=abcdefgh1234`;
  test.each([
    ['as stored', `request to ${url} failed`],
    ['normalised by the client', `request to https://bot:pass-word-42@hooks.example.com/services/${SECRET}?token=abcdefgh1234 failed, reason: socket hang up`],
    ['without its credentials', `request to https://hooks.example.com/services/${SECRET}?token=abcdefgh1234 failed`],
    ['without its query', `POST https://hooks.example.com/services/${SECRET}: 500`],
    ['host and path, no scheme', `connect to hooks.example.com/services/${SECRET} refused`],
    ['the path alone', `POST /services/${SECRET}?token=abcdefgh1234 → 502`],
    ['the path alone, no query', `no route for /services/${SECRET}`],
    ['the password alone', 'auth failed for password pass-word-42'],
    ['the query alone', 'bad token=abcdefgh1234'],
  ])('%s', (_what, text) => {
    const shown = maskUrlIn(text, url);
    for (const secret of ['verysecretpart', 'pass-word-42', 'abcdefgh1234']) expect(shown).not.toContain(secret);
    expect(shown).toContain(maskUrl(url));
  });

  test('percent-encoded and decoded forms alike', () => {
    const encoded = 'https://hooks.example.com/h/sécret-räum-0001';
    expect(maskUrlIn(`failed: ${new URL(encoded).href}`, encoded)).not.toMatch(/s%C3%A9cret|sécret/);
    expect(maskUrlIn('failed: /h/sécret-räum-0001', new URL(encoded).href)).not.toContain('sécret');
  });

  test('short paths are not taken for secrets, and text without the URL is unchanged', () => {
    expect(maskUrlIn('POST / failed: HTTP 500', 'https://hooks.example.com/')).toBe('POST / failed: HTTP 500');
    expect(maskUrlIn('connect ECONNREFUSED 127.0.0.1:9', `http://127.0.0.1:9/services/${SECRET}`)).toBe('connect ECONNREFUSED 127.0.0.1:9');
  });
});

describe('the audit log and the logs', () => {
  let db: TestDb;
  let app: FlagMeter;
  let remote: http.Server;
  let hook: string;
  beforeAll(async () => {
    db = await createTestDb();
    await addTenants(db.pool, [{ slug: 'masked' }]);
    // a remote that echoes what it was called with, as error pages do
    remote = http.createServer((req, res) => { res.writeHead(500); res.end(`no such hook: ${req.url} (http://${req.headers.host}${req.url})`); });
    await new Promise<void>((resolve) => remote.listen(0, '127.0.0.1', resolve));
    hook = `http://127.0.0.1:${(remote.address() as AddressInfo).port}/services/${SECRET}`;
    app = await startTestApp(db.url, { WEBHOOK_ALLOW_PRIVATE: 'true' });
  });
  afterAll(async () => {
    await app.stop();
    remote.closeAllConnections();
    remote.close();
    await db.drop();
  });

  test('the webhook test message: the answer and its audit entry quote the URL masked only', async () => {
    expect((await call(app.url, 'PUT', '/api/tenants/masked/webhook', { body: { url: hook, enabled: true } })).status).toBe(200);
    const r = await call(app.url, 'POST', '/api/tenants/masked/webhook/test');
    expect(r.body).toMatchObject({ delivered: false, status: 500, error: 'HTTP 500' });
    expect(r.body.excerpt).toContain(maskUrl(hook));
    expect(JSON.stringify(r.body)).not.toContain('verysecretpart');
    const { rows } = await db.pool.query(`select action, before::text || after::text as body from flagmeter.audit_log where target = 'tenant:masked'`);
    expect(rows.map((e) => e.action)).toEqual(['webhook.set', 'webhook.test']);
    for (const e of rows) expect(e.body).not.toContain('verysecretpart');
  });

  test('an audit entry that quotes a secret anywhere stores it masked', async () => {
    const client = await db.pool.connect();
    try {
      await appendAudit(client, undefined, {
        action: 'webhook.test', target: 'tenant:masked', before: null,
        after: { error: `request to ${hook} failed`, nested: [{ note: `POST /services/${SECRET}` }] }, secrets: [hook],
      });
    } finally {
      client.release();
    }
    const { rows: [e] } = await db.pool.query(`select after from flagmeter.audit_log order by id desc limit 1`);
    expect(e.after).toEqual({ error: `request to ${maskUrl(hook)} failed`, nested: [{ note: `POST ${maskUrl(hook)}` }] });
  });

  test('log lines mask secret URLs and drop credentials under the names the code logs them with', () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done(); } });
    const log = makeLogger('info', sink);
    log.info({ webhook: { url: hook }, tenant: { webhookUrl: hook }, req: { headers: { authorization: 'Bearer fm_live_x', cookie: 'token=fm_sess_y' } } }, 'line');
    const out = lines.join('');
    expect(out).not.toContain('verysecretpart');
    expect(out).not.toContain('fm_live_x');
    expect(out).not.toContain('fm_sess_y');
    expect(JSON.parse(out).webhook.url).toBe(maskUrl(hook));
  });
});
