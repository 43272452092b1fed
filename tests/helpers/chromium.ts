// Debian's Chromium driven by playwright-core, with a fresh profile per launch. CI installs it
// (`apt-get install -y chromium` in .ci/run); without it the browser tests fail loudly, never skip.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

const args = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

export interface Browser { context: BrowserContext; page: Page; close(): Promise<void> }

export async function launchChromium(viewport = { width: 1280, height: 800 }): Promise<Browser> {
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
