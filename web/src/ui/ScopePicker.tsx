// Scope checkboxes, as one labelled group; the API's error for `scopes` shows under it.
import type { Scope } from '../api/types.ts';
import { SCOPES } from '../me.ts';

const HELP: Record<Scope, string> = {
  read: 'see usage', ingest: 'post events', flags: 'manage flags', evaluate: 'evaluate flags (a browser may hold it)', check: 'check quotas, hold tokens', admin: 'everything (not with a tenant)',
};

export function ScopePicker({ id, value, error, onChange }: { id: string; value: Scope[]; error?: string | undefined; onChange?: (s: Scope[]) => void }) {
  return (
    <fieldset class={`field scopes${error ? ' field--error' : ''}`} data-field="scopes" aria-describedby={error ? `${id}-error` : undefined}>
      <legend>Scopes</legend>
      {SCOPES.map((s) => (
        <label key={s} class="check">
          <input type="checkbox" name="scopes" value={s} checked={value.includes(s)} aria-invalid={error ? true : undefined}
            onChange={onChange && ((e) => onChange((e.target as HTMLInputElement).checked ? [...value, s] : value.filter((x) => x !== s)))} />
          {s} <span class="muted">({HELP[s]})</span>
        </label>
      ))}
      {error && <div id={`${id}-error`} class="field__error">{error}</div>}
    </fieldset>
  );
}

export const checkedScopes = (form: HTMLFormElement) => new FormData(form).getAll('scopes').map(String) as Scope[];

/** A secret shown once, with a copy button. */
export function Secret({ label, value, note }: { label: string; value: string; note: string }) {
  const copy = () => void navigator.clipboard?.writeText(value).catch(() => undefined);
  return (
    <div class="secret" role="status">
      <p><strong>{label}</strong> <span class="muted">{note}</span></p>
      <div class="keyprompt__row">
        <input readOnly value={value} aria-label={label} class="mono" data-testid="secret" onFocus={(e) => (e.target as HTMLInputElement).select()} />
        <button type="button" class="btn" onClick={copy}>Copy</button>
      </div>
    </div>
  );
}
