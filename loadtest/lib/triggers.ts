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
