// What every browser test file sets up once and takes down after its tests: a database of its own
// (createTestDb), a FlagMeter on it, and Chromium with the console (openConsole). A file states only
// what is particular to it: its rows, FlagMeter's environment, the calls made before its tests;
// `ready` hands it the parts first, so those calls may use the file's own helpers.
import { afterAll, beforeAll } from '@jest/globals';
import type { Page } from 'playwright-core';
import type { FlagMeter, Role } from '../../server/runtime.ts';
import { startTestApp } from './app.ts';
import { openConsole, type Browser, type ConsoleOptions } from './chromium.ts';
import { createTestDb, type TestDb } from './db.ts';

export interface ConsoleSuite { db: TestDb; app: FlagMeter; browser: Browser; page: Page }

export interface SuiteSetup {
  /** Rows the database holds before FlagMeter starts. */
  seed?: (db: TestDb) => Promise<unknown>;
  /** FlagMeter's environment and role (startTestApp). */
  env?: Record<string, string>;
  role?: Role;
  console?: ConsoleOptions;
  ready: (suite: ConsoleSuite) => void;
  /** Calls made once everything runs (after ready), before the first test: API calls, events. */
  prepare?: () => Promise<unknown>;
}

export function consoleSuite(setup: SuiteSetup): void {
  let db: TestDb | undefined;
  let app: FlagMeter | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    db = await createTestDb();
    await setup.seed?.(db);
    app = await startTestApp(db.url, setup.env, setup.role);
    browser = await openConsole(app.url, setup.console);
    setup.ready({ db, app, browser, page: browser.page });
    await setup.prepare?.();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await db?.drop();
  });
}
