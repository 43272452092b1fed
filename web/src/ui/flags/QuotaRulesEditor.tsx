// A flag's quota rules: from a percentage of the tenant's quota (tokens), of its monthly budget
// (money) or of one feature's limit (in tokens or money, as it is set), serve a value — off at
// 100%, a cheaper model at 90%. Each row says itself in words as it is typed; the API's messages
// about a row ("quotaRules.1.serve") show on it.
import { newQuotaRule, quotaRulesOf, type QuotaRuleDraft, type QuotaTarget } from '../../flags-draft.ts';
import { quotaRuleWords } from '../../flags-words.ts';
import type { ValueType } from '../../api/types.ts';
import { FieldErrors, type Errors } from './errors.tsx';

const TARGETS: [QuotaTarget, string][] = [['quota', 'the quota (tokens)'], ['budget', 'the monthly budget (money)'], ['feature', 'a feature\'s limit']];

export function QuotaRulesEditor({ list, onChange, type, errors }: { list: readonly QuotaRuleDraft[]; onChange(list: QuotaRuleDraft[]): void; type: ValueType; errors: Errors }) {
  const set = (i: number, patch: Partial<QuotaRuleDraft>) => onChange(list.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const made = quotaRulesOf(list);
  // a boolean flag serves on or off; a string flag its on or off value, or a value of its own; number and json flags their on or off value
  const serves: [QuotaRuleDraft['serve'], string][] = type === 'boolean' ? [['off', 'off'], ['on', 'on']]
    : [['off', 'its off value'], ['on', 'its on value'], ...(type === 'string' ? [['value', 'the value…'] as [QuotaRuleDraft['serve'], string]] : [])];
  return (
    <fieldset class="quota-rules" data-quota-rules name="quotaRules" tabIndex={-1}>
      <legend>Quota rules <span class="muted">— from a share of the quota, the monthly budget or a feature's limit, serve another value</span></legend>
      {list.map((r, i) => {
        const label = `Quota rule ${i + 1}`;
        return (
          <div class="quota-rules__row" key={i} data-quota-rule-row={i}>
            <span class="quota-rules__at">at
              <input aria-label={`${label}: percent`} inputMode="numeric" value={r.atPercent} onInput={(ev) => set(i, { atPercent: (ev.target as HTMLInputElement).value })} />% of
            </span>
            <select aria-label={`${label}: of`} value={r.of} onChange={(ev) => set(i, { of: (ev.target as HTMLSelectElement).value as QuotaTarget })}>
              {TARGETS.map(([v, text]) => <option key={v} value={v}>{text}</option>)}
            </select>
            {r.of === 'feature' && (
              <input aria-label={`${label}: feature`} placeholder="gpt-4o" spellcheck={false} value={r.feature} onInput={(ev) => set(i, { feature: (ev.target as HTMLInputElement).value })} />
            )}
            <span class="quota-rules__serve">serve
              <select aria-label={`${label}: serve`} value={r.serve} onChange={(ev) => set(i, { serve: (ev.target as HTMLSelectElement).value as QuotaRuleDraft['serve'] })}>
                {serves.map(([v, text]) => <option key={v} value={v}>{text}</option>)}
                {!serves.some(([v]) => v === r.serve) && <option value={r.serve}>{r.serve === 'value' ? 'the value…' : r.serve}</option>}
              </select>
            </span>
            {r.serve === 'value' && (
              <input aria-label={`${label}: value`} placeholder="gpt-4o-mini" spellcheck={false} value={r.value} onInput={(ev) => set(i, { value: (ev.target as HTMLInputElement).value })} />
            )}
            <button type="button" class="btn btn--quiet" aria-label={`Remove quota rule ${i + 1}`} onClick={() => onChange(list.filter((_, j) => j !== i))}>✕</button>
            <p class="quota-rules__words muted" data-quota-rule-words>{quotaRuleWords(made[i]!)}</p>
            <FieldErrors errors={errors} path={`quotaRules.${i}`} exact={false} />
          </div>
        );
      })}
      {list.length === 0 && <p class="muted">None: the flag follows its rule whatever the usage.</p>}
      <FieldErrors errors={errors} path="quotaRules" />
      <button type="button" class="btn btn--small" onClick={() => onChange([...list, newQuotaRule()])}>Add quota rule</button>
    </fieldset>
  );
}
