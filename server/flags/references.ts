// What a flag refers to must be there: the segments its strategies name (the tenant's or global
// ones; a global flag sees global ones only) and the parent flags it depends on (in its tenant's
// set in that environment), and its parents must not lead back to it.
import type pg from 'pg';
import { AppError, type ErrorDetail } from '../core/errors.ts';
import { dependencyGraph, visibleSegments, type Scope } from '../db/flags.ts';
import type { Pool } from '../db/pool.ts';
import type { FlagConfig } from './model.ts';

/** A path of parents from `start` back to it (['a', 'b', 'a']), or undefined. */
export function findCycle(parents: ReadonlyMap<string, readonly string[]>, start: string): string[] | undefined {
  const seen = new Set<string>();
  const walk = (key: string, path: string[]): string[] | undefined => {
    for (const p of parents.get(key) ?? []) {
      if (p === start) return [...path, p];
      if (seen.has(p)) continue;
      seen.add(p);
      const found = walk(p, [...path, p]);
      if (found) return found;
    }
    return undefined;
  };
  return walk(start, [start]);
}

/** The first cycle among these flags, or undefined. */
export function anyCycle(parents: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  for (const key of parents.keys()) {
    const c = findCycle(parents, key);
    if (c) return c;
  }
  return undefined;
}

export const cycleError = (path: string[]) => new AppError(400, 'dependency_cycle', `The parents would form a cycle: ${path.join(' → ')}.`,
  { details: [{ field: 'dependencies', message: `cycle: ${path.join(' → ')}` }] });

/** Refuses (400, every problem named) segments the flag cannot see, parents that do not exist, and cycles. */
export async function checkReferences(db: Pool | pg.ClientBase, s: Scope, key: string, c: FlagConfig): Promise<void> {
  const named = [...new Set(c.strategies.flatMap((st) => st.segments))];
  const [visible, graph] = await Promise.all([visibleSegments(db, s.tenantId, named), c.dependencies.length > 0 ? dependencyGraph(db, s) : undefined]);
  const details: ErrorDetail[] = [];
  c.strategies.forEach((st, i) => st.segments.forEach((name, j) => {
    if (!visible.has(name)) details.push({ field: `strategies.${i}.segments.${j}`, message: `no segment '${name}'${s.tenant ? ` for '${s.tenant}' (nor a global one)` : ' (global)'}` });
  }));
  if (graph) {
    c.dependencies.forEach((d, i) => {
      if (!graph.has(d.flag) || d.flag === key) details.push({ field: `dependencies.${i}.flag`, message: `no flag '${d.flag}' in ${s.env}${s.tenant ? ` for '${s.tenant}'` : ' (global)'}` });
    });
  }
  if (details.length > 0) throw new AppError(400, 'unknown_reference', `The flag refers to what does not exist: ${details.map((d) => d.message).join('; ')}.`, { details });
  if (graph) {
    graph.set(key, c.dependencies.map((d) => d.flag));
    const cycle = findCycle(graph, key);
    if (cycle) throw cycleError(cycle);
  }
}

/**
 * After writing `written` (key → its parents) into a scope whose flags are `graph`: every parent
 * must be there and no cycle may appear. For promotion and import, which write many flags at once.
 */
export function checkWrittenParents(graph: Map<string, string[]>, written: ReadonlyMap<string, string[]>, where: string): void {
  for (const [key, parents] of written) graph.set(key, parents);
  const details: ErrorDetail[] = [];
  for (const [key, parents] of written) {
    for (const p of parents) if (!graph.has(p)) details.push({ field: 'dependencies', message: `'${key}' depends on '${p}', which is not in ${where}` });
  }
  if (details.length > 0) throw new AppError(400, 'unknown_reference', `${details.map((d) => d.message).join('; ')}: bring the parents too.`, { details });
  const cycle = anyCycle(graph);
  if (cycle) throw cycleError(cycle);
}

/** The flags of a scope that depend on `key` (a parent cannot be deleted under them). */
export async function dependentsOf(db: Pool | pg.ClientBase, s: Scope, key: string): Promise<string[]> {
  const graph = await dependencyGraph(db, s);
  return [...graph].filter(([k, parents]) => k !== key && parents.includes(key)).map(([k]) => k).sort();
}
