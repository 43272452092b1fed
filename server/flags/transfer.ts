// Import and export: a tenant's (or the global) own flags of one environment and its segments as
// one JSON document (flagmeter.flags/1), so they move between installations and into git. An
// import is checked whole (every flag and segment validated, segments and parents must exist after
// it, no cycle) and, like promotion, has a dry run and a conflict policy for what exists and
// differs: skip, overwrite, or fail the whole.
import type pg from 'pg';
import type { z } from 'zod';
import type { Caller } from '../auth/middleware.ts';
import { AppError, zodDetails, type ErrorDetail } from '../core/errors.ts';
import { appendAudit } from '../db/audit.ts';
import { dependencyGraph, flagTarget, loadFlagSet, ownFlags, toFlag, upsertFlag, visibleSegments, type Scope } from '../db/flags.ts';
import type { Pool } from '../db/pool.ts';
import { listSegments, segmentTarget, upsertSegment } from '../db/segments.ts';
import { configFrom, constraintFrom, flagAnswer } from './config.ts';
import { configOf, sameConfig, type Flag, type FlagConfig, type QuotaRule, type Segment } from './model.ts';
import { checkWrittenParents } from './references.ts';
import { documentFlag, FLAGS_DOCUMENT_FORMAT, type flagsDocument, type flagsDocumentOut, type importResult } from './schemas.ts';

export type FlagsDocument = z.infer<typeof flagsDocumentOut>;
export type ImportAnswer = z.infer<typeof importResult>;
type Policy = 'skip' | 'overwrite' | 'fail';

function documentEntry(f: Flag): FlagsDocument['flags'][number] {
  const { onValue, offValue, ...rest } = configOf(f);
  return { key: f.key, ...rest, ...(f.type === 'boolean' ? {} : { onValue: onValue!, offValue: offValue! }) };
}

const documentSegment = (g: Segment & { global: boolean }) => ({ name: g.name, description: g.description, constraints: g.constraints });

/** The scope's own flags (not the inherited ones) and its own segments (a tenant's; the global ones for the global scope). */
export async function exportFlags(db: Pool | pg.ClientBase, s: Scope): Promise<FlagsDocument> {
  const [flags, segments] = await Promise.all([ownFlags(db, s), listSegments(db, s)]);
  return {
    format: FLAGS_DOCUMENT_FORMAT, tenant: s.tenant, env: s.env, exportedAt: new Date().toISOString(),
    segments: segments.filter((g) => g.global === (s.tenantId === null)).map(documentSegment),
    flags: flags.map(documentEntry),
  };
}

/** The quota rule serving the tenant now for a flag's rules (the flag service's view), or null. */
export type ActiveRule = (rules: QuotaRule[]) => Promise<(QuotaRule & { percent: number }) | null>;

/**
 * What a tenant's flags are evaluated from (the SDKs' local evaluation): its own flags and the
 * global ones it inherits (inherited: true), every segment they may use (global: true for the
 * global ones), and for each flag with quota rules the rule serving the tenant now. Not an import
 * document (the import refuses those fields).
 */
export async function resolvedFlags(db: Pool, s: Scope & { tenantId: number }, activeRule: ActiveRule): Promise<FlagsDocument> {
  const [{ flags }, segments] = await Promise.all([loadFlagSet(db, s.tenantId, s.envId), listSegments(db, s)]);
  const items = await Promise.all(flags.map(async ({ row, inherited }) => {
    const f = toFlag(row, inherited ? null : s.tenant, s.env);
    return { ...documentEntry(f), inherited, ...(f.quotaRules.length > 0 ? { activeQuotaRule: await activeRule(f.quotaRules) } : {}) };
  }));
  return {
    format: FLAGS_DOCUMENT_FORMAT, tenant: s.tenant, env: s.env, exportedAt: new Date().toISOString(),
    segments: segments.map((g) => ({ ...documentSegment(g), global: g.global })),
    flags: items.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
  };
}

interface Plan<T> { outcome: ImportAnswer['flags']; writes: { name: string; value: T }[] }

/** What a policy makes of incoming items against the existing ones (the promotion's rules). */
function plan<T>(incoming: { name: string; value: T }[], existing: Map<string, T>, same: (a: T, b: T) => boolean, policy: Policy): Plan<T> {
  const outcome: ImportAnswer['flags'] = { created: [], updated: [], unchanged: [], conflicting: [], skipped: [] };
  const writes: { name: string; value: T }[] = [];
  for (const item of incoming) {
    const before = existing.get(item.name);
    if (before === undefined) {
      outcome.created.push(item.name);
      writes.push(item);
    } else if (same(before, item.value)) {
      outcome.unchanged.push(item.name);
    } else {
      outcome.conflicting.push(item.name);
      if (policy === 'overwrite') {
        outcome.updated.push(item.name);
        writes.push(item);
      } else if (policy === 'skip') outcome.skipped.push(item.name);
    }
  }
  return { outcome, writes };
}

