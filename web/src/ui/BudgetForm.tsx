// A tenant's monthly budget in money for an admin: the amount per billing period in the tenant's
// currency and whether checks deny what would pass it (hard) or only show it (soft); removing it.
// PUT /api/tenants/:tenant/budget (docs/cost.md#budgets): the server validates the amount and its
// message is shown next to the field.
import { Field, FormStatus, formValues, useForm } from './Form.tsx';
import { setBudget } from '../api/tenants.ts';
import type { BudgetUse } from '../api/types.ts';

const FIELDS = ['monthlyBudget', 'hard'] as const;

export function BudgetForm({ slug, budget, currency }: { slug: string; budget: BudgetUse; currency: string }) {
  const f = useForm(FIELDS);
  const save = (monthlyBudget: string | null, hard: boolean, ok: string) => f.run(async () => {
    await setBudget(slug, { monthlyBudget, hard });
    return ok;
  });
  const submit = (ev: Event) => {
    ev.preventDefault();
    const form = ev.currentTarget as HTMLFormElement;
    void save(formValues(form).monthlyBudget ?? '', (form.elements.namedItem('hard') as HTMLInputElement).checked, 'Budget saved.');
  };
  const e = f.state.errors;
  return (
    <form ref={f.form} noValidate class="form" onSubmit={submit} aria-labelledby="budget-form-title" key={`${budget?.limit}|${budget?.hard}`}>
      <h2 id="budget-form-title">Budget</h2>
      <Field id="b-amount" name="monthlyBudget" label={`Monthly budget (${currency})`} hint="money per billing period, e.g. 500.00; the period's cost counts against it" error={e.monthlyBudget}>
        {(p) => <input {...p} inputMode="decimal" autocomplete="off" spellcheck={false} defaultValue={budget?.limit ?? ''} placeholder="500.00" />}
      </Field>
      <Field id="b-hard" name="hard" label="Hard budget" hint="checked: POST /api/check denies what would pass it; unchecked: shown, never refused" error={e.hard}>
        {(p) => <input {...p} type="checkbox" defaultChecked={budget?.hard ?? false} />}
      </Field>
      <div class="form__actions">
        <FormStatus state={f.state} />
        <button type="submit" class="btn btn--primary" disabled={f.state.busy}>Save budget</button>
        {budget && <button type="button" class="btn" disabled={f.state.busy} onClick={() => void save(null, false, 'Budget removed.')}>Remove budget</button>}
      </div>
    </form>
  );
}
