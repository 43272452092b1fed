// The end users who used the most in the period shown (from the per-user daily rollups): the
// largest first; equal ones by name, numbers in names read as numbers (user-2 before user-10).
import { compareNames, formatExact, formatMoney, formatMoneyExact, formatPercent, formatTokens } from '../format.ts';
import type { Statement } from '../api/types.ts';
import { EmptyState } from './States.tsx';

type TopUser = NonNullable<Statement['topUsers']>[number];

/** Most tokens first; a tie by name (numerically aware), events without a user last. */
export const sortUsers = (users: readonly TopUser[]): TopUser[] => [...users].sort((a, b) =>
  b.tokens - a.tokens || (a.user === null ? 1 : 0) - (b.user === null ? 1 : 0) || compareNames(a.user ?? '', b.user ?? ''));

export function TopUsers({ statement }: { statement: Statement }) {
  const users = statement.topUsers && sortUsers(statement.topUsers);
  if (users === null) {
    return <EmptyState title="Not available for this period">The tenant's time zone changed within two days of it, so its days cannot be split by user exactly. Totals and features are exact.</EmptyState>;
  }
  if (!users.some((u) => u.user !== null)) {
    return (
      <EmptyState title="No end users named in this period">
        Events that carry a <code>user</code> (e.g. <code>{`{"tenant":"${statement.tenant}","feature":"gpt-4o","tokens":150,"user":"u-42"}`}</code>) are broken down here.
      </EmptyState>
    );
  }
  return (
    <table class="ftable" data-testid="top-users">
      <thead>
        <tr><th scope="col">User</th><th scope="col">Share</th><th scope="col" class="num">Tokens</th><th scope="col" class="num">Events</th><th scope="col" class="num">Cost</th></tr>
      </thead>
      <tbody>
        {users.map((u) => (
          <tr key={u.user ?? '\u0000'} data-user={u.user ?? ''}>
            <th scope="row" class={u.user === null ? 'muted' : 'mono'}>{u.user ?? '(no user)'}</th>
            <td>
              <div class="share">
                <span class="share__bar" aria-hidden="true"><span style={{ width: `${Math.min(100, u.percent)}%` }} /></span>
                <span class="share__pct">{formatPercent(u.percent)}</span>
              </div>
            </td>
            <td class="num" title={`${formatExact(u.tokens)} tokens`}>{formatTokens(u.tokens)}</td>
            <td class="num" title={formatExact(u.eventCount)}>{formatTokens(u.eventCount)}</td>
            <td class="num" title={formatMoneyExact(u.cost, statement.currency)}>{formatMoney(u.cost, statement.currency)}</td>
          </tr>
        ))}
      </tbody>
      {statement.users !== null && statement.users > users.filter((u) => u.user !== null).length && (
        <caption class="muted">Top {users.filter((u) => u.user !== null).length} of {formatExact(statement.users)} users; the statement CSV lists all.</caption>
      )}
    </table>
  );
}