interface SegmentSettings { description: string; constraints: FlagConfig['strategies'][number]['constraints'] }
const sameSegment = (a: SegmentSettings, b: SegmentSettings) => sameConfig(
  { ...EMPTY, description: a.description, strategies: [{ ...STRATEGY, constraints: a.constraints }] },
  { ...EMPTY, description: b.description, strategies: [{ ...STRATEGY, constraints: b.constraints }] });
const EMPTY: FlagConfig = { description: '', enabled: true, type: 'boolean', onValue: null, offValue: null, strategies: [], variants: [], stickiness: 'default', dependencies: [], quotaRules: [] };
const STRATEGY = { name: '', constraints: [], segments: [], rollout: 100, stickiness: 'default', group: null, serve: 'on' as const, variants: [] };

/**
 * Works out (and with `apply`, writes and audits, in the caller's transaction `db`) what importing
 * the document into `s` does; the answer of a dry run is what applying it would answer.
 */
/** The document's flags, each checked as a single write would be; every bad field named as document.flags.<i>.<field>. */
export function documentFlags(doc: z.infer<typeof flagsDocument>): z.infer<typeof documentFlag>[] {
  const details: ErrorDetail[] = [];
  const flags = doc.flags.map((raw, i) => {
    const r = documentFlag.safeParse(raw);
    if (r.success) return r.data;
    for (const d of zodDetails(r.error.issues)) details.push({ field: `document.flags.${i}${d.field === '(body)' ? '' : `.${d.field}`}`, message: d.message });
    return undefined;
  });
  if (details.length > 0) throw new AppError(400, 'invalid_request', `The import: ${details.map((d) => `${d.field}: ${d.message}`).join('; ')}`, { details });
  return flags as z.infer<typeof documentFlag>[];
}

export async function importFlags(db: Pool | pg.PoolClient, s: Scope, doc: z.infer<typeof flagsDocument>, policy: Policy, apply: boolean, caller: Caller | undefined): Promise<ImportAnswer> {
  const incoming = documentFlags(doc);
  const segmentsNow = new Map((await listSegments(db, s)).filter((g) => g.global === (s.tenantId === null)).map((g) => [g.name, { description: g.description, constraints: g.constraints }]));
  const segments = plan(doc.segments.map((g) => ({ name: g.name, value: { description: g.description ?? '', constraints: g.constraints.map(constraintFrom) } })), segmentsNow, sameSegment, policy);
  const flagsNow = new Map((await ownFlags(db, s, incoming.map((f) => f.key), apply)).map((f) => [f.key, configOf(f)]));
  const flags = plan(incoming.map((f) => ({ name: f.key, value: configFrom(f) })), flagsNow, sameConfig, policy);
  const answer: ImportAnswer = { tenant: s.tenant, env: s.env, dryRun: !apply, conflictPolicy: policy, flags: flags.outcome, segments: segments.outcome };
  const conflicts = [...segments.outcome.conflicting.map((n) => `segment '${n}'`), ...flags.outcome.conflicting.map((k) => `flag '${k}'`)];
  if (policy === 'fail' && conflicts.length > 0) {
    throw new AppError(409, 'import_conflict', `${conflicts.length} item(s) differ in ${s.env}: ${conflicts.join(', ')}. Nothing was applied; choose conflictPolicy skip or overwrite.`,
      { details: conflicts.map((c) => ({ field: 'document', message: `${c} differs` })) });
  }
  // every segment the written flags name must be there afterwards: imported now, or already visible
  const named = [...new Set(flags.writes.flatMap((w) => w.value.strategies.flatMap((st) => st.segments)))];
  const imported = new Set(doc.segments.map((g) => g.name));
  const visible = await visibleSegments(db, s.tenantId, named.filter((n) => !imported.has(n)));
  const missing: ErrorDetail[] = [];
  for (const w of flags.writes) {
    for (const name of new Set(w.value.strategies.flatMap((st) => st.segments))) {
      if (!imported.has(name) && !visible.has(name)) missing.push({ field: 'document.flags', message: `'${w.name}' uses segment '${name}', which is neither in the document nor in ${s.tenant ?? 'the global segments'}` });
    }
  }
  if (missing.length > 0) throw new AppError(400, 'unknown_reference', missing.map((d) => d.message).join('; '), { details: missing });
  if (flags.writes.length > 0) checkWrittenParents(await dependencyGraph(db, s), new Map(flags.writes.map((w) => [w.name, w.value.dependencies.map((d) => d.flag)])), s.env);
  if (apply) {
    const client = db as pg.PoolClient;
    for (const w of segments.writes) {
      const after = await upsertSegment(client, s, w.name, w.value.description, w.value.constraints);
      await appendAudit(client, caller, { action: 'segment.import', target: segmentTarget(s.tenant, w.name), before: segmentsNow.get(w.name) ?? null, after });
    }
    for (const w of flags.writes) {
      const before = (await ownFlags(client, s, [w.name]))[0];
      const after = await upsertFlag(client, s, w.name, w.value);
      await appendAudit(client, caller, { action: 'flag.import', target: flagTarget(s.tenant, s.env, w.name), before: before ? flagAnswer(before) : null, after: flagAnswer(after) });
    }
  }
  return answer;
}
