// Weighted variants (a flag's, or one strategy's): name, weight and a value of the flag's type, a
// bar that shows the shares and whether they make 100%, and "Split evenly".
import type { ValueType } from '../../api/types.ts';
import { type VariantDraft, valueText, weightTenths } from '../../flags-draft.ts';
import { FieldErrors, type Errors } from './errors.tsx';
import { ValueInput } from './ValueInput.tsx';

/** n shares of 100% in tenths, the remainder to the first ones: 3 → 33.4, 33.3, 33.3. */
export function evenWeights(n: number): string[] {
  return Array.from({ length: n }, (_, i) => String((Math.floor(1000 / n) + (i < 1000 % n ? 1 : 0)) / 10));
}

export function WeightBar({ list }: { list: readonly VariantDraft[] }) {
  const sum = weightTenths(list);
  return (
    <div class="weights" data-weight-sum={sum / 10}>
      <div class={`weights__bar${sum === 1000 ? '' : ' weights__bar--off'}`} role="img" aria-label={list.map((v) => `${v.name || '?'} ${v.weight}%`).join(', ')}>
        {list.map((v, i) => {
          const w = Math.max(0, Math.min(100, Number(v.weight) || 0));
          return <span key={i} class={`weights__part weights__part--${i % 6}`} style={{ width: `${w}%` }} title={`${v.name}: ${v.weight}%`}>{w >= 8 ? `${v.name} ${w}%` : ''}</span>;
        })}
      </div>
      <span class={sum === 1000 ? 'muted' : 'weights__warn'}>{sum === 1000 ? 'sums to 100%' : `sums to ${sum / 10}% — the weights must make 100%`}</span>
    </div>
  );
}

export function VariantsEditor({ type, list, onChange, path, errors, title, empty }: {
  type: ValueType; list: readonly VariantDraft[]; onChange(list: VariantDraft[]): void;
  /** the API's path of this list: variants, or strategies.<i>.variants */
  path: string; errors: Errors; title: string;
  /** what is served without variants of its own */
  empty: string;
}) {
  const set = (i: number, patch: Partial<VariantDraft>) => onChange(list.map((v, j) => (j === i ? { ...v, ...patch } : v)));
  const add = () => {
    const weights = evenWeights(list.length + 1);
    onChange([...list.map((v, i) => ({ ...v, weight: weights[i]! })), { name: `v${list.length + 1}`, weight: weights[list.length]!, value: valueText(type, undefined) }]);
  };
  const even = () => onChange(list.map((v, i) => ({ ...v, weight: evenWeights(list.length)[i]! })));
  return (
    <fieldset class="variants" data-variants={path}>
      <legend>{title}</legend>
      {list.map((v, i) => (
        <div class="variants__row" key={i} data-variant={i}>
          <input aria-label={`${title}: name of variant ${i + 1}`} value={v.name} onInput={(ev) => set(i, { name: (ev.target as HTMLInputElement).value })} />
          <span class="variants__weight">
            <input aria-label={`${title}: weight of variant ${i + 1}`} inputMode="decimal" value={v.weight} onInput={(ev) => set(i, { weight: (ev.target as HTMLInputElement).value })} />%
          </span>
          <ValueInput type={type} label={`${title}: value of variant ${i + 1}`} value={v.value} onChange={(value) => set(i, { value })} error={errors[`${path}.${i}.value`]} />
          <button type="button" class="btn btn--quiet" aria-label={`Remove variant ${i + 1}`} onClick={() => onChange(list.filter((_, j) => j !== i))}>✕</button>
          <FieldErrors errors={errors} path={`${path}.${i}`} exact={false} skip={[`${path}.${i}.value`]} />
        </div>
      ))}
      {list.length > 0 && <WeightBar list={list} />}
      <FieldErrors errors={errors} path={path} />
      <div class="variants__tools">
        {list.length === 0 && <span class="muted">{empty}</span>}
        <button type="button" class="btn btn--small" onClick={add}>Add variant</button>
        {list.length > 1 && <button type="button" class="btn btn--small" onClick={even}>Split evenly</button>}
      </div>
    </fieldset>
  );
}
