// The SSRF guard: every forbidden address form is refused when a webhook is saved and when it is
// called, including names that resolve to loopback and a DNS rebind; the request goes to the
// address that was checked. A real receiver on 127.0.0.1 proves that a refusal is the guard's
// (it is reached as soon as the operator allows it) and that a refused call sends nothing.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { loadConfig } from '../../server/config.ts';
import { insertEvents } from '../../server/db/events.ts';
import { deliverAlert } from '../../server/jobs/deliver.ts';
import { runTick } from '../../server/jobs/tick.ts';
import { startWorker, type Worker } from '../../server/jobs/worker.ts';
import { postJson } from '../../server/webhooks/post.ts';
import { checkOnSave, classifyAddress, makePolicy, resolveTarget, type Resolver } from '../../server/webhooks/ssrf.ts';
import type { FlagMeter } from '../../server/runtime.ts';
import { startTestApp } from '../helpers/app.ts';
import { addTenants, createTestDb, silentLog, type TestDb } from '../helpers/db.ts';
import { startReceiver, type Receiver } from '../helpers/receiver.ts';

let db: TestDb;
let receiver: Receiver;
let app: FlagMeter;
let worker: Worker;

beforeAll(async () => {
  db = await createTestDb();
  receiver = await startReceiver();
  // the guard as shipped: no allow setting
  app = await startTestApp(db.url);
  worker = await startWorker({ config: loadConfig({ LOG_LEVEL: 'silent' }), pool: db.pool, databaseUrl: db.url, log: silentLog, work: false });
});
afterAll(async () => {
  await worker.stop();
  await app.stop();
  await receiver.close();
  await db.drop();
});

/** Every way of writing an address the guard must refuse, each pointing at the receiver's port where it has one. */
const forbidden = (port: number): string[] => [
  `http://127.0.0.1:${port}/hook`, `http://0x7f000001:${port}/hook`, `http://2130706433:${port}/hook`,
  `http://127.1:${port}/hook`, `http://0177.0.0.1:${port}/hook`, `http://0x7f.1:${port}/hook`,
  `http://localhost:${port}/hook`, `http://LOCALHOST.:${port}/hook`,
  `http://[::1]:${port}/hook`, `http://[::ffff:127.0.0.1]:${port}/hook`, `http://[::ffff:7f00:1]:${port}/hook`,
  `http://[::127.0.0.1]:${port}/hook`, `http://[64:ff9b::7f00:1]:${port}/hook`, `http://[2002:7f00:1::]:${port}/hook`,
  'http://169.254.169.254/latest/meta-data/', 'http://[fd00:ec2::254]/', 'http://[::ffff:169.254.169.254]/',
  'http://10.0.0.1/', 'http://172.16.5.4/', 'http://192.168.1.1/', 'http://100.64.0.1/', 'http://169.254.1.1/',
  'http://0.0.0.0/', 'http://0/', 'http://[::]/', 'http://224.0.0.1/', 'http://255.255.255.255/', 'http://[ff02::1]/',
  'http://[fe80::1]/', 'http://[fc00::1]/', 'https://[fd12:3456::1]/',
];
/** The ones that reach the receiver once allowed (IPv4 loopback in every notation, and localhost). */
const reachable = (port: number) => forbidden(port).slice(0, 8);

const strict = makePolicy({ allowPrivate: false, allowHosts: [] });
const fixed = (answers: Record<string, string[]>): Resolver => async (host) => {
  const list = answers[host];
  if (!list) throw Object.assign(new Error(`no such host ${host}`), { code: 'ENOTFOUND' });
  return list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};

describe('addresses', () => {
  test.each([
    ['127.0.0.1', 'loopback'], ['127.255.0.9', 'loopback'], ['::1', 'loopback'], ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'], ['::7f00:1', 'loopback'], ['64:ff9b::7f00:1', 'loopback'], ['2002:7f00:1::', 'loopback'],
    ['10.1.2.3', 'private'], ['172.31.255.255', 'private'], ['192.168.0.1', 'private'], ['fc00::1', 'private'], ['fd00::1', 'private'],
    ['64:ff9b:1::a00:1', 'private'], ['169.254.169.254', 'cloud metadata'], ['fd00:ec2::254', 'cloud metadata'],
    ['::ffff:169.254.169.254', 'cloud metadata'], ['169.254.0.1', 'link-local'], ['fe80::1', 'link-local'],
    ['100.64.0.1', 'shared (CGNAT)'], ['100.127.255.255', 'shared (CGNAT)'], ['224.0.0.1', 'multicast'], ['ff02::1', 'multicast'],
    ['0.0.0.0', 'unspecified'], ['::', 'unspecified'], ['255.255.255.255', 'broadcast'], ['240.0.0.1', 'reserved'],
    ['2001:db8::1', 'documentation'], ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'reserved'], ['not an address', 'reserved'],
  ])('%s is %s', (ip, kind) => {
    expect(classifyAddress(ip)).toBe(kind);
  });

  test.each(['8.8.8.8', '1.1.1.1', '100.128.0.1', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808'])('%s is public', (ip) => {
    expect(classifyAddress(ip)).toBeNull();
  });
});

