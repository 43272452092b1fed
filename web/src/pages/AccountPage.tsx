// A signed-in person's own account: who they are, and changing their password (their other
// sessions end; this one stays).
import { Field, formValues, useForm, FormActions } from '../ui/Form.tsx';
import { ApiError } from '../api/http.ts';
import { changePassword } from '../api/people.ts';
import { me } from '../me.ts';

export function AccountPage() {
  const who = me.value;
  const f = useForm(['current', 'password', 'repeat']);
  if (who?.kind !== 'person') {
    return <><div class="page__head"><h1 tabIndex={-1}>Account</h1></div><p class="card muted">Signed in with an API key: keys have no password.</p></>;
  }
  const submit = (ev: Event) => {
    ev.preventDefault();
    const form = ev.currentTarget as HTMLFormElement;
    const v = formValues(form);
    void f.run(async () => {
      if (v.password !== v.repeat) {
        throw new ApiError(400, 'invalid_request', 'The two new passwords differ.', [{ field: 'repeat', message: 'does not match the new password' }]);
      }
      const r = await changePassword(v.current, v.password);
      form.reset();
      return `Password changed. ${r.sessionsEnded === 1 ? 'One other session was' : `${r.sessionsEnded} other sessions were`} signed out.`;
    });
  };
  const e = f.state.errors;
  return (
    <>
      <div class="page__head"><h1 tabIndex={-1}>Account</h1><span class="muted">{who.name} · {who.scopes.join(', ')}{who.tenant ? ` · tenant ${who.tenant}` : ''}</span></div>
      <form ref={f.form} noValidate class="card form narrow" onSubmit={submit} aria-labelledby="pw-title">
        <h2 id="pw-title">Change your password</h2>
        <input type="text" name="username" autocomplete="username" value={who.name ?? ''} hidden readOnly />
        <Field id="pw-current" name="current" label="Current password" error={e.current}>{(p) => <input {...p} type="password" autocomplete="current-password" required />}</Field>
        <Field id="pw-new" name="password" label="New password" hint="at least 12 characters" error={e.password}>{(p) => <input {...p} type="password" autocomplete="new-password" required />}</Field>
        <Field id="pw-repeat" name="repeat" label="New password again" error={e.repeat}>{(p) => <input {...p} type="password" autocomplete="new-password" required />}</Field>
        <FormActions state={f.state} label="Change password" />
      </form>
    </>
  );
}
