// Promotion: copy a tenant's (or the global) flags from one environment to another, with a dry run
// and a conflict policy for flags that differ in the target (skip, overwrite, or fail the whole).
import type pg from 'pg';
import type { z } from 'zod';
import { AppError } from '../core/errors.ts';
import type { Caller } from '../auth/middleware.ts';
import { appendAudit } from '../db/audit.ts';
import { dependencyGraph, flagTarget, ownFlags, upsertFlag, type Scope } from '../db/flags.ts';
import { checkWrittenParents } from './references.ts';
import type { Pool } from '../db/pool.ts';
import { flagAnswer } from './config.ts';
import { configOf, sameConfig, type Flag } from './model.ts';
import type { promoteResult } from './schemas.ts';

export type PromoteAnswer = z.infer<typeof promoteResult>;

export interface Promotion {
  tenant: string | null;
  from: Scope;
  to: Scope;
  /** Only these flags (each must exist in `from`); undefined: every flag of `from`. */
  keys: string[] | undefined;
  conflictPolicy: 'skip' | 'overwrite' | 'fail';
}

/**
 * Works out (and with `apply`, writes and audits, in the caller's transaction `db`) what promoting
 * does. The answer of a dry run is what applying it would answer, versions and all.
 */
export async function promote(db: Pool | pg.PoolClient, p: Promotion, apply: boolean, caller: Caller | undefined): Promise<PromoteAnswer> {
  const source = await ownFlags(db, p.from, p.keys);
  if (p.keys) {
    const have = new Set(source.map((f) => f.key));
    const unknown = [...new Set(p.keys.filter((k) => !have.has(k)))];
    if (unknown.length > 0) {
      throw new AppError(400, 'unknown_flags', `No such flags in ${p.from.env}: ${unknown.join(', ')}.`, { details: unknown.map((k) => ({ field: 'keys', message: `no flag '${k}' in ${p.from.env}` })) });
    }
  }
  const target = new Map((await ownFlags(db, p.to, source.map((f) => f.key), apply)).map((f) => [f.key, f]));
  const answer: PromoteAnswer = { tenant: p.tenant, from: p.from.env, to: p.to.env, dryRun: !apply, conflictPolicy: p.conflictPolicy, created: [], updated: [], unchanged: [], conflicting: [], skipped: [] };
  const writes: { flag: Flag; before: Flag | null }[] = [];
  const projected = (f: Flag, before: Flag | undefined): Flag => ({
    ...configOf(f), tenant: p.tenant, env: p.to.env, key: f.key, version: before ? before.version + 1 : 1,
    createdAt: before?.createdAt ?? new Date().toISOString(), updatedAt: new Date().toISOString(),
  });
  for (const f of source) {
    const before = target.get(f.key);
    if (!before) {
      writes.push({ flag: f, before: null });
      answer.created.push({ key: f.key, before: null, after: flagAnswer(projected(f, undefined)) });
    } else if (sameConfig(before, f)) {
      answer.unchanged.push(f.key);
    } else {
      answer.conflicting.push({ key: f.key, before: flagAnswer(before), after: flagAnswer(projected(f, before)) });
      if (p.conflictPolicy === 'overwrite') {
        writes.push({ flag: f, before });
        answer.updated.push({ key: f.key, before: flagAnswer(before), after: flagAnswer(projected(f, before)) });
      } else if (p.conflictPolicy === 'skip') {
        answer.skipped.push(f.key);
      }
    }
  }
  if (p.conflictPolicy === 'fail' && answer.conflicting.length > 0) {
    throw new AppError(409, 'promotion_conflict',
      `${answer.conflicting.length} flag(s) differ in ${p.to.env}: ${answer.conflicting.map((c) => c.key).join(', ')}. Nothing was applied; choose conflictPolicy skip or overwrite.`,
      { details: answer.conflicting.map((c) => ({ field: 'keys', message: `'${c.key}' differs in ${p.to.env}` })) });
  }
  if (writes.length > 0) {
    checkWrittenParents(await dependencyGraph(db, p.to), new Map(writes.map((w) => [w.flag.key, w.flag.dependencies.map((d) => d.flag)])), p.to.env);
  }
  if (apply) {
    const client = db as pg.PoolClient;
    const written = new Map<string, Flag>();
    for (const w of writes) {
      const after = await upsertFlag(client, p.to, w.flag.key, configOf(w.flag));
      written.set(after.key, after);
      await appendAudit(client, caller, {
        action: 'flag.promote', target: flagTarget(p.tenant, p.to.env, after.key), before: w.before && flagAnswer(w.before), after: { ...flagAnswer(after), promotedFrom: p.from.env },
      });
    }
    for (const item of [...answer.created, ...answer.updated]) item.after = flagAnswer(written.get(item.key)!);
    for (const item of answer.conflicting) if (written.has(item.key)) item.after = flagAnswer(written.get(item.key)!);
  }
  return answer;
}
