// Forms that show the API's answer where it belongs: each field's error next to the field
// (aria-invalid + aria-describedby), anything else above the buttons, and the focus on the first
// field in error so keyboard and screen-reader users land on it.
import type { ComponentChildren } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { ApiError } from '../api/http.ts';

export interface FormState {
  busy: boolean;
  /** field → message, from the API's details */
  errors: Record<string, string>;
  /** the message of an error that names no field (or a field this form does not show) */
  message: string | undefined;
  ok: string | undefined;
}

export function useForm(fields: readonly string[]) {
  const [state, setState] = useState<FormState>({ busy: false, errors: {}, message: undefined, ok: undefined });
  const form = useRef<HTMLFormElement>(null);
  /** Runs the call; on an ApiError spreads its details over the fields. Returns whether it succeeded. */
  const run = async (call: () => Promise<string | void>): Promise<boolean> => {
    setState({ busy: true, errors: {}, message: undefined, ok: undefined });
    try {
      const ok = await call();
      setState({ busy: false, errors: {}, message: undefined, ok: ok || undefined });
      return true;
    } catch (err) {
      const errors: Record<string, string> = {};
      let message: string | undefined;
      if (err instanceof ApiError) {
        for (const d of err.details) {
          const field = d.field.split('.')[0]!;
          if (fields.includes(field)) errors[field] ??= d.message;
        }
        // a tenant that does not exist is the tenant field's fault, whichever route says so
        if (err.code === 'unknown_tenant' && fields.includes('tenant')) errors.tenant ??= err.message;
        if (Object.keys(errors).length === 0) message = err.message;
      } else {
        message = (err as Error).message;
      }
      setState({ busy: false, errors, message, ok: undefined });
      const first = fields.find((f) => errors[f]);
      requestAnimationFrame(() => form.current?.querySelector<HTMLElement>(first ? `[name="${first}"]` : '[role=alert]')?.focus());
      return false;
    }
  };
  return { state, run, form, setState };
}

/** What a field hands its input: the id its label names, the name the API's errors use, and the error's wiring. */
export interface FieldProps { id: string; name: string; 'aria-invalid': true | undefined; 'aria-describedby': string | undefined }

export function Field({ id, name, label, error, hint, children }: { id: string; name: string; label: string; error?: string | undefined; hint?: ComponentChildren; children: (props: FieldProps) => ComponentChildren }) {
  const describedBy = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div class={`field${error ? ' field--error' : ''}`} data-field={name}>
      <label for={id}>{label}</label>
      {children({ id, name, 'aria-invalid': error ? true : undefined, 'aria-describedby': describedBy })}
      {hint && <div id={`${id}-hint`} class="field__hint">{hint}</div>}
      {error && <div id={`${id}-error`} class="field__error">{error}</div>}
    </div>
  );
}

export function FormStatus({ state }: { state: FormState }) {
  if (state.message) return <p class="form__error" role="alert" tabIndex={-1}>{state.message}</p>;
  if (state.ok) return <p class="form__ok" role="status">{state.ok}</p>;
  return null;
}

/** A form's last row: its status (the error or the confirmation) and its submit button, off while it runs. */
export function FormActions({ state, label }: { state: FormState; label: string }) {
  return (
    <div class="form__actions">
      <FormStatus state={state} />
      <button type="submit" class="btn btn--primary" disabled={state.busy}>{label}</button>
    </div>
  );
}

/** Reads a form's named controls: text as trimmed strings, checkboxes as booleans. */
export function formValues(form: HTMLFormElement): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new FormData(form)) if (typeof v === 'string') out[k] = v.trim();
  return out;
}

/** A number field: '' → undefined (not sent), otherwise a number (the API names a bad one). */
export const num = (v: string | undefined): number | undefined => (v === undefined || v === '' ? undefined : Number(v));
