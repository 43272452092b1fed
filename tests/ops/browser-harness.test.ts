// One harness for the browser tests: every *.browser.test.ts starts Chromium through
// tests/helpers/chromium.ts (openConsole, directly or through consoleSuite in console-suite.ts), with
// its flags and profile; none launches one itself
// (playwright-core only as types) or passes Chromium flags of its own.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@jest/globals';

const tests = path.resolve(import.meta.dirname, '..');
const browserTests = readdirSync(tests, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.browser.test.ts')).sort();

test('there are browser tests to check', () => {
  expect(browserTests.length).toBeGreaterThan(5);
});

test.each(browserTests)('%s launches Chromium through the harness only', (file) => {
  const source = readFileSync(path.join(tests, file), 'utf8');
  expect(source).toMatch(/import \{[^}]*\bopenConsole\b[^}]*\} from '\.\.\/helpers\/chromium\.ts'|import \{[^}]*\bconsoleSuite\b[^}]*\} from '\.\.\/helpers\/console-suite\.ts'/);
  const ownLaunch = [
    ...source.matchAll(/^import (?!type )[^;]*from 'playwright(-core)?'/gm),
    ...source.matchAll(/\b(launchPersistentContext|launchServer|chromium\.launch)\b|'--[a-z-]+'|executablePath|\/usr\/bin\/chromium/g),
  ].map((m) => m[0]);
  expect(ownLaunch).toEqual([]);
});
