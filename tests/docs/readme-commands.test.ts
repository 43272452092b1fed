// The README's shell blocks, run as a newcomer would: FlagMeter started like `npm start` (an embedded
// PostgreSQL 18 in a fresh data folder, demo data), then every ```bash block in order in one shell
// whose PATH has no node_modules/.bin (the system's own Node, 20 here). A block that cannot run here
// says why in the comment above it (`<!-- readme-test: skip (reason) -->`). The real output shown
// under each block (```text) must be what it printed, but for ids, times and shortened lines (…).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { projectRoot } from '../../server/paths.ts';
import { freePort, waitUntil } from '../helpers/net.ts';
import { fences, read } from './markdown.ts';

const readme = read('README.md');
const blocks = fences(readme);
const shell = blocks.filter((b) => b.lang === 'bash' || b.lang === 'sh');
const runnable = shell.filter((b) => !b.note?.startsWith('<!-- readme-test: skip'));

let dataDir: string;
let env: NodeJS.ProcessEnv;
let server: ChildProcess;
let serverLog = '';

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'flagmeter-readme-'));
  env = {
    ...process.env, FLAGMETER_DATA_DIR: dataDir, PORT: String(await freePort()), EMBEDDED_PG_PORT: String(await freePort()), LOG_LEVEL: 'warn',
    PATH: (process.env.PATH ?? '').split(path.delimiter).filter((d) => !d.includes('node_modules')).join(path.delimiter),
  };
  delete env.DATABASE_URL;
  delete env.NODE_OPTIONS;
  // what `npm start` runs, after building the dashboard (which other tests build already)
  server = spawn(process.execPath, ['server/main.ts', 'all'], { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  server.stdout!.on('data', (d) => { serverLog += d; });
  server.stderr!.on('data', (d) => { serverLog += d; });
  await waitUntil(async () => (await fetch(`http://127.0.0.1:${env.PORT}/api/health`)).ok, 30_000);
}, 60_000);
afterAll(async () => {
  const exited = new Promise((resolve) => server.once('exit', resolve));
  server.kill('SIGTERM');
  await exited;
  await rm(dataDir, { recursive: true, force: true });
});

test('every shell block runs here or says why it cannot', () => {
  expect(runnable.length).toBeGreaterThanOrEqual(5);
  for (const b of shell.filter((s) => !runnable.includes(s))) expect(b.note).toMatch(/^<!-- readme-test: skip \(.+\) -->$/);
});

test('the README\'s commands work as written, and print what it shows', async () => {
  // one shell for all blocks, as in a terminal: variables set by one block are there for the next
  const script = ['set -euo pipefail', ...runnable.map((b, i) => `echo "::block ${i} (README.md line ${b.line})"\n${b.body}`)].join('\n');
  const { code, out } = await new Promise<{ code: number | null; out: string }>((resolve) => {
    const child = spawn('bash', ['-c', script], { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (d) => { text += d; });
    child.stderr.on('data', (d) => { text += d; });
    child.on('exit', (c) => resolve({ code: c, out: text }));
  });
  expect({ code, out: code === 0 ? '' : `${out}\n--- server:\n${serverLog}` }).toEqual({ code: 0, out: '' });

  // each ```text block after a shell block: its lines appear in that block's output
  const outputs = out.split(/^::block \d+ .*$/m).slice(1);
  const missing: string[] = [];
  runnable.forEach((b, i) => {
    const shown = blocks[blocks.indexOf(b) + 1];
    if (shown?.lang !== 'text') return;
    const printed = outputs[i]!.split('\n').map((l) => l.trim()).join('\n');
    for (const line of shown.body.split('\n').map((l) => l.trim()).filter(Boolean)) {
      // ids, times and shortened lines differ from run to run
      if (line.includes('…') || /[0-9a-f]{8}-[0-9a-f]{4}-|\d{4}-\d\d-\d\dT/.test(line)) continue;
      if (!printed.includes(line)) missing.push(`line ${shown.line}: ${line}`);
    }
  });
  expect(missing).toEqual([]);
}, 60_000);
