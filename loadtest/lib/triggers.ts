// The definitions the events insert trigger has had, read from the committed migrations, for the
// benches that alternate them in one database (npm run bench:trigger, the reporting step).
import { committedMigrations } from '../../server/db/migrate.ts';

/** The trigger function as each migration that (re)defines it left it: [migration number, SQL], oldest first. */
export function triggerDefinitions(): [number, string][] {
  return committedMigrations().flatMap((sql, i) => {
    const at = sql.search(/create (or replace )?function flagmeter\.tg_events__rollup\(\)/);
    if (at < 0) return [];
    const body = sql.slice(at, sql.indexOf('comment on function flagmeter.tg_events__rollup()', at));
    return [[i + 1, body.replace(/^create function/, 'create or replace function')] as [number, string]];
  });
}

/** Takes the per-end-user rollup's one cost off the hot insert since it folds from events behind a
 * watermark (the transaction-id default and its BRIN index): the "no per-user rollup" baseline. */
export const withoutUserWatermark = `
  alter table flagmeter.events alter column xact_id drop default;
  drop index if exists flagmeter.events_xact_id_brin`;

/** The number of the migration that added the per-user rollup's insertion watermark. */
export function userWatermarkMigration(): number {
  return committedMigrations().findIndex((sql) => sql.includes('create index if not exists events_xact_id_brin')) + 1;
}
