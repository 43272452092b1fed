// A tenant's entitlement limits for an admin: whether checks deny at the quota (hard) or only count
// (soft), and per-feature limits per billing period, one a line ("gpt-4o 500000 hard"). The list
// replaces the tenant's limits, as PATCH /api/tenants/:tenant does (docs/entitlements.md).
import { Field, FormStatus, formValues, useForm } from './Form.tsx';
import { changeTenant } from '../api/tenants.ts';
import type { TenantSettings } from '../api/types.ts';

const FIELDS = ['quotaHard', 'featureLimits'] as const;
const LINE = /^(.+?)\s+(\d+)(?:\s+(hard|soft))?$/i;

const asText = (t: TenantSettings) => t.featureLimits.map((l) => `${l.feature} ${l.tokens}${l.hard ? ' hard' : ''}`).join('\n');

/** The lines as the API's featureLimits, or the first line that is not "feature tokens [hard|soft]". */
function parse(text: string): { limits: { feature: string; tokens: number; hard: boolean }[] } | { bad: string } {
  const limits = [];
  for (const line of text.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const m = LINE.exec(line);
    if (!m) return { bad: line };
    limits.push({ feature: m[1]!, tokens: Number(m[2]), hard: m[3]?.toLowerCase() === 'hard' });
  }
  return { limits };
}

export function LimitsForm({ t, onSaved }: { t: TenantSettings; onSaved: (t: TenantSettings) => void }) {
  const f = useForm(FIELDS);
  const submit = (ev: Event) => {
    ev.preventDefault();
    const form = ev.currentTarget as HTMLFormElement;
    const parsed = parse(formValues(form).featureLimits ?? '');
    if ('bad' in parsed) {
      f.setState({ busy: false, ok: undefined, message: undefined, errors: { featureLimits: `“${parsed.bad}” is not “feature tokens [hard]”` } });
      return;
    }
    void f.run(async () => {
      const saved = await changeTenant(t.tenant, {
        quotaHard: (form.elements.namedItem('quotaHard') as HTMLInputElement).checked, featureLimits: parsed.limits,
      });
      onSaved(saved);
      return 'Limits saved.';
    });
  };
  const e = f.state.errors;
  return (
    <form ref={f.form} noValidate class="form" onSubmit={submit} aria-labelledby="limits-title" key={t.updatedAt}>
      <h2 id="limits-title">Limits</h2>
      <Field id="l-hard" name="quotaHard" label="Hard quota" hint="checked: POST /api/check denies once the quota is reached; unchecked: counted and alerted, never refused" error={e.quotaHard}>
        {(p) => <input {...p} type="checkbox" defaultChecked={t.quotaHard} />}
      </Field>
      <Field id="l-features" name="featureLimits" label="Feature limits (per billing period)" hint="one a line: feature tokens [hard], e.g. gpt-4o 500000 hard; empty: none" error={e.featureLimits}>
        {(p) => <textarea {...p} rows={4} spellcheck={false} defaultValue={asText(t)} />}
      </Field>
      <div class="form__actions">
        <FormStatus state={f.state} />
        <button type="submit" class="btn btn--primary" disabled={f.state.busy}>Save limits</button>
      </div>
    </form>
  );
}
