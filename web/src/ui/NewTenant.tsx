// Creating a tenant (admins): a button on the overview that opens the form in place.
import { useEffect, useState } from 'preact/hooks';
import { tenantHref } from '../router.ts';
import { Field, FormStatus, formValues, num, useForm } from './Form.tsx';
import { createTenant } from '../api/tenants.ts';
import { can } from '../me.ts';

export function NewTenant() {
  const [open, setOpen] = useState(false);
  const f = useForm(['slug', 'name', 'monthlyQuota', 'billingDay', 'timezone']);
  // opened: the focus goes to its first field; closed: back to the button that opened it
  useEffect(() => { document.getElementById(open ? 'nt-slug' : 'nt-open')?.focus(); }, [open]);
  if (!can('admin')) return null;
  if (!open) {
    return <button id="nt-open" type="button" class="btn btn--primary page__action" onClick={() => setOpen(true)}>New tenant</button>;
  }
  const e = f.state.errors;
  const submit = (ev: Event) => {
    ev.preventDefault();
    const v = formValues(ev.currentTarget as HTMLFormElement);
    void f.run(async () => {
      const t = await createTenant({
        slug: v.slug, name: v.name, monthlyQuota: num(v.monthlyQuota), billingDay: num(v.billingDay), timezone: v.timezone || undefined,
      });
      location.hash = tenantHref(t.tenant);
    });
  };
  return (
    <form ref={f.form} noValidate class="card form grid-form newtenant" onSubmit={submit} aria-labelledby="nt-title">
      <h2 id="nt-title">New tenant</h2>
      <Field id="nt-slug" name="slug" label="Slug" hint="lowercase letters, digits, . _ -" error={e.slug}>{(p) => <input {...p} required spellcheck={false} autocapitalize="none" />}</Field>
      <Field id="nt-name" name="name" label="Name" error={e.name}>{(p) => <input {...p} required />}</Field>
      <Field id="nt-quota" name="monthlyQuota" label="Monthly quota (tokens)" hint="default 1,000,000" error={e.monthlyQuota}>{(p) => <input {...p} type="number" min={1} />}</Field>
      <Field id="nt-day" name="billingDay" label="Billing day" hint="1-28, default 1" error={e.billingDay}>{(p) => <input {...p} type="number" min={1} max={28} />}</Field>
      <Field id="nt-tz" name="timezone" label="Time zone" hint="default UTC" error={e.timezone}>{(p) => <input {...p} spellcheck={false} placeholder="UTC" />}</Field>
      <div class="form__actions">
        <FormStatus state={f.state} />
        <button type="submit" class="btn btn--primary" disabled={f.state.busy}>Create tenant</button>
        <button type="button" class="btn" onClick={() => setOpen(false)}>Cancel</button>
      </div>
    </form>
  );
}
