// Weighted variants and stickiness, bucketed as Unleash does: a variant's bucket is
// murmur3("<group>:<sticky id>", 86028157) % 1000 + 1 against the weights in tenths of a percent,
// a rollout's is murmur3("<group>:<sticky id>") % 100 (murmur3.ts).
import { fieldText, type EvalContext } from './constraints.ts';
import { murmur3 } from './murmur3.ts';
import type { Variant } from './model.ts';

const VARIANT_SEED = 86028157;

/** The variants with their cumulative weights in tenths of a percent (0-1000). */
export interface CompiledVariants { list: readonly Variant[]; upTo: readonly number[]; total: number; weighted: boolean }

export function compileVariants(list: readonly Variant[]): CompiledVariants | undefined {
  if (list.length === 0) return undefined;
  let sum = 0;
  const upTo = list.map((v) => (sum += Math.round(v.weight * 10)));
  return { list, upTo, total: sum, weighted: list.filter((v) => v.weight > 0).length > 1 };
}

export function pickVariant(v: CompiledVariants, group: string, id: string): Variant | undefined {
  if (v.total <= 0) return undefined;
  const target = (murmur3(`${group}:${id}`, VARIANT_SEED) % v.total) + 1;
  for (let i = 0; i < v.list.length; i++) if (v.list[i]!.weight > 0 && v.upTo[i]! >= target) return v.list[i];
  return undefined;
}

const draw = new Uint32Array(1);
/** 1 to 2^31 - 1 (the platform's crypto, so the SDK needs no node: module). */
const randomId = () => String((crypto.getRandomValues(draw)[0]! % (2 ** 31 - 1)) + 1);

/**
 * The id a stickiness buckets by: 'default' is targetingKey, then sessionId, then random;
 * 'random' is random; any other name is that context field (undefined when missing).
 */
export function stickyId(ctx: EvalContext, stickiness: string): string | undefined {
  if (stickiness === 'default') return fieldText(ctx, 'targetingKey') || fieldText(ctx, 'sessionId') || randomId();
  if (stickiness === 'random') return randomId();
  const v = fieldText(ctx, stickiness);
  return v === '' ? undefined : v;
}
