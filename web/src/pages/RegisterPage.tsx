// Registering through an invitation link (#/register/<token>): a name and a password; the
// invitation decides the scopes and the tenant. Then on to the sign-in.
import { useState } from 'preact/hooks';
import { Field, formValues, useForm, FormActions } from '../ui/Form.tsx';
import { register } from '../api/auth.ts';

export function RegisterPage({ invitation }: { invitation: string }) {
  const [done, setDone] = useState<{ tenant: string | null } | undefined>(undefined);
  const f = useForm(['name', 'password', 'invitation', 'tenant']);
  const submit = (ev: Event) => {
    ev.preventDefault();
    const v = formValues(ev.currentTarget as HTMLFormElement);
    void f.run(async () => {
      setDone(await register({ name: v.name, password: v.password, invitation }));
    });
  };
  const e = f.state.errors;
  return (
    <>
      <div class="page__head"><h1 tabIndex={-1}>Create your account</h1></div>
      {done ? (
        <div class="card narrow" role="status">
          <p>Your account is ready{done.tenant ? <> for tenant <strong>{done.tenant}</strong></> : null}.</p>
          <a class="btn btn--primary" href="#/">Sign in</a>
        </div>
      ) : (
        <form ref={f.form} noValidate class="card form narrow" onSubmit={submit} aria-labelledby="reg-title">
          <h2 id="reg-title">You were invited to FlagMeter</h2>
          {e.invitation && <p class="form__error" role="alert">This invitation is unknown, expired or already used: ask for a new one.</p>}
          <Field id="reg-name" name="name" label="Name or e-mail" hint="what you will sign in with" error={e.name}>{(p) => <input {...p} autocomplete="username" required spellcheck={false} autocapitalize="none" />}</Field>
          <Field id="reg-password" name="password" label="Password" hint="at least 12 characters" error={e.password}>{(p) => <input {...p} type="password" autocomplete="new-password" required />}</Field>
          <FormActions state={f.state} label="Create account" />
        </form>
      )}
    </>
  );
}
