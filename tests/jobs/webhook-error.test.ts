// A failed delivery's error is shown to read keys (GET /api/alerts lastError): it must carry
// neither the URL nor what the remote answered.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test } from '@jest/globals';
import { maskUrlIn } from '../../server/core/mask.ts';
import { postToSlack } from '../../server/jobs/slack.ts';
import { makePolicy } from '../../server/webhooks/ssrf.ts';
import { freePort } from '../helpers/net.ts';

const local = makePolicy({ allowPrivate: false, allowHosts: ['127.0.0.1/32'] });

test('a network error names the webhook masked, not whole', async () => {
  const url = `http://127.0.0.1:${await freePort()}/services/T0/B0/verysecretpart9876`;
  const result = await postToSlack(url, 'hi', 2000, local);
  expect(result.ok).toBe(false);
  expect(result.error).toMatch(/ECONNREFUSED/);
  const shown = maskUrlIn(`${result.error!} at ${url}`, url);
  expect(shown).not.toContain('verysecretpart');
  expect(shown).toContain('…9876');
});

test("a failing webhook's body stays out of the error; the excerpt for admins and logs is bounded and on one line", async () => {
  const server = http.createServer((_req, res) => { res.writeHead(500); res.end(`internal secret\n${'x'.repeat(100_000)}`); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const result = await postToSlack(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, 'hi', 2000, local);
    expect(result).toMatchObject({ ok: false, status: 500, error: 'HTTP 500' });
    expect(result.excerpt!.startsWith('internal secret x')).toBe(true);
    expect(result.excerpt!.length).toBeLessThanOrEqual(201);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
