// @flagmeter/sdk as a package: it builds to ESM with type declarations for each entry of its
// exports map, the built entry loads in plain Node, and it has no runtime dependencies.
import { afterAll, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.resolve('sdk/node');
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'fm-sdk-build-'));
afterAll(() => fs.rmSync(out, { recursive: true, force: true }));

test('builds to dist/ (ESM + .d.ts) for every export, loads in Node, depends on nothing', async () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  expect(pkg.type).toBe('module');
  expect(pkg.dependencies ?? {}).toEqual({});
  expect(Object.values(pkg.peerDependenciesMeta).every((m: any) => m.optional)).toBe(true);

  await run(path.resolve('node_modules/.bin/tsc'), ['-p', path.join(root, 'tsconfig.json'), '--outDir', out]);
  for (const entry of Object.values(pkg.exports) as { types: string; import: string }[]) {
    for (const file of [entry.types, entry.import]) expect(fs.existsSync(path.join(out, path.relative('./dist', file)))).toBe(true);
  }
  expect(fs.readFileSync(path.join(out, 'index.js'), 'utf8')).not.toMatch(/from '\.\/[^']+\.ts'/); // imports rewritten to .js

  const probe = `const m = await import(${JSON.stringify(path.join(out, 'index.js'))});
    const fm = new m.FlagMeter({ baseUrl: 'http://127.0.0.1:9', flushOnExit: false });
    console.log(JSON.stringify({ exports: Object.keys(m).sort(), id: typeof (await fm.track({ tenant: 't', feature: 'f', tokens: 1 })) }));`;
  const { stdout } = await run(path.resolve('node_modules/.bin/node'), ['--input-type=module', '-e', probe]);
  const result = JSON.parse(stdout);
  expect(result.id).toBe('string');
  expect(result.exports).toEqual(expect.arrayContaining(['FlagMeter', 'meterOpenAI', 'meterAnthropic', 'QueueFullError', 'EntitlementDeniedError']));
});
