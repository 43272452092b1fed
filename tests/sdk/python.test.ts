// The Python SDK's tests (sdk/python/tests, pytest) against a real FlagMeter: this starts the app
// on the embedded PostgreSQL, hands pytest its URL and keys, and fails with pytest's output when
// pytest fails. .ci/run installs the Python test dependencies (sdk/python/requirements-dev.txt).
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { startSdkServer, type SdkServer } from './harness.ts';

let s: SdkServer;
beforeAll(async () => {
  // evaluation counts flushed rarely: a flag list's ETag stays put while pytest evaluates (test_local.py's 304)
  s = await startSdkServer([], { FLAG_COUNTS_FLUSH_MS: '3600000' });
});
afterAll(async () => {
  await s.stop();
});

function pytest(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.env.PYTHON ?? 'python3', ['-m', 'pytest', 'sdk/python/tests', '-q', '-p', 'no:cacheprovider'], {
      env: { ...process.env, ...env, PYTHONDONTWRITEBYTECODE: '1' },
    });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

test('pytest sdk/python/tests passes against a real FlagMeter', async () => {
  const { code, output } = await pytest({ FLAGMETER_URL: s.url, FLAGMETER_KEY: s.key, FLAGMETER_ADMIN_KEY: s.adminKey });
  if (code !== 0) console.log(output);
  const summary = output.trim().split('\n').at(-1) ?? '';
  expect({ code, summary }).toEqual({ code: 0, summary: expect.stringMatching(/^\d+ passed in /) });
}, 300_000);
