// A value of a flag's type as the form edits it: a true/false picker, a text field, a number
// field, or a JSON textarea; a number or JSON that does not parse says so at once.
import type { ValueType } from '../../api/types.ts';
import { parseValue } from '../../flags-draft.ts';

export function ValueInput({ type, value, onChange, label, id, error }: {
  type: ValueType; value: string; onChange(text: string): void; label: string; id?: string;
  /** the API's (or the form's) message for this value */
  error?: string | undefined;
}) {
  const live = type === 'json' || type === 'number' ? parseValue(type, value) : undefined;
  const problem = error ?? (live && 'problem' in live ? live.problem : undefined);
  const common = { id, 'aria-label': label, 'aria-invalid': problem ? true as const : undefined, title: problem };
  const input = (ev: Event) => onChange((ev.target as HTMLInputElement).value);
  return (
    <span class="value-input">
      {type === 'boolean' && <select {...common} value={value} onChange={input}><option value="true">true</option><option value="false">false</option></select>}
      {type === 'string' && <input {...common} value={value} onInput={input} />}
      {type === 'number' && <input {...common} inputMode="decimal" value={value} onInput={input} />}
      {type === 'json' && <textarea {...common} class="mono" rows={Math.min(6, value.split('\n').length)} spellcheck={false} value={value} onInput={input} />}
      {problem && <span class="field__error" data-value-error>{problem}</span>}
    </span>
  );
}