describe('when a webhook is saved', () => {
  const put = (url: string) => fetch(`${app.url}/api/tenants/ssrf-save/webhook`, {
    method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url }),
  });

  test('every forbidden form is refused, with a reason that does not repeat the URL', async () => {
    await addTenants(db.pool, [{ slug: 'ssrf-save' }]);
    for (const url of forbidden(receiver.port)) {
      const res = await put(url);
      const body = await res.json() as { error: { code: string; message: string; details: { field: string }[] } };
      expect([url, res.status, body.error.code, body.error.details[0]!.field]).toEqual([url, 400, 'webhook_refused', 'url']);
      expect(body.error.message).not.toContain('/hook');
    }
    const { rows } = await db.pool.query(`select * from flagmeter.slack_webhooks w join flagmeter.tenants t on t.id = w.tenant_id where t.slug = 'ssrf-save'`);
    expect(rows).toEqual([]);
  });

  test('a public name that does not resolve right now is accepted (the call checks it again)', async () => {
    expect((await put('https://hooks.slack.com/services/T0/B0/x')).status).toBe(200);
    await expect(checkOnSave('https://hooks.example.test/', makePolicy({ allowPrivate: false, allowHosts: [] }, fixed({})))).resolves.toBeUndefined();
  });

  test('a name that resolves to a private address is refused, also when only one of its addresses is', async () => {
    const policy = makePolicy({ allowPrivate: false, allowHosts: [] }, fixed({ 'mixed.test': ['93.184.215.14', '10.0.0.7'], 'inside.test': ['fd00::5'] }));
    await expect(checkOnSave('https://mixed.test/x', policy)).rejects.toThrow(/private address 10\.0\.0\.7/);
    await expect(checkOnSave('https://inside.test/x', policy)).rejects.toThrow(/private address fd00::5/);
  });
});

