// The Python SDK's tests (sdk/python/tests, pytest) against a real FlagMeter: this starts the app
// on the embedded PostgreSQL, hands pytest its URL and keys, and fails with pytest's output when
// pytest fails. .ci/run installs the Python test dependencies (sdk/python/requirements-dev.txt).
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSdkServer, type SdkServer } from './harness.ts';

let s: SdkServer;
let control: http.Server;
let controlUrl: string;
beforeAll(async () => {
  // evaluation counts flushed rarely: a flag list's ETag stays put while pytest evaluates (test_local.py's 304)
  s = await startSdkServer([], { FLAG_COUNTS_FLUSH_MS: '3600000' });
  // POST /stop and POST /start: pytest stops the real server mid-stream and starts it again (same database and port)
  control = http.createServer((req, res) => {
    const step = req.url === '/stop' ? s.app.stop() : req.url === '/start' ? s.restart() : Promise.reject(new Error(`no ${req.url}`));
    step.then(() => res.end('ok'), (err) => { res.statusCode = 500; res.end(String(err)); });
  });
  await new Promise<void>((r) => control.listen(0, '127.0.0.1', r));
  controlUrl = `http://127.0.0.1:${(control.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => control.close(r));
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
  const { code, output } = await pytest({ FLAGMETER_URL: s.url, FLAGMETER_KEY: s.key, FLAGMETER_ADMIN_KEY: s.adminKey, FLAGMETER_CONTROL_URL: controlUrl });
  if (code !== 0) console.log(output);
  const summary = output.trim().split('\n').at(-1) ?? '';
  expect({ code, summary }).toEqual({ code: 0, summary: expect.stringMatching(/^\d+ passed in /) });
}, 300_000);
