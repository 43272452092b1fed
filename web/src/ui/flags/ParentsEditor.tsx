// The parent flags a flag depends on: each must be on, or off, or on serving one of the named
// variants. The server refuses a parent that does not exist and a cycle (with its path); both
// messages show here.
import { newParent, type ParentDraft } from '../../flags-draft.ts';
import { FieldErrors, type Errors } from './errors.tsx';

export function ParentsEditor({ list, onChange, candidates, errors }: {
  list: readonly ParentDraft[]; onChange(list: ParentDraft[]): void;
  /** flags that may be a parent: the environment's other flags */
  candidates: readonly string[]; errors: Errors;
}) {
  const set = (i: number, patch: Partial<ParentDraft>) => onChange(list.map((p, j) => (j === i ? { ...p, ...patch } : p)));
  const free = candidates.filter((c) => !list.some((p) => p.flag === c));
  return (
    <fieldset class="parents" data-parents>
      <legend>Parent flags <span class="muted">— on only while each of these is as required</span></legend>
      {list.map((p, i) => {
        const label = `Parent ${i + 1}`;
        return (
          <div class="parents__row" key={i} data-parent={i}>
            <select aria-label={`${label}: flag`} value={p.flag} onChange={(ev) => set(i, { flag: (ev.target as HTMLSelectElement).value })}>
              {[...new Set([p.flag, ...free])].filter(Boolean).map((k) => <option key={k} value={k}>{k}</option>)}
              {!p.flag && <option value="" disabled>choose a flag</option>}
            </select>
            <select aria-label={`${label}: requires`} value={p.require} onChange={(ev) => set(i, { require: (ev.target as HTMLSelectElement).value as ParentDraft['require'] })}>
              <option value="on">is on</option><option value="off">is off</option><option value="variant">serves the variant…</option>
            </select>
            {p.require === 'variant' && (
              <input aria-label={`${label}: variants (comma-separated)`} placeholder="blue, green" value={p.variants} onInput={(ev) => set(i, { variants: (ev.target as HTMLInputElement).value })} />
            )}
            <button type="button" class="btn btn--quiet" aria-label={`Remove parent ${i + 1}`} onClick={() => onChange(list.filter((_, j) => j !== i))}>✕</button>
            <FieldErrors errors={errors} path={`dependencies.${i}`} exact={false} />
          </div>
        );
      })}
      <FieldErrors errors={errors} path="dependencies" />
      {free.length > 0
        ? <button type="button" class="btn btn--small" onClick={() => onChange([...list, newParent(free[0])])}>Add parent</button>
        : list.length === 0 && <p class="muted">No other flag in this environment to depend on.</p>}
    </fieldset>
  );
}
