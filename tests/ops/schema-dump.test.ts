// sql/schema.sql is what the committed migrations produce: regenerated from a freshly migrated
// database (the test template) and compared, so a migration without a refreshed dump fails here.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { dumpSchema } from '../../scripts/lib/catalog-dump.ts';
import { createTestDb, type TestDb } from '../helpers/db.ts';

let db: TestDb;
beforeAll(async () => { db = await createTestDb(); });
afterAll(async () => { await db.drop(); });

test('sql/schema.sql matches the schema the migrations produce', async () => {
  const committed = readFileSync(new URL('../../sql/schema.sql', import.meta.url), 'utf8');
  const fresh = await dumpSchema(db.pool);
  if (fresh !== committed) {
    const a = committed.split('\n');
    const b = fresh.split('\n');
    const line = a.findIndex((l, i) => l !== b[i]);
    throw new Error(`sql/schema.sql is stale: run \`npm run db:dump\` and commit it.\n`
      + `First difference at line ${line + 1}:\n  committed: ${a[line] ?? '(end of file)'}\n  migrated:  ${b[line] ?? '(end of file)'}`);
  }
  expect(fresh).toContain('create table flagmeter.events (');
});
