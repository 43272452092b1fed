// A failed delivery's error is shown to read keys (GET /api/alerts lastError): it must not carry the URL.
import { expect, test } from '@jest/globals';
import { hideUrl } from '../../server/jobs/deliver.ts';
import { postToSlack } from '../../server/jobs/slack.ts';
import { freePort } from '../helpers/net.ts';

test('a network error names the webhook masked, not whole', async () => {
  const url = `http://127.0.0.1:${await freePort()}/services/T0/B0/verysecretpart9876`;
  const result = await postToSlack(url, 'hi', 2000);
  expect(result.ok).toBe(false);
  expect(result.error).toContain('verysecretpart'); // what node-fetch says, before masking
  const shown = hideUrl(result.error!, url);
  expect(shown).not.toContain('verysecretpart');
  expect(shown).toContain('…9876');
});
