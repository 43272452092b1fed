// What a price change may be: it takes effect on a whole minute that no stored event has reached,
// so a price never rewrites a cost already counted (the insert trigger priced those events).
import { AppError } from '../core/errors.ts';
import type { PriceRow } from '../db/prices.ts';
import type { PriceInput } from './schemas.ts';

/** The first whole minute no event can be stamped at or after yet: events may be up to `futureMs` ahead. */
export const firstOpenMinute = (now: number, futureMs: number) => new Date(Math.ceil((now + futureMs + 1) / 60_000) * 60_000);

/** Rows ready to store, effective from the first open minute by default; a row effective earlier is refused. */
export function pricesToStore(inputs: PriceInput[], now: number, futureMs: number): PriceRow[] {
  const open = firstOpenMinute(now, futureMs);
  const details: { index: number; field: string; message: string }[] = [];
  const rows = inputs.map((p, index) => {
    const from = p.effectiveFrom ? new Date(p.effectiveFrom) : open;
    if (from < open) {
      details.push({ index, field: 'effectiveFrom', message: `effectiveFrom must be ${open.toISOString()} or later: events up to now (and up to EVENT_MAX_FUTURE_SECONDS ahead) were already priced, and a price never rewrites them` });
    }
    return { model: p.model, currency: p.currency ?? null, effectiveFrom: from, input: p.input, output: p.output, cached: p.cached ?? p.input, plain: p.plain ?? p.input };
  });
  if (details.length) throw new AppError(400, 'price_in_the_past', details[0]!.message, { details });
  return rows;
}