describe('when a webhook is called', () => {
  async function alertFor(url: string): Promise<number> {
    const slug = `ssrf-${randomUUID().slice(0, 8)}`;
    const ids = await addTenants(db.pool, [{ slug, quota: 100 }]);
    // written past the API, as an older version or psql could have: the call must still refuse it
    await db.pool.query('insert into flagmeter.slack_webhooks (tenant_id, url) values ($1, $2)', [ids[slug], url]);
    await insertEvents(db.pool, [{ id: randomUUID(), tenantId: ids[slug]!, feature: 'f', tokens: 90, occurredAt: new Date().toISOString(), key: null, user: null }]);
    const { alerts } = await runTick(db.pool, worker.enqueue, loadConfig({}), { recent: '10 minutes' });
    return alerts[0]!;
  }

  test('every forbidden form is refused and nothing is sent; allowed by the operator, the same URLs arrive', async () => {
    const strictConfig = loadConfig({ ALERT_MAX_ATTEMPTS: '1' });
    for (const url of forbidden(receiver.port)) {
      const outcome = await deliverAlert(db.pool, worker.enqueue, strictConfig, await alertFor(url));
      expect([url, outcome.status]).toEqual([url, 'failed']);
      expect(outcome.error).toMatch(/^refused: webhooks may not call a /);
      expect(outcome.error).not.toContain('/hook');
    }
    expect(receiver.received).toEqual([]);

    const allowed = loadConfig({ WEBHOOK_ALLOW_PRIVATE: 'true' });
    for (const url of reachable(receiver.port)) {
      expect(await deliverAlert(db.pool, worker.enqueue, allowed, await alertFor(url))).toMatchObject({ status: 'delivered' });
    }
    expect(receiver.received).toHaveLength(reachable(receiver.port).length);
    // the metadata address stays closed even then
    expect((await deliverAlert(db.pool, worker.enqueue, allowed, await alertFor('http://169.254.169.254/'))).error).toMatch(/cloud metadata/);
  });

  test('WEBHOOK_ALLOW_HOSTS opens one CIDR or one name, nothing else', async () => {
    const before = receiver.received.length;
    const byNet = loadConfig({ WEBHOOK_ALLOW_HOSTS: '127.0.0.0/8' });
    expect((await deliverAlert(db.pool, worker.enqueue, byNet, await alertFor(`http://127.0.0.1:${receiver.port}/a`))).status).toBe('delivered');
    expect((await deliverAlert(db.pool, worker.enqueue, byNet, await alertFor('http://10.0.0.1/'))).error).toMatch(/private address/);
    const byName = loadConfig({ WEBHOOK_ALLOW_HOSTS: 'localhost', ALERT_MAX_ATTEMPTS: '1' });
    expect((await deliverAlert(db.pool, worker.enqueue, byName, await alertFor(`http://localhost:${receiver.port}/b`))).status).toBe('delivered');
    expect((await deliverAlert(db.pool, worker.enqueue, byName, await alertFor(`http://127.0.0.1:${receiver.port}/c`))).status).toBe('failed');
    expect(receiver.received.slice(before).map((r) => r.path)).toEqual(['/a', '/b']);
    expect(() => loadConfig({ WEBHOOK_ALLOW_HOSTS: 'ok.example, not a host' })).toThrow(/WEBHOOK_ALLOW_HOSTS.*'not a host'/s);
    expect(() => loadConfig({ WEBHOOK_ALLOW_HOSTS: '10.0.0.0/33' })).toThrow(/WEBHOOK_ALLOW_HOSTS/);
  });

  test('a DNS rebind (public when saved, loopback when called) is refused at the call', async () => {
    let calls = 0;
    const rebinding: Resolver = async () => [{ address: calls++ === 0 ? '93.184.215.14' : '127.0.0.1', family: 4 }];
    const policy = makePolicy({ allowPrivate: false, allowHosts: [] }, rebinding);
    const url = `http://rebind.test:${receiver.port}/hook`;
    await expect(checkOnSave(url, policy)).resolves.toBeUndefined();
    const before = receiver.received.length;
    expect(await postJson(url, '{}', {}, { timeoutMs: 2000, policy })).toMatchObject({ ok: false, refused: true, error: expect.stringContaining('loopback address 127.0.0.1') });
    expect(receiver.received.length).toBe(before);
  });

  test('the connection goes to the checked address: the name is resolved once, by the guard', async () => {
    let lookups = 0;
    // a name no DNS knows: had the HTTP client resolved it again itself, it would have failed
    const once: Resolver = async () => { lookups++; return [{ address: '127.0.0.1', family: 4 }]; };
    const policy = makePolicy({ allowPrivate: false, allowHosts: ['pinned.flagmeter.invalid'] }, once);
    const before = receiver.received.length;
    expect(await postJson(`http://pinned.flagmeter.invalid:${receiver.port}/pin`, '{"a":1}', {}, { timeoutMs: 2000, policy })).toMatchObject({ ok: true, status: 200 });
    expect(lookups).toBe(1);
    expect(receiver.received.slice(before).map((r) => [r.path, r.headers.host, r.body])).toEqual([['/pin', `pinned.flagmeter.invalid:${receiver.port}`, '{"a":1}']]);
    await expect(resolveTarget(`http://pinned.flagmeter.invalid:${receiver.port}/`, policy)).resolves.toMatchObject({ address: '127.0.0.1' });
  });

  test('a redirect is not followed (it could point anywhere): the attempt fails with its status', async () => {
    const redirecting = http.createServer((_req, res) => { res.writeHead(302, { location: `http://127.0.0.1:${receiver.port}/hook` }); res.end(); });
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
    try {
      const before = receiver.received.length;
      const policy = makePolicy({ allowPrivate: true, allowHosts: [] });
      const url = `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}/`;
      expect(await postJson(url, '{}', {}, { timeoutMs: 2000, policy })).toMatchObject({ ok: false, status: 302, error: 'HTTP 302' });
      expect(receiver.received.length).toBe(before);
    } finally {
      redirecting.closeAllConnections();
      redirecting.close();
    }
  });

  test("the webhook test message is refused the same way, and says so", async () => {
    await addTenants(db.pool, [{ slug: 'ssrf-test-message' }]);
    await db.pool.query(`insert into flagmeter.slack_webhooks (tenant_id, url) select id, $1 from flagmeter.tenants where slug = 'ssrf-test-message'`, [`http://2130706433:${receiver.port}/hook`]);
    const before = receiver.received.length;
    const res = await fetch(`${app.url}/api/tenants/ssrf-test-message/webhook/test`, { method: 'POST' });
    expect(await res.json()).toMatchObject({ delivered: false, status: null, error: expect.stringMatching(/^refused: webhooks may not call a loopback address 127\.0\.0\.1/) });
    expect(receiver.received.length).toBe(before);
  });
});

test('a strict policy refuses what it does not know how to judge', async () => {
  await expect(resolveTarget('ftp://example.com/', strict)).rejects.toThrow(/http\(s\)/);
  await expect(resolveTarget('not a url', strict)).rejects.toThrow(/not a URL/);
});
