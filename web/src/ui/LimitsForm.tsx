// A tenant's entitlement limits for an admin: whether checks deny at the quota (hard) or only count
// (soft), and per-feature limits per billing period, one row each: the feature, the amount, its
// unit — tokens, or money in the tenant's currency (monthlyBudget, docs/cost.md#budgets) — and
// hard or soft. The list replaces the tenant's limits, as PATCH /api/tenants/:tenant does
// (docs/entitlements.md); the API's messages about a row ("featureLimits.1.monthlyBudget") show on it.
import { useState } from 'preact/hooks';
import { Field, FormActions, useForm } from './Form.tsx';
import { ApiError } from '../api/http.ts';
import { changeTenant } from '../api/tenants.ts';
import type { TenantSettings } from '../api/types.ts';
import { FieldErrors, type Errors } from './flags/errors.tsx';

const FIELDS = ['quotaHard', 'featureLimits'] as const;

type Unit = 'tokens' | 'money';
interface Row { feature: string; amount: string; unit: Unit; hard: boolean }

const rowsOf = (t: TenantSettings): Row[] => t.featureLimits.map((l) => ({
  feature: l.feature, hard: l.hard,
  ...(l.monthlyBudget !== undefined ? { unit: 'money' as const, amount: l.monthlyBudget } : { unit: 'tokens' as const, amount: String(l.tokens ?? '') }),
}));
const newRow = (): Row => ({ feature: '', amount: '', unit: 'tokens', hard: false });

/** A row as the API takes it: tokens as a number when they are digits (else as typed: the API names it), money as the typed decimal. */
const limitOf = (r: Row) => ({
  feature: r.feature.trim(), hard: r.hard,
  ...(r.unit === 'money' ? { monthlyBudget: r.amount.trim() } : { tokens: /^\d+$/.test(r.amount.trim()) ? Number(r.amount.trim()) : r.amount.trim() }),
});

export function LimitsForm({ t, currency, onSaved }: { t: TenantSettings; currency: string | undefined; onSaved: (t: TenantSettings) => void }) {
  const f = useForm(FIELDS);
  const [rows, setRows] = useState<Row[]>(() => rowsOf(t));
  const [paths, setPaths] = useState<Errors>({});
  const set = (i: number, patch: Partial<Row>) => setRows((list) => list.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const money = currency ? `money (${currency})` : 'money';
  const submit = (ev: Event) => {
    ev.preventDefault();
    const form = ev.currentTarget as HTMLFormElement;
    setPaths({});
    void f.run(async () => {
      try {
        const saved = await changeTenant(t.tenant, {
          quotaHard: (form.elements.namedItem('quotaHard') as HTMLInputElement).checked,
          // a row left empty is no limit
          featureLimits: rows.filter((r) => r.feature.trim() || r.amount.trim()).map(limitOf),
        });
        setRows(rowsOf(saved));
        onSaved(saved);
        return 'Limits saved.';
      } catch (err) {
        if (err instanceof ApiError) {
          setPaths(Object.fromEntries(err.details.map((d) => [d.field, d.message]).reverse()));
          requestAnimationFrame(() => form.querySelector<HTMLElement>('[data-limits] [aria-invalid="true"]')?.focus());
        }
        throw err;
      }
    });
  };
  // the rows' messages are shown on the rows; one about the whole list under it
  const invalid = (i: number, field: keyof Row) => (paths[`featureLimits.${i}.${field === 'amount' ? rows[i]!.unit === 'money' ? 'monthlyBudget' : 'tokens' : field}`] ? true : undefined);
  return (
    <form ref={f.form} noValidate class="form" onSubmit={submit} aria-labelledby="limits-form-title" key={t.updatedAt}>
      <h2 id="limits-form-title">Limits</h2>
      <Field id="l-hard" name="quotaHard" label="Hard quota" hint="checked: POST /api/check denies once the quota is reached; unchecked: counted and alerted, never refused" error={f.state.errors.quotaHard}>
        {(p) => <input {...p} type="checkbox" defaultChecked={t.quotaHard} />}
      </Field>
      <fieldset class="limit-rows" data-limits>
        <legend>Feature limits <span class="muted">— per billing period, in tokens or in {money}</span></legend>
        {rows.length === 0 && <p class="muted">None: only the quota{currency ? ' and the budget' : ''} apply.</p>}
        {rows.map((r, i) => {
          const label = `Limit ${i + 1}`;
          return (
            <div class="limit-row" key={i} data-limit-row={i}>
              <input aria-label={`${label}: feature`} placeholder="gpt-4o" value={r.feature} spellcheck={false} aria-invalid={invalid(i, 'feature')}
                onInput={(ev) => set(i, { feature: (ev.target as HTMLInputElement).value })} />
              <input aria-label={`${label}: amount`} placeholder={r.unit === 'money' ? '50.00' : '500000'} inputMode={r.unit === 'money' ? 'decimal' : 'numeric'} autocomplete="off"
                value={r.amount} aria-invalid={invalid(i, 'amount')} onInput={(ev) => set(i, { amount: (ev.target as HTMLInputElement).value })} />
              <select aria-label={`${label}: unit`} value={r.unit} onChange={(ev) => set(i, { unit: (ev.target as HTMLSelectElement).value as Unit })}>
                <option value="tokens">tokens</option><option value="money">{money}</option>
              </select>
              <label class="limit-row__hard"><input type="checkbox" checked={r.hard} onChange={(ev) => set(i, { hard: (ev.target as HTMLInputElement).checked })} /> hard</label>
              <button type="button" class="btn btn--quiet" aria-label={`Remove limit ${i + 1}`} onClick={() => setRows((list) => list.filter((_, j) => j !== i))}>✕</button>
              <FieldErrors errors={paths} path={`featureLimits.${i}`} exact={false} />
            </div>
          );
        })}
        <FieldErrors errors={paths} path="featureLimits" />
        <button type="button" class="btn btn--small" onClick={() => setRows((list) => [...list, newRow()])}>Add a feature limit</button>
        <p class="field__hint">hard: POST /api/check denies what would pass it; soft: counted and alerted. A limit in money prices each check's tokens at the feature's price in force.</p>
      </fieldset>
      <FormActions state={f.state} label="Save limits" />
    </form>
  );
}
