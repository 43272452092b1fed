// docs/webhooks.md's ten lines of plain verification code, taken from the page and run against a
// real delivery: it accepts what FlagMeter signs and refuses a changed body, id or secret.
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { loadConfig } from '../../server/config.ts';
import { deliverEndpoint } from '../../server/webhooks/deliver.ts';
import { newSecret } from '../../server/webhooks/signing.ts';
import { policyFor } from '../../server/webhooks/ssrf.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';
import { startReceiver, type Receiver } from '../helpers/receiver.ts';

let db: TestDb;
let receiver: Receiver;
let dir: string;
beforeAll(async () => {
  db = await createTestDb();
  receiver = await startReceiver();
  dir = await mkdtemp(path.join(tmpdir(), 'fm-verify-'));
});
afterAll(async () => {
  await receiver.close();
  await db.drop();
  await rm(dir, { recursive: true, force: true });
});

test('the plain code in docs/webhooks.md verifies a real delivery', async () => {
  const doc = await readFile(new URL('../../docs/webhooks.md', import.meta.url), 'utf8');
  const code = /in ten lines:\n\n```js\n([\s\S]*?)```/.exec(doc)?.[1];
  expect(code).toBeDefined();
  const file = path.join(dir, 'verify.mjs');
  await writeFile(file, code!);
  const { verify } = await import(pathToFileURL(file).href) as { verify: (s: string, h: Record<string, string>, b: string) => boolean };

  const secret = newSecret();
  const { rows: [e] } = await db.pool.query(
    `insert into flagmeter.webhook_endpoints (url, event_types, secret) values ($1, '{tenant.created}', $2) returning id`, [receiver.url, secret]);
  await db.pool.query(`select flagmeter.webhook_emit(null, 'docs', 'tenant.created', 'tenant:docs', '{"tenant": "docs"}')`);
  const config = loadConfig({ WEBHOOK_ALLOW_HOSTS: '127.0.0.1' });
  expect((await deliverEndpoint(db.pool, config, policyFor(config), Number(e.id))).attempts).toEqual([expect.objectContaining({ status: 'delivered' })]);

  const [got] = receiver.received;
  const headers = got!.headers as Record<string, string>;
  expect(verify(secret, headers, got!.body)).toBe(true);
  expect(verify(secret, headers, got!.body.replace('docs', 'evil'))).toBe(false);
  expect(verify(secret, { ...headers, 'webhook-id': 'msg_other' }, got!.body)).toBe(false);
  expect(verify(newSecret(), headers, got!.body)).toBe(false);
});
