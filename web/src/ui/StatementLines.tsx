// What the period's statement charges: per model, price applied and kind, the tokens, the price per
// million and the cost, and the total; the same lines as the statement's CSV and printable page.
import { formatDay, formatExact, formatMoney, formatMoneyExact, formatTokens } from '../format.ts';
import type { Statement } from '../api/types.ts';
import { EmptyState } from './States.tsx';

const KIND: Record<string, string> = { input: 'input', output: 'output', cached: 'cached input', plain: 'plain (no parts)' };

export function StatementLines({ statement: s }: { statement: Statement }) {
  if (s.lines === null) {
    return <EmptyState title="No lines for this period">Its raw events are past retention; the totals and features above come from the rollups and are exact.</EmptyState>;
  }
  if (s.lines.length === 0) return <EmptyState title="Nothing charged in this period" />;
  return (
    <div class="scroll-x">
      <table class="ftable" data-testid="statement-lines">
        <thead>
          <tr><th scope="col">Model</th><th scope="col">Kind</th><th scope="col" class="num">Tokens</th><th scope="col" class="num">Price / 1M</th><th scope="col" class="num">Cost</th></tr>
        </thead>
        <tbody>
          {s.lines.map((l) => (
            <tr key={`${l.model}|${l.priceFrom}|${l.kind}`} data-model={l.model} data-kind={l.kind}>
              <th scope="row" class="mono">{l.model}</th>
              <td>{KIND[l.kind] ?? l.kind}</td>
              <td class="num" title={`${formatExact(l.tokens)} tokens`}>{formatTokens(l.tokens)}</td>
              <td class="num" title={l.priceFrom ? `since ${formatDay(l.priceFrom, s.timezone, true)}${l.priceSource === 'tenant' ? ', the tenant\'s own price' : ''}` : 'no price was in force'}>
                {l.price === null ? '–' : formatMoneyExact(l.price, s.currency)}
              </td>
              <td class="num" title={formatMoneyExact(l.cost, s.currency)}>{formatMoney(l.cost, s.currency)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row">Total</th><td /><td class="num" title={`${formatExact(s.totalTokens)} tokens`}>{formatTokens(s.totalTokens)}</td><td />
            <td class="num" data-testid="statement-total" title={formatMoneyExact(s.totalCost, s.currency)}>{formatMoney(s.totalCost, s.currency)}</td>
          </tr>
        </tfoot>
      </table>
    </div>
  );
}
