// The one harness of the browser tests (*.browser.test.ts): Debian's Chromium driven by
// playwright-core, with a fresh profile per launch and the flags this machine needs (no background
// networking: its closed network refuses those connections). CI installs it (`apt-get install -y
// chromium` in .ci/run); without it the browser tests fail loudly, never skip. openConsole is what a
// test calls; screenshot writes docs/screenshots with UPDATE_SCREENSHOTS=1, else a temporary folder.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { serveOwnBuild } from './own-build.ts';

export const CHROMIUM = '/usr/bin/chromium';

const args = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export interface Browser { context: BrowserContext; page: Page; close(): Promise<void> }

async function launchChromium(viewport: { width: number; height: number }): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: the dashboard tests drive a real Chromium. Install it with \`apt-get install -y chromium\` (never \`npx playwright install\`).`);
  }
  const profile = await mkdtemp(path.join(os.tmpdir(), 'flagmeter-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, args, headless: true, viewport, deviceScaleFactor: 1, locale: 'en-US', timezoneId: 'UTC',
  });
  const page = context.pages()[0] ?? await context.newPage();
  return {
    context, page,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

export interface ConsoleOptions {
  /** true (default): the console from a build of its own (own-build.ts), so a test running beside
   * tests/usage/dashboard.browser.test.ts (which rebuilds web/dist) is not served a half-written one;
   * false: what the server itself serves from web/dist. */
  ownBuild?: boolean;
  /** playwright's default timeout for each wait and action (its own default: 30 s). */
  timeoutMs?: number;
  viewport?: { width: number; height: number };
}

/** Chromium with the console of the FlagMeter at `appUrl`; close() ends the browser and removes the build. */
export async function openConsole(appUrl: string, opts: ConsoleOptions = {}): Promise<Browser> {
  const browser = await launchChromium(opts.viewport ?? { width: 1280, height: 800 });
  if (opts.timeoutMs) browser.page.setDefaultTimeout(opts.timeoutMs);
  let cleanBuild: (() => Promise<void>) | undefined;
  try {
    if (opts.ownBuild ?? true) cleanBuild = await serveOwnBuild(browser.context, appUrl);
  } catch (err) {
    await browser.close();
    throw err;
  }
  return {
    ...browser,
    close: async () => {
      await browser.close();
      await cleanBuild?.();
    },
  };
}

const screenshots = process.env.UPDATE_SCREENSHOTS === '1'
  ? path.resolve(import.meta.dirname, '../../docs/screenshots')
  : path.join(os.tmpdir(), 'flagmeter-screenshots');

/** Saves what `page` shows as `name` (a .png) in the screenshots folder. */
export async function screenshot(page: Page, name: string, opts: { fullPage?: boolean } = {}): Promise<void> {
  await mkdir(screenshots, { recursive: true });
  await page.screenshot({ path: path.join(screenshots, name), fullPage: opts.fullPage ?? false });
}
